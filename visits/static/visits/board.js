/* The day board's "now" line (issue 15): drawn by the server, moved here once a minute. The
   board says where its window starts (data-origin) and how many minutes it spans. */
(function () {
  var board = document.querySelector(".board-day[data-origin]");
  if (!board) return;
  var origin = Date.parse(board.dataset.origin);
  var span = Number(board.dataset.minutes);
  function place() {
    var now = new Date();
    var left = (100 * (now - origin)) / 60000 / span;
    var inside = left >= 0 && left <= 100;
    board.querySelectorAll(".now-line, .now-label").forEach(function (el) {
      el.hidden = !inside;
      el.style.left = left.toFixed(3) + "%";
    });
    var time = board.querySelector(".now-label time");
    if (time) {
      time.textContent =
        String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
    }
  }
  setInterval(place, 60000);
})();
