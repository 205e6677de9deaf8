/* The engineer's kit page (R18–R20): one tap saves a tick at once; a tick made without network
 * is kept in localStorage and sent when the network returns. No build step.
 *
 * The device keeps the latest wanted state of each item ({ticked, substitute}), never a toggle,
 * so replaying it after a reload or a dropped network changes nothing twice (the API sets state).
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-kit]");
  if (!root || !window.fetch) return; // without the script the buttons post plain forms
  var key = "seed-kit:" + root.dataset.user + ":" + root.dataset.visit;
  var syncLine = root.querySelector("[data-kit-sync]");
  var sending = false;
  var lastTap = {};

  function pending() {
    try { return JSON.parse(window.localStorage.getItem(key)) || {}; } catch (e) { return {}; }
  }
  function store(queue) {
    try {
      if (Object.keys(queue).length) window.localStorage.setItem(key, JSON.stringify(queue));
      else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: the tick is still sent now */ }
  }
  function say(text, state) {
    syncLine.textContent = text || "";
    syncLine.dataset.state = state || "";
  }
  function mainButton(id) { return root.querySelector('[data-item="' + id + '"]'); }

  // Show one item as ticked or not (pending: not on the server yet), and keep its no-script
  // form fields right.
  function show(id, ticked, substitute, isPending) {
    var button = mainButton(id);
    if (!button) return;
    var row = button.closest("li");
    button.setAttribute("aria-pressed", ticked ? "true" : "false");
    button.value = ticked ? "0" : "1";
    row.classList.toggle("done", ticked);
    row.classList.toggle("pending", Boolean(isPending));
    var sub = row.querySelector("[data-sub]");
    if (sub) sub.setAttribute("aria-pressed", ticked && substitute ? "true" : "false");
  }

  // Progress and the R20 gate text, from what the page shows.
  function refresh() {
    var required = root.querySelectorAll("[data-item][data-required]");
    var missing = [];
    required.forEach(function (b) {
      if (b.getAttribute("aria-pressed") !== "true") missing.push(b.dataset.label);
    });
    var done = required.length - missing.length;
    root.querySelector("[data-kit-done]").textContent = done;
    root.querySelector("[data-kit-bar]").value = done;
    root.querySelector("[data-kit-missing]").textContent = missing.join("、");
    root.querySelector("[data-kit-gate]").dataset.state = missing.length ? "incomplete" : "complete";
  }

  // The server's answer is the truth for every item that has no tick still waiting to go.
  function apply(state) {
    var queue = pending();
    (state.items || []).forEach(function (item) {
      if (!queue[item.id]) show(item.id, item.ticked, item.used_substitute, false);
    });
    refresh();
  }

  function flush() {
    if (sending) return;
    var queue = pending();
    var ids = Object.keys(queue);
    if (!ids.length) return;
    var id = ids[0];
    var want = queue[id];
    sending = true;
    say(root.dataset.msgSending, "sending");
    fetch(root.dataset.tickUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": root.dataset.csrf
      },
      body: JSON.stringify({ item: Number(id), ticked: want.ticked, substitute: want.substitute })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    }).then(function (result) {
      sending = false;
      if (result.status >= 500) throw new Error("server " + result.status);
      if (result.status === 401 || result.status === 403) {
        // Logged out or the token expired: keep the tick on the phone until the next login.
        say(result.body.detail || root.dataset.msgLogin, "error");
        return;
      }
      var queue = pending();
      var now = queue[id];
      if (now && now.ticked === want.ticked && now.substitute === want.substitute) {
        delete queue[id];
        store(queue);
      }
      if (result.ok) {
        apply(result.body);
        if (Object.keys(pending()).length) flush();
        else say(root.dataset.msgSaved, "saved");
      } else {
        // A rule refused it (e.g. the visit has started): show why and the server's state.
        say(result.body.detail || "", "error");
        fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json(); }).then(apply).catch(function () {});
      }
    }).catch(function () {
      sending = false;
      say(root.dataset.msgOffline, "offline");
    });
  }

  function want(id, ticked, substitute) {
    var queue = pending();
    queue[id] = { ticked: ticked, substitute: substitute, at: new Date().toISOString() };
    store(queue);
    show(id, ticked, substitute, true);
    refresh();
    if (navigator.onLine === false) say(root.dataset.msgOffline, "offline");
    flush();
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-item], button[data-sub]");
    if (!button || button.disabled || !root.contains(button)) return;
    event.preventDefault();
    var id = button.dataset.item || button.dataset.sub;
    // A double tap is one tap: the second within 600 ms on the same button is ignored.
    var now = Date.now();
    if (lastTap[id] && now - lastTap[id].at < 600 && lastTap[id].button === button) return;
    lastTap[id] = { at: now, button: button };
    var pressed = button.getAttribute("aria-pressed") === "true";
    if (button.dataset.sub) want(id, !pressed, !pressed);
    else want(id, !pressed, false);
  });

  window.addEventListener("online", flush);
  // A backstop for networks that come back without an "online" event.
  window.setInterval(flush, 15000);

  // Ticks kept on the phone from before a reload or a dropped network come first.
  var queue = pending();
  Object.keys(queue).forEach(function (id) {
    show(id, queue[id].ticked, queue[id].substitute, true);
  });
  refresh();
  if (Object.keys(queue).length) say(root.dataset.msgOffline, "offline");
  flush();
})();
