/* The engineer's visit page: the wait timer at the door (R13) and the location sent with the
   arrival (R9) when the engineer allows it. Plain script, no build step. */
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }

  // The server says how many seconds are left, so a phone's wrong clock doesn't matter.
  document.querySelectorAll("[data-seconds-left]").forEach(function (timer) {
    var end = Date.now() + 1000 * parseInt(timer.dataset.secondsLeft, 10);
    var out = timer.querySelector(".timer-left");
    var button = document.getElementById(timer.dataset.enables || "");
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      out.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      if (left > 0) { window.setTimeout(tick, 1000); return; }
      timer.classList.add("over");
      if (button && button.dataset.callFailed === "true") { button.disabled = false; }
    }
    tick();
  });

  var arrive = document.getElementById("arrive-form");
  if (arrive && navigator.geolocation) {
    arrive.addEventListener("submit", function (event) {
      if (arrive.dataset.sent) { return; }
      event.preventDefault();
      function send() {
        if (arrive.dataset.sent) { return; }
        arrive.dataset.sent = "1";
        arrive.submit();
      }
      navigator.geolocation.getCurrentPosition(function (position) {
        arrive.elements.latitude.value = position.coords.latitude.toFixed(6);
        arrive.elements.longitude.value = position.coords.longitude.toFixed(6);
        send();
      }, send, { timeout: 5000, maximumAge: 60000 });
      window.setTimeout(send, 6000);
    });
  }
})();
