/* Issue 15: the dashboard's regions marked data-live reload their data on a timer and after an
   action, but never while they hold a form field someone is in or has typed in: whatever is
   being typed (a contact, a handover note, a decision) is never wiped by a refresh. */
(function () {
  "use strict";

  function changed(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      // A list without a chosen default shows its first option: that is not a choice made.
      var chosen = Array.prototype.findIndex.call(field.options, function (option) {
        return option.defaultSelected;
      });
      return field.selectedIndex !== Math.max(chosen, 0);
    }
    return field.value !== field.defaultValue;
  }

  function busy(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, textarea, select")) {
      return true;
    }
    // A row's actions opened ("Act") are about to be used.
    if (region.querySelector("details[open]")) {
      return true;
    }
    return Array.prototype.some.call(region.querySelectorAll("input, textarea, select"), changed);
  }

  // A refresh of a busy region is skipped; the next one tries again.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var region = event.detail.elt;
    if (region.hasAttribute && region.hasAttribute("data-live") && busy(region)) {
      event.preventDefault();
    }
  });

  // A form of a live region that was sent and done (204) is empty again, and its row's actions
  // closed, before the region reloads: what it said is not mistaken for typing in progress.
  document.body.addEventListener("htmx:beforeOnLoad", function (event) {
    var form = event.detail.elt;
    if (form.tagName === "FORM" && form.closest("[data-live]") && event.detail.xhr.status === 204) {
      form.reset();
      var details = form.closest("details");
      if (details) {
        details.open = false;
      }
    }
  });
})();
