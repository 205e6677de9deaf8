/* A button with data-print prints the page (the print stylesheet of app.css lays it out). */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
