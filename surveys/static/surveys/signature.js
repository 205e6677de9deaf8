/* Signature pad (R23): pointer events, so finger, pen and mouse all draw.
 *
 * Records strokes as points [x, y, ms since the first touch] in the pad's CSS pixels, with the
 * pointer type, and writes them as JSON to the hidden input. The server validates the strokes
 * and draws the PNG itself; nothing here is trusted. No build step, no dependencies.
 *
 * The pad stops taking ink at the server's bounds (data-max-strokes, data-max-points), so a
 * long signature is never refused after the customer has answered everything; points closer
 * than a pixel to the one before are not kept.
 */
(function () {
  "use strict";

  function init(pad) {
    var canvas = pad.querySelector("canvas");
    var input = document.getElementById(pad.dataset.input);
    var status = pad.querySelector("[data-status]");
    var ctx = canvas.getContext("2d");
    var strokes = [];
    var current = null;
    var pointerId = null;
    var t0 = null;
    var logical = null; // {width, height} of the pad when the first stroke began
    var maxStrokes = parseInt(pad.dataset.maxStrokes, 10) || 80;
    var maxPoints = parseInt(pad.dataset.maxPoints, 10) || 8000;
    var full = pad.querySelector("[data-full]");

    function pointCount() {
      var n = current ? current.points.length : 0;
      strokes.forEach(function (s) { n += s.points.length; });
      return n;
    }

    function isFull() {
      return strokes.length >= maxStrokes || pointCount() >= maxPoints;
    }

    function showFull() {
      if (full) full.hidden = !isFull();
    }

    function box() {
      var r = canvas.getBoundingClientRect();
      return { width: Math.round(r.width), height: Math.round(r.height), left: r.left, top: r.top };
    }

    function resize() {
      var b = box();
      var dpr = window.devicePixelRatio || 1;
      canvas.width = Math.round(b.width * dpr);
      canvas.height = Math.round(b.height * dpr);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      redraw();
    }

    function style() {
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#1b1f24";
    }

    function scale() {
      if (!logical) return 1;
      return box().width / logical.width;
    }

    function drawStroke(stroke) {
      var s = scale();
      var pts = stroke.points;
      ctx.beginPath();
      ctx.moveTo(pts[0][0] * s, pts[0][1] * s);
      if (pts.length === 1) ctx.lineTo(pts[0][0] * s + 0.1, pts[0][1] * s);
      for (var i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0] * s, pts[i][1] * s);
      ctx.stroke();
    }

    function redraw() {
      var b = box();
      ctx.clearRect(0, 0, b.width, b.height);
      style();
      strokes.forEach(drawStroke);
      if (current) drawStroke(current);
    }

    function point(e) {
      var b = box();
      var s = scale();
      var x = Math.min(Math.max(e.clientX - b.left, 0), b.width) / s;
      var y = Math.min(Math.max(e.clientY - b.top, 0), b.height) / s;
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10, Math.round(e.timeStamp - t0)];
    }

    function update() {
      if (strokes.length) {
        input.value = JSON.stringify({
          width: logical.width,
          height: logical.height,
          strokes: strokes,
        });
        status.textContent = status.dataset.done;
      } else {
        input.value = "";
        status.textContent = status.dataset.empty;
      }
    }

    canvas.addEventListener("pointerdown", function (e) {
      if (pointerId !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
      e.preventDefault();
      if (isFull()) { showFull(); return; }
      pointerId = e.pointerId;
      if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
      if (!logical) logical = { width: box().width, height: box().height };
      if (t0 === null) t0 = e.timeStamp;
      current = { type: e.pointerType || "mouse", points: [point(e)] };
      redraw();
    });

    canvas.addEventListener("pointermove", function (e) {
      if (e.pointerId !== pointerId || !current) return;
      e.preventDefault();
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      if (!events.length) events = [e];
      var room = maxPoints - pointCount();
      events.forEach(function (ev) {
        var p = point(ev);
        var last = current.points[current.points.length - 1];
        if (room <= 0 || (Math.abs(p[0] - last[0]) < 1 && Math.abs(p[1] - last[1]) < 1)) return;
        current.points.push(p);
        room--;
      });
      showFull();
      redraw();
    });

    function end(e) {
      if (e.pointerId !== pointerId) return;
      pointerId = null;
      if (current) {
        strokes.push(current);
        current = null;
        update();
      }
      showFull();
      redraw();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    pad.querySelector("[data-clear]").addEventListener("click", function () {
      strokes = [];
      current = null;
      logical = null;
      t0 = null;
      update();
      showFull();
      redraw();
    });

    // No check of its own on submit: the server checks the confirmation, every item and the
    // signature together and says what is missing at each (issue 15), where a refusal here
    // would hide the rest until the next submit.

    // After the server refused the form (an unanswered item), keep what was already signed.
    try {
      var kept = JSON.parse(input.value || "null");
      if (kept && kept.strokes && kept.strokes.length) {
        logical = { width: kept.width, height: kept.height };
        strokes = kept.strokes;
        t0 = 0;
      }
    } catch (err) {
      input.value = "";
    }
    update();

    window.addEventListener("resize", resize);
    resize();
  }

  document.querySelectorAll("[data-signature]").forEach(init);
})();
