// The desk's visit page: "Reschedule" and "Cancel visit" load their form into the dialog with
// htmx; the dialog opens once the form is in. A static file, not an hx-on attribute: the
// Content-Security-Policy allows no inline script and htmx runs without eval.
document.addEventListener("htmx:afterRequest", function (event) {
  var opener = event.detail.elt;
  var id = opener && opener.dataset && opener.dataset.opensDialog;
  if (id) {
    document.getElementById(id).showModal();
  }
});
