// The delegate's ballot: choose, review, confirm, then "received at 10:42".
//
// Markup: <section data-ballot="POLL" data-ballot-key="KEY" [data-on-behalf-of="ID"]
// data-text-*="…"> with a <form class="ballot-form">. The choice being made is kept in
// sessionStorage by ballot key, so that a ballot replaced by the live layer (a fragment
// re-fetched after an event) comes back as it was. The nonce is kept there too until the
// ballot is acknowledged: a retry after a lost answer resends the same nonce, and the
// server counts it once. The ballot goes over the meeting's websocket (live.js) when it is
// open, over HTTP otherwise.
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
    form.querySelector("[data-action=review]").hidden = true;
    form.querySelector(".ballot-confirm").hidden = false;
    form.querySelector("[data-action=confirm]").focus();
  }

  function back(form) {
    form.querySelector("fieldset").disabled = false;
    form.querySelector("[data-action=review]").hidden = false;
    form.querySelector(".ballot-confirm").hidden = true;
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

  function refresh(holder) {
    if (holder.contains(document.activeElement) && document.activeElement !== document.body) return;
    fetch(holder.getAttribute("data-live-fragment"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) { holder.innerHTML = html; restoreAll(); }
      })
      .catch(function () { /* the next poll event refreshes it */ });
  }

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
