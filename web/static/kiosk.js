// Hop kiosk: camera frames to /ws/kiosk/{meeting} as JPEG, boxes and greetings from the answers.
//
// One frame in flight: the next is sent as soon as the answer arrives (or after a timeout), at
// most MAX_FPS per second, so a slow server never builds a backlog (it keeps only the newest).
(function () {
  "use strict";
  var body = document.body;
  var meetingId = body.getAttribute("data-kiosk-meeting");
  var token = body.getAttribute("data-kiosk-token");
  var video = document.getElementById("kiosk-video");
  var overlay = document.getElementById("kiosk-overlay");
  var greeting = document.getElementById("kiosk-greeting");
  var confirmBox = document.getElementById("kiosk-confirm");
  var capture = document.createElement("canvas");
  var MAX_FPS = 4, ANSWER_TIMEOUT_MS = 2000, MAX_WIDTH = 640, GREETING_MS = 4000;
  var socket = null, waiting = false, sentAt = 0, attempt = 0, greetTimer = null;
  var closed = body.getAttribute("data-kiosk-accepting") === "no";
  // Enrolment mode (started by the desk): frames paced for a person following instructions.
  var enrolling = null, enrolDueAt = 0, ENROL_PREPARE_MS = 1500, ENROL_RETRY_MS = 1200;
  var enrolPanel = document.getElementById("kiosk-enrol");
  var COLORS = { checked_in: "#2ecc71", present: "#2ecc71", confirm: "#ffd166",
    unknown: "#e74c3c", detecting: "#5dade2", blink: "#ffd166" };

  function label(name, values) {
    var text = body.getAttribute("data-label-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }

  function say(text, ok) {
    greeting.textContent = text;
    greeting.classList.toggle("ok", !!ok);
  }

  function greet(person) {
    var text = label("hello", { name: person.name });
    if (person.seat) text += " — " + label("seat", { seat: person.seat });
    say(text, true);
    clearTimeout(greetTimer);
    greetTimer = setTimeout(function () { greetTimer = null; say("", false); }, GREETING_MS);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/kiosk/" + meetingId +
      "?token=" + encodeURIComponent(token));
    socket.binaryType = "arraybuffer";
    socket.onopen = function () { attempt = 0; waiting = false; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = function (event) {
      if (closed) return;
      if (event.code === 1008) { say(label("offline"), false); return; }
      attempt += 1;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, attempt)) * Math.random());
    };
  }

  // The meeting no longer takes check-ins: say so, stop the camera, never reconnect.
  function close(message) {
    closed = true;
    clearTimeout(greetTimer);
    say(label(message.status === "cancelled" ? "cancelled" : "closed"), false);
    greeting.classList.add("kiosk-closed");
    confirmBox.hidden = true;
    document.getElementById("kiosk-stage").hidden = true;
    document.getElementById("kiosk-hint").hidden = true;
    if (video.srcObject) video.srcObject.getTracks().forEach(function (t) { t.stop(); });
  }

  function handle(message) {
    if (message.type === "closed") { close(message); return; }
    if (message.type === "faces" || message.type === "error") {
      waiting = false;
      // The answer frees the next frame now, not at the next tick: a person at the door is
      // greeted up to a tick sooner.
      if (Date.now() - sentAt >= 1000 / MAX_FPS) send();
    }
    if (message.type.indexOf("enrol") === 0) { enrol(message); return; }
    if (message.type === "faces") {
      draw(message);
      (message.checked_in || []).forEach(greet);
      offer(message.faces || []);
    } else if (message.type === "confirmed") {
      confirmBox.hidden = true;
      if (message.name) greet(message);
    }
  }

  function draw(message) {
    overlay.width = message.width || overlay.width;
    overlay.height = message.height || overlay.height;
    var ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    ctx.lineWidth = 4;
    ctx.font = "bold 22px sans-serif";
    (message.faces || []).forEach(function (face) {
      var b = face.box, color = COLORS[face.state] || "#fff";
      ctx.strokeStyle = color;
      ctx.strokeRect(b.left, b.top, b.right - b.left, b.bottom - b.top);
      var text = face.name || (face.state === "unknown" ? "?" : "");
      if (face.state === "blink") text = label("blink");
      if (!text) return;
      // The overlay is mirrored like the video: write the text un-mirrored.
      ctx.save();
      ctx.scale(-1, 1);
      ctx.fillStyle = color;
      ctx.fillText(text, -b.right, Math.max(b.top - 8, 20));
      ctx.restore();
    });
    var unknown = (message.faces || []).some(function (f) { return f.state === "unknown"; });
    if (unknown && !(message.checked_in || []).length && !greetTimer) say(label("unknown"), false);
  }

  function offer(faces) {
    var names = [];
    faces.forEach(function (face) {
      if (face.state === "confirm") names = names.concat(face.candidates || []);
    });
    if (!names.length) return;
    confirmBox.innerHTML = "";
    var prompt = document.createElement("p");
    prompt.textContent = label("confirm");
    confirmBox.appendChild(prompt);
    names.forEach(function (person) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = person.name + (person.seat ? " · " + person.seat : "");
      button.addEventListener("click", function () {
        if (socket && socket.readyState === 1) {
          socket.send(JSON.stringify({ type: "confirm", person_id: person.person_id }));
        }
      });
      confirmBox.appendChild(button);
    });
    confirmBox.hidden = false;
  }

  function tick() {
    if (closed) return;
    send();
    setTimeout(tick, 1000 / MAX_FPS);
  }

  function send() {
    var now = Date.now();
    var due = (!waiting || now - sentAt > ANSWER_TIMEOUT_MS) && (!enrolling || now >= enrolDueAt);
    if (!closed && due && socket && socket.readyState === 1 && video.videoWidth) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      capture.width = Math.round(video.videoWidth * scale);
      capture.height = Math.round(video.videoHeight * scale);
      capture.getContext("2d").drawImage(video, 0, 0, capture.width, capture.height);
      waiting = true;
      sentAt = now;
      capture.toBlob(function (blob) {
        if (blob && socket && socket.readyState === 1) socket.send(blob);
      }, "image/jpeg", 0.8);
    }
  }

  // The desk's enrolment: the steps on screen instead of check-in, then back to check-in.
  function enrol(message) {
    var text = function (id, value) { document.getElementById(id).textContent = value; };
    if (message.type !== "enrol") waiting = false;
    if (message.type === "enrol") {
      enrolling = message;
      text("kiosk-enrol-title", label("enrol-title", { name: message.name }));
      text("kiosk-enrol-feedback", "");
      overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
      confirmBox.hidden = true;
      say("", false);
    }
    var feedback = document.getElementById("kiosk-enrol-feedback");
    if (message.judged) {
      var why = message.accepted ? label("accepted") : label("reason-" + message.reason);
      if (!message.accepted) why += " " + label("try", { try: message.tries, tries: message.max_tries });
      feedback.textContent = why;
      feedback.classList.toggle("is-accepted", !!message.accepted);
      feedback.classList.toggle("is-refused", !message.accepted);
    }
    enrolDueAt = Date.now() + (message.accepted === false ? ENROL_RETRY_MS : ENROL_PREPARE_MS);
    if (message.type === "enrol_end") {
      enrolling = null;
      enrolPanel.hidden = true;
      document.getElementById("kiosk-hint").hidden = false;
      say(label("enrol-" + message.outcome, { count: message.kept }), message.outcome === "done");
      clearTimeout(greetTimer);
      greetTimer = setTimeout(function () { greetTimer = null; say("", false); }, GREETING_MS);
      return;
    }
    enrolling = message;
    enrolPanel.hidden = false;
    document.getElementById("kiosk-hint").hidden = true;
    text("kiosk-enrol-progress", label("progress", { step: message.index + 1, total: message.steps.length }));
    text("kiosk-enrol-instruction", label("step-" + message.step));
    enrolPanel.querySelectorAll("[data-capture-step]").forEach(function (item, i) {
      item.classList.toggle("is-done", i < message.index);
      item.classList.toggle("is-current", i === message.index);
    });
  }

  document.getElementById("kiosk-fullscreen").addEventListener("click", function () {
    if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });

  if (closed) return;  // the page already says why: no camera, no socket
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(label("camera"), false);
    return;
  }
  navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: "user" }, audio: false })
    .then(function (stream) {
      video.srcObject = stream;
      connect();
      tick();
    })
    .catch(function () { say(label("camera"), false); });
})();
