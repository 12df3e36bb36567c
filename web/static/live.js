// Hop live client: follows a meeting over its websocket and applies events to the page.
//
// Markup hooks (no page-specific code here):
//   <body data-live-meeting="ID" [data-live-token="DEVICE TOKEN"]>   turns the client on
//   data-live-fragment="URL" data-live-on="type type …"  re-fetch URL into the element on those
//                                                        events (and after a snapshot)
//   data-agenda-item="ID"                                gets class "current" when it is current
//   data-live-field="status|current_title"               text set from meeting events, or from
//                                                        data-label-VALUE / data-label-none
//   data-progress="SUBJECT" with children data-field="NAME"  absolute counts, never backwards
//   data-live-class="PREFIX" (with data-live-field)       class PREFIX+VALUE follows the value
//   data-timer-from="ISO" [data-timer-limit="SECONDS"] data-timer-now="SERVER ISO"
//                                                        a clock ticking from ISO, or counting
//                                                        down the limit (class "overrun" after)
// Pages may also listen: document.addEventListener("hop:TYPE", e => e.detail).
(function () {
  "use strict";
  var body = document.body;
  var meetingId = body.getAttribute("data-live-meeting");
  if (!meetingId) return;
  var token = body.getAttribute("data-live-token");
  var storageKey = "hop-live-seq-" + meetingId;
  var lastSeq = readSeq();
  var socket = null;
  var attempt = 0;
  var badgeTimer = null;
  var pingTimer = null;
  var progressVersions = {};
  var GRACE_MS = 3000;

  function readSeq() {
    try {
      var value = window.sessionStorage.getItem(storageKey);
      return value === null ? null : Number(value);
    } catch (e) {
      return null;
    }
  }

  function saveSeq(seq) {
    lastSeq = seq;
    try { window.sessionStorage.setItem(storageKey, String(seq)); } catch (e) { /* private mode */ }
  }

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = [];
    if (lastSeq !== null && !isNaN(lastSeq)) query.push("after=" + lastSeq);
    if (token) query.push("token=" + encodeURIComponent(token));
    return scheme + window.location.host + "/ws/meetings/" + meetingId +
      (query.length ? "?" + query.join("&") : "");
  }

  function badge(show) {
    var el = document.getElementById("live-badge");
    if (!el) {
      el = document.createElement("div");
      el.id = "live-badge";
      el.className = "live-badge";
      el.setAttribute("role", "status");
      el.textContent = body.getAttribute("data-live-reconnecting") || "Reconnecting…";
      body.appendChild(el);
    }
    el.hidden = !show;
  }

  function connect() {
    socket = new WebSocket(url());
    socket.onopen = function () {
      attempt = 0;
      clearTimeout(badgeTimer);
      badgeTimer = null;
      badge(false);
      body.classList.add("live-connected");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === 1) socket.send('{"type":"ping"}');
      }, 20000);
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = function (event) {
      body.classList.remove("live-connected");
      clearInterval(pingTimer);
      if (event.code === 1008 || event.code === 4001) {
        badge(true);  // refused or revoked: retrying will not help until the page reloads
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    // Full jitter, so a hall of tablets does not come back in one wave after a restart; a
    // ceiling of 5 s, so that after a short outage no screen waits long to come back.
    var ceiling = Math.min(5000, 500 * Math.pow(2, attempt));
    attempt += 1;
    if (!badgeTimer) badgeTimer = setTimeout(function () { badge(true); }, GRACE_MS);
    setTimeout(connect, Math.random() * ceiling);
  }

  function handle(message) {
    if (message.type === "ping" || message.type === "pong") return;
    if (typeof message.seq === "number") saveSeq(message.seq);
    if (message.type === "progress") return applyProgress(message.data || {});
    if (message.type === "snapshot") applySnapshot(message.data || {});
    if (message.type === "meeting.current_item") markCurrent(message.data.item_id, message.data.title);
    if (message.type === "meeting.status") setField("status", message.data.status);
    refreshFragments(message.type);
    document.dispatchEvent(new CustomEvent("hop:" + message.type, { detail: message }));
  }

  function applySnapshot(data) {
    if (data.meeting) {
      markCurrent(data.meeting.current_item_id, null);
      setField("status", data.meeting.status);
    }
  }

  function markCurrent(itemId, title) {
    var items = document.querySelectorAll("[data-agenda-item]");
    for (var i = 0; i < items.length; i++) {
      var current = String(items[i].getAttribute("data-agenda-item")) === String(itemId);
      items[i].classList.toggle("current", current);
      if (current) items[i].setAttribute("aria-current", "step");
      else items[i].removeAttribute("aria-current");
      if (current && title === null) title = items[i].getAttribute("data-title");
    }
    if (title !== undefined) setField("current_title", title || "");
  }

  function setField(name, value) {
    var fields = document.querySelectorAll('[data-live-field="' + name + '"]');
    for (var i = 0; i < fields.length; i++) {
      // data-label-none: what an empty field says (the projector's "waiting for the chair").
      var key = value === null || value === "" ? "none" : value;
      var label = fields[i].getAttribute("data-label-" + key);
      fields[i].textContent = label || (value === null ? "" : String(value));
      var prefix = fields[i].getAttribute("data-live-class");
      if (prefix && value) swapClass(fields[i], prefix, prefix + value);
    }
  }

  function swapClass(element, prefix, wanted) {
    var names = element.className.split(/\s+/).filter(function (name) {
      return name && name.indexOf(prefix) !== 0;
    });
    names.push(wanted);
    element.className = names.join(" ");
  }

  function tickTimers() {
    var timers = document.querySelectorAll("[data-timer-from]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var from = Date.parse(el.getAttribute("data-timer-from"));
      if (isNaN(from)) continue;
      // The server's clock counts: a projector's own clock may be minutes off.
      if (el.hopSkew === undefined) {
        var serverNow = Date.parse(el.getAttribute("data-timer-now") || "");
        el.hopSkew = isNaN(serverNow) ? 0 : serverNow - Date.now();
      }
      var seconds = Math.max(0, Math.floor((Date.now() + el.hopSkew - from) / 1000));
      var limit = el.getAttribute("data-timer-limit");
      if (limit !== null && limit !== "") {
        seconds = Number(limit) - seconds;
        el.classList.toggle("overrun", seconds < 0);
      }
      el.textContent = clock(seconds);
    }
  }

  function clock(seconds) {
    var sign = seconds < 0 ? "−" : "";
    var total = Math.abs(seconds);
    var rest = total % 60;
    return sign + Math.floor(total / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function applyProgress(data) {
    var subject = data.subject;
    var version = typeof data.version === "number" ? data.version : 0;
    if (progressVersions[subject] !== undefined && version < progressVersions[subject]) return;
    progressVersions[subject] = version;
    var boxes = document.querySelectorAll('[data-progress="' + subject + '"]');
    for (var i = 0; i < boxes.length; i++) {
      var fields = boxes[i].querySelectorAll("[data-field]");
      for (var j = 0; j < fields.length; j++) {
        var name = fields[j].getAttribute("data-field");
        if (data[name] === undefined) continue;
        var label = fields[j].getAttribute("data-label-" + String(data[name]));
        fields[j].textContent = label !== null ? label : String(data[name]);
      }
      var bar = boxes[i].querySelector("progress");
      if (bar && typeof data.done === "number" && typeof data.total === "number") {
        bar.max = Math.max(1, data.total);
        bar.value = data.done;
      }
    }
    document.dispatchEvent(new CustomEvent("hop:progress", { detail: data }));
  }

  function refreshFragments(type) {
    var parts = document.querySelectorAll("[data-live-fragment]");
    for (var i = 0; i < parts.length; i++) {
      var wanted = (parts[i].getAttribute("data-live-on") || "").split(/\s+/);
      if (type === "snapshot" || wanted.indexOf(type) >= 0) fetchInto(parts[i]);
    }
  }

  function fetchInto(element) {
    // Never replace a part the person is typing or choosing in.
    if (element.contains(document.activeElement) && document.activeElement !== document.body) {
      element.setAttribute("data-live-stale", "1");
      return;
    }
    var target = element.getAttribute("data-live-fragment");
    var headers = token ? { Authorization: "Bearer " + token } : {};
    fetch(target, { credentials: "same-origin", headers: headers })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          element.innerHTML = html;
          element.removeAttribute("data-live-stale");
          document.dispatchEvent(new CustomEvent("hop:fragment", { detail: element }));
        }
      })
      .catch(function () { /* the next event or snapshot refreshes it */ });
  }

  document.addEventListener("focusout", function (event) {
    var stale = event.target.closest && event.target.closest("[data-live-stale]");
    if (stale) setTimeout(function () {
      if (!stale.contains(document.activeElement)) fetchInto(stale);
    }, 0);
  });

  document.addEventListener("hop:fragment", tickTimers);
  setInterval(tickTimers, 1000);
  tickTimers();

  window.HopLive = {
    lastSeq: function () { return lastSeq; },
    // A message over the open socket (ballots); false when it is not open, to fall back on HTTP.
    send: function (message) {
      if (!socket || socket.readyState !== 1) return false;
      socket.send(JSON.stringify(message));
      return true;
    }
  };
  connect();
})();
