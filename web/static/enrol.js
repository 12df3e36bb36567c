// Guided face enrolment from the camera: three steps (look straight, slightly left, slightly
// right), each frame checked by the server (POST …/faces/capture?step=…) which keeps the good
// ones as templates and says why it refused the others; up to MAX_TRIES frames per step.
(function () {
  "use strict";
  var root = document.querySelector("[data-face-capture]");
  if (!root) return;
  var STEPS = ["straight", "left", "right"];
  var MAX_TRIES = 5, PREPARE_MS = 1500, RETRY_MS = 1200, BUSY_MS = 1000, MAX_WIDTH = 1280;
  var RELOAD_MS = 1500;
  var endpoint = root.getAttribute("data-endpoint");
  var start = root.querySelector("[data-capture-start]");
  var stage = root.querySelector("[data-capture-stage]");
  var video = stage.querySelector("video");
  var instruction = root.querySelector("[data-capture-instruction]");
  var progress = root.querySelector("[data-capture-progress]");
  var feedback = root.querySelector("[data-capture-feedback]");
  var result = root.querySelector("[data-capture-result]");
  var stop = root.querySelector("[data-capture-stop]");
  var retry = root.querySelector("[data-capture-retry]");
  var warning = root.querySelector("[data-capture-warning]");
  var shown = root.querySelector("[data-capture-shown]");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var capture = document.createElement("canvas");
  var stream = null, running = false, timer = null, index = 0, tries = 0, kept = 0;

  function label(name, values) {
    var text = root.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }

  function later(fn, ms) {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  }

  function say(text, accepted) {
    feedback.textContent = text;
    feedback.classList.toggle("is-accepted", accepted === true);
    feedback.classList.toggle("is-refused", accepted === false);
  }

  function markSteps() {
    root.querySelectorAll("[data-capture-step]").forEach(function (item, i) {
      item.classList.toggle("is-done", i < index);
      item.classList.toggle("is-current", running && i === index);
    });
  }

  function showStep() {
    progress.textContent = label("progress", { step: index + 1, total: STEPS.length });
    instruction.textContent = label("step-" + STEPS[index]);
    markSteps();
  }

  function begin() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      result.textContent = label("failed");
      return;
    }
    if (index >= STEPS.length) { index = 0; kept = 0; }
    result.textContent = "";
    retry.hidden = true;
    start.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: "user" }, audio: false })
      .then(function (camera) {
        stream = camera;
        video.srcObject = camera;
        stage.hidden = false;
        start.hidden = true;
        running = true;
        tries = 0;
        say("", null);
        showStep();
        later(shoot, PREPARE_MS);
      })
      .catch(function () {
        start.disabled = false;
        result.textContent = label("failed");
      });
  }

  function end() {
    running = false;
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    stage.hidden = true;
    start.hidden = false;
    start.disabled = false;
    markSteps();
  }

  function shoot() {
    if (!running) return;
    if (!video.videoWidth) { later(shoot, 300); return; }
    var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    capture.width = Math.round(video.videoWidth * scale);
    capture.height = Math.round(video.videoHeight * scale);
    capture.getContext("2d").drawImage(video, 0, 0, capture.width, capture.height);
    capture.toBlob(send, "image/jpeg", 0.92);
  }

  function send(blob) {
    if (!running || !blob) return;
    fetch(endpoint + "?step=" + STEPS[index], {
      method: "POST",
      body: blob,
      credentials: "same-origin",
      headers: { "Content-Type": "image/jpeg", "X-CSRF-Token": meta ? meta.content : "" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body, wait: response.headers.get("Retry-After") };
        });
      })
      .then(answer, function () { if (running) later(shoot, RETRY_MS); });
  }

  function answer(reply) {
    if (!running) return;
    var body = reply.body || {};
    if (reply.status === 429 || reply.status === 503) {
      // Busy, or too many frames: not the person's fault, so not a try.
      later(shoot, reply.wait ? Number(reply.wait) * 1000 : BUSY_MS);
      return;
    }
    if (reply.status !== 200) {
      end();
      result.textContent = body.message || body.detail || label("failed");
      return;
    }
    showReadiness(body);
    if (body.accepted) {
      // The gallery's check: this face matches someone else, or not the person's others.
      if (body.warning) {
        warning.textContent = label("warning") + " " + body.warning;
        warning.hidden = false;
      }
      kept += 1;
      index += 1;
      tries = 0;
      say(label("accepted"), true);
      if (index >= STEPS.length) {
        end();
        result.textContent = label("done", { count: kept });
        // Show the stored templates: the page again, saying how many pictures were kept
        // (not while a warning waits to be read: then the link does it).
        shown.href = window.location.pathname + "?captured=" + kept;
        shown.hidden = false;
        if (!warning.textContent) {
          setTimeout(function () { window.location.replace(shown.href); }, RELOAD_MS);
        }
        return;
      }
      showStep();
      later(shoot, PREPARE_MS);
      return;
    }
    tries += 1;
    var why = label("reason-" + body.reason) || body.message || "";
    say(why + " " + label("try", { try: tries, tries: MAX_TRIES }), false);
    if (tries >= MAX_TRIES) {
      end();
      result.textContent = label("gave-up");
      retry.hidden = false;
      return;
    }
    later(shoot, RETRY_MS);
  }

  // Every "ready for face check-in" badge of the page follows the person's template count.
  function showReadiness(body) {
    document.querySelectorAll("[data-face-ready]").forEach(function (badge) {
      badge.setAttribute("data-face-ready", body.ready ? "yes" : "no");
      badge.classList.toggle("published", !!body.ready);
      badge.classList.toggle("face-not-ready", !body.ready);
      badge.textContent = label(body.ready ? "ready" : "not-ready");
    });
  }

  start.addEventListener("click", begin);
  retry.addEventListener("click", begin);
  stop.addEventListener("click", end);
})();
