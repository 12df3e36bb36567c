// The delegate's ballot: choose, review, confirm, then "received at 10:42".
//
// Markup: <section data-ballot="POLL" data-ballot-key="KEY" [data-on-behalf-of="ID"]
// data-text-*="…"> with a <form class="ballot-form">. The choice being made is kept in
// sessionStorage by ballot key, so that a ballot replaced by the live layer (a fragment
// re-fetched after an event) comes back as it was. The nonce is kept there too until the
// ballot is acknowledged: a retry after a lost answer resends the same nonce, and the
// server counts it once. The ballot goes over the meeting's websocket (live.js) when it is
// open, over HTTP otherwise. A poll that confirms the voter's face (data-confirm-face) opens
// the camera first and sends the ballot with the permit the face check gives.
(function () {
  "use strict";
  var receipts = {};  // ballot key -> the receipt message, shown until the page goes away
  var SOCKET_ANSWER_MS = 4000;

  function store(name, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(name);
      else window.sessionStorage.setItem(name, value);
    } catch (e) { /* private mode: the ballot still works, it is just not remembered */ }
  }

  function load(name) {
    try { return window.sessionStorage.getItem(name); } catch (e) { return null; }
  }

  function text(section, name, values) {
    var message = section.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      message = message.replace("%(" + key + ")s", values[key]);
    });
    return message;
  }

  function newNonce() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function sectionOf(element) { return element.closest("[data-ballot]"); }
  function keyOf(section) { return section.getAttribute("data-ballot-key"); }

  // The form's current answer: {values: [...checked values], text, agree}.
  function answerOf(form) {
    var answer = { choice: [], text: "", agree: null };
    var inputs = form.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!input.checked) continue;
      if (input.name === "agree") answer.agree = input.value === "true";
      else answer.choice.push(input.value);
    }
    var area = form.querySelector("textarea[name=text]");
    if (area) answer.text = area.value;
    return answer;
  }

  function save(form) {
    var section = sectionOf(form);
    store("hop-ballot-" + keyOf(section), JSON.stringify(answerOf(form)));
  }

  function restore(section) {
    var form = section.querySelector(".ballot-form");
    var saved = load("hop-ballot-" + keyOf(section));
    if (form && saved) {
      var answer;
      try { answer = JSON.parse(saved); } catch (e) { return; }
      var inputs = form.querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        if (input.name === "agree") input.checked = answer.agree !== null && String(answer.agree) === input.value;
        else input.checked = answer.choice.indexOf(input.value) >= 0;
      }
      var area = form.querySelector("textarea[name=text]");
      if (area && answer.text) area.value = answer.text;
      var changing = section.querySelector("details.ballot-change");
      if (changing && answer.choice.length + (answer.text ? 1 : 0) > 0) changing.open = true;
    }
    if (receipts[keyOf(section)]) showReceived(section, receipts[keyOf(section)]);
  }

  function restoreAll() {
    var sections = document.querySelectorAll("[data-ballot]");
    for (var i = 0; i < sections.length; i++) restore(sections[i]);
  }

  // The ballot as the API takes it, or null when nothing is chosen.
  function ballotOf(form) {
    var kind = form.getAttribute("data-kind");
    var answer = answerOf(form);
    if (kind === "opinion") {
      if (!answer.text.trim() && answer.agree === null) return null;
      var body = { text: answer.text.trim() };
      if (answer.agree !== null) body.agree = answer.agree;
      return body;
    }
    var picked = answer.choice.filter(function (v) { return v !== "abstain"; });
    if (answer.choice.indexOf("abstain") >= 0 && picked.length === 0) return { choice: "abstain" };
    if (kind === "multiple") {
      var min = Number(form.getAttribute("data-min")), max = Number(form.getAttribute("data-max"));
      return picked.length >= Math.max(1, min) && picked.length <= max ? { choices: picked } : null;
    }
    return picked.length === 1 ? { choice: picked[0] } : null;
  }

  function summaryOf(form, section) {
    var parts = [];
    var inputs = form.querySelectorAll("input:checked");
    for (var i = 0; i < inputs.length; i++) {
      var label = inputs[i].closest("label");
      parts.push(label ? label.textContent.trim() : inputs[i].value);
    }
    var area = form.querySelector("textarea[name=text]");
    if (area && area.value.trim()) parts.push("“" + area.value.trim() + "”");
    return parts.join(", ") || text(section, "abstain");
  }

  function setStatus(form, message, isError) {
    var status = form.querySelector(".ballot-status");
    status.textContent = message;
    status.classList.toggle("error", !!isError);
  }

  function review(form) {
    var section = sectionOf(form);
    if (ballotOf(form) === null) return setStatus(form, text(section, "pick"), true);
    setStatus(form, "", false);
    form.querySelector(".ballot-summary").textContent = summaryOf(form, section);
    form.querySelector("fieldset").disabled = true;
    form.setAttribute("data-live-hold", "");  // the live layer leaves the form as it is
    form.querySelector("[data-action=review]").hidden = true;
    form.querySelector(".ballot-confirm").hidden = false;
    form.querySelector("[data-action=confirm]").focus();
  }

  function back(form) {
    form.querySelector("fieldset").disabled = false;
    form.querySelector("[data-action=review]").hidden = false;
    form.querySelector(".ballot-confirm").hidden = true;
    letGo(form);
  }

  function letGo(element) {
    var part = element.closest("[data-live-fragment]");
    element.removeAttribute("data-live-hold");
    if (part && window.HopLive) window.HopLive.release(part);
  }

  function timeOf(iso) {
    var options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh" };
    try { return new Date(iso).toLocaleTimeString("vi-VN", options); } catch (e) { return iso; }
  }

  function showReceived(section, message) {
    var box = section.querySelector(".ballot-received");
    if (!box) {
      box = document.createElement("div");
      box.className = "ballot-received";
      box.setAttribute("role", "status");
      section.appendChild(box);
    }
    box.textContent = "";
    message.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
  }

  function confirm(form) {
    var section = sectionOf(form);
    var key = keyOf(section);
    var body = ballotOf(form);
    if (body === null) return back(form);
    var nonceKey = "hop-ballot-nonce-" + key;
    var nonce = load(nonceKey) || newNonce();
    store(nonceKey, nonce);
    body.nonce = nonce;
    var onBehalfOf = section.getAttribute("data-on-behalf-of");
    if (onBehalfOf) body.on_behalf_of = Number(onBehalfOf);
    var button = form.querySelector("[data-action=confirm]");
    button.disabled = true;
    var ready = section.hasAttribute("data-confirm-face") ? faceCheck(section, form, body) : Promise.resolve(body);
    ready.then(function (checked) {
      if (checked === null) {  // the voter went back from the camera
        button.disabled = false;
        setStatus(form, "", false);
        return back(form);
      }
      send(section, form, checked, nonceKey, button);
    }).catch(function () {
      button.disabled = false;
      setStatus(form, text(section, "failed"), true);
    });
  }

  function send(section, form, body, nonceKey, button) {
    setStatus(form, text(section, "sending"), false);
    cast(Number(section.getAttribute("data-ballot")), body).then(function (answer) {
      button.disabled = false;
      if (!answer.ok) {
        store(nonceKey, null);  // refused for good: a new attempt is a new ballot
        back(form);
        return setStatus(form, answer.data.message || answer.data.detail || "", true);
      }
      accepted(section, form, answer.data);
    }).catch(function () {
      button.disabled = false;  // the nonce stays: confirming again resends the same ballot
      setStatus(form, text(section, "failed"), true);
    });
  }

  // Polls that confirm the voter's face: before the ballot goes, the tablet's camera shows
  // the face, a frame (a short burst where the meeting asks for liveness) goes to the server,
  // and the ballot is sent with the one-time permit it gives. Resolves to the ballot to send
  // (with its permit, or without one when the chair allowed the voter after a desk check),
  // or null when the voter goes back.
  function faceCheck(section, form, body) {
    var pollId = section.getAttribute("data-ballot");
    var query = body.on_behalf_of ? "?on_behalf_of=" + body.on_behalf_of : "";
    return fetch("/api/polls/" + pollId + "/face-check" + query, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("face-check " + response.status);
        return response.json();
      })
      .then(function (info) {
        if (!info.confirm_face || info.allowed_by_desk) return body;
        return new Promise(function (resolve) { openCamera(section, form, body, info, resolve); });
      });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function button(label, primary) {
    var node = element("button", primary ? "primary big" : "big", label);
    node.type = "button";
    return node;
  }

  function openCamera(section, form, body, info, resolve) {
    var panel = element("div", "face-check");
    var hint = element("p", "face-hint", text(section, info.liveness ? "face-live" : "face-look"));
    var video = element("video", "face-preview");
    video.autoplay = true;
    video.muted = true;
    video.setAttribute("playsinline", "");
    video.style.width = "100%";
    video.style.maxWidth = "360px";
    video.style.display = "block";
    var status = element("p", "face-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var take = button(text(section, "face-take"), true);
    var desk = button(text(section, "face-desk"), false);
    var goBack = button(text(section, "face-back"), false);
    desk.hidden = true;
    [hint, video, status, take, desk, goBack].forEach(function (node) { panel.appendChild(node); });
    // The camera takes the confirmation box's place until the face is checked or given up.
    var confirmBox = form.querySelector(".ballot-confirm");
    confirmBox.hidden = true;
    form.appendChild(panel);
    var stream = null;

    function finish(result) {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      panel.remove();
      confirmBox.hidden = false;
      resolve(result);
    }
    function refused(message) {
      status.textContent = message;
      status.classList.add("error");
      take.textContent = text(section, "face-again");
      take.disabled = false;
      desk.hidden = false;
    }
    goBack.addEventListener("click", function () { finish(null); });
    // Without a permit: the server takes the chair's desk permit, or refuses and says why.
    desk.addEventListener("click", function () { finish(body); });
    take.addEventListener("click", function () {
      take.disabled = true;
      status.classList.remove("error");
      status.textContent = text(section, "face-checking");
      burst(video, info.frames || 1, info.interval_ms || 250)
        .then(function (frames) { return sendFrames(section, body, frames); })
        .then(function (answer) {
          if (answer.ok) finish(Object.assign({}, body, { permit: answer.data.permit }));
          else refused(answer.data.message || answer.data.detail || "");
        })
        .catch(function () { refused(text(section, "failed")); });
    });

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      take.hidden = true;
      return refused(text(section, "face-camera"));
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: 640, height: 480 }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        take.focus();
      })
      .catch(function () {
        take.hidden = true;
        refused(text(section, "face-camera"));
      });
  }

  function grab(video) {
    return new Promise(function (resolve) {
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth || 640;
      canvas.height = video.videoHeight || 480;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(resolve, "image/jpeg", 0.85);
    });
  }

  // `count` frames, `gap` ms apart: enough for a blink or a head turn where liveness counts.
  function burst(video, count, gap) {
    var frames = [];
    var chain = Promise.resolve();
    for (var i = 0; i < count; i++) {
      chain = chain.then(function () {
        return grab(video).then(function (blob) { if (blob) frames.push(blob); });
      });
      if (i < count - 1) {
        chain = chain.then(function () {
          return new Promise(function (resolve) { setTimeout(resolve, gap); });
        });
      }
    }
    return chain.then(function () { return frames; });
  }

  function sendFrames(section, body, frames) {
    var data = new FormData();
    frames.forEach(function (blob, index) { data.append("frames", blob, "frame-" + index + ".jpg"); });
    if (body.on_behalf_of) data.append("on_behalf_of", String(body.on_behalf_of));
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch("/api/polls/" + section.getAttribute("data-ballot") + "/face-check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": meta ? meta.content : "" },
      body: data
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, data: answer }; });
    });
  }

  // Over the meeting's websocket when it is open (no new connection, no CSRF round), else
  // over HTTP; an unanswered socket falls back to HTTP with the same nonce, counted once.
  function cast(pollId, body) {
    return castOverSocket(pollId, body).then(function (answer) {
      return answer || castOverHttp(pollId, body);
    });
  }

  function castOverSocket(pollId, body) {
    return new Promise(function (resolve) {
      var live = window.HopLive, timer = null;
      function settle(answer) {
        clearTimeout(timer);
        document.removeEventListener("hop:ballot.ack", onAck);
        document.removeEventListener("hop:error", onError);
        resolve(answer);
      }
      function onAck(event) {
        if (event.detail.nonce === body.nonce) settle({ ok: true, data: event.detail });
      }
      function onError(event) {
        var error = event.detail;
        if (error.ref !== body.nonce) return;
        // A refusal is final; a server fault or a busy writer is worth the HTTP path.
        settle(error.status && error.status < 500 ? { ok: false, data: error } : null);
      }
      document.addEventListener("hop:ballot.ack", onAck);
      document.addEventListener("hop:error", onError);
      var message = Object.assign({ type: "ballot", poll_id: pollId }, body);
      if (!live || !live.send || !live.send(message)) return settle(null);
      timer = setTimeout(function () { settle(null); }, SOCKET_ANSWER_MS);
    });
  }

  function castOverHttp(pollId, body) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch("/api/polls/" + pollId + "/ballots", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function accepted(section, form, ack) {
    var key = keyOf(section);
    store("hop-ballot-nonce-" + key, null);
    store("hop-ballot-" + key, null);
    var lines = [text(section, "received", { time: timeOf(ack.received_at) })];
    if (ack.receipt) lines.push(text(section, "receipt", { code: ack.receipt }));
    receipts[key] = lines;
    var changing = form.closest("details.ballot-change");
    (changing || form).remove();
    showReceived(section, lines);
    letGo(section);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("ballot-form")) return;
    event.preventDefault();
    review(form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".ballot-form [data-action]");
    if (!button) return;
    var form = button.closest(".ballot-form");
    var action = button.getAttribute("data-action");
    if (action === "confirm") confirm(form);
    else if (action === "back") back(form);
  });

  function remember(event) {
    var form = event.target.closest && event.target.closest(".ballot-form");
    if (!form) return;
    // Abstaining and choosing exclude each other in a multiple-choice ballot.
    if (event.type === "change" && event.target.type === "checkbox" && event.target.checked) {
      var abstain = event.target.value === "abstain";
      var boxes = form.querySelectorAll("input[type=checkbox]");
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i] !== event.target && (boxes[i].value === "abstain") !== abstain) {
          boxes[i].checked = false;
        }
      }
    }
    save(form);
  }
  document.addEventListener("change", remember);
  document.addEventListener("input", remember);

  // A ballot fragment was replaced by the live layer: put back what was being chosen.
  document.addEventListener("hop:fragment", restoreAll);

  // live.js fetches the ballots (never under the person's hands); hop:fragment restores them.
  function refresh(holder) { window.HopLive.refresh(holder); }

  var holder = document.querySelector("[data-ballot-person]");
  if (!holder) return;
  // Checking in makes a delegate eligible: fetch their ballots again.
  document.addEventListener("hop:attendance.changed", function (event) {
    var data = (event.detail && event.detail.data) || {};
    if (String(data.person_id) === holder.getAttribute("data-ballot-person")) refresh(holder);
  });
  // A page reloaded mid-meeting resumes the live log instead of a snapshot: fetch now.
  refresh(holder);
})();
