// Hop live client: follows a meeting over its websocket and applies events to the page.
//
// Markup hooks (no page-specific code here):
//   <body data-live-meeting="ID" [data-live-token="DEVICE TOKEN"]>   turns the client on
//   data-live-fragment="URL" data-live-on="type type …"  re-fetch URL into the element on those
//                                                        events (and after a snapshot)
//   data-live-expires="SECONDS" (inside a fragment)      re-fetch the fragment after SECONDS: what
//                                                        it shows changes with time alone
//   data-agenda-item="ID" [data-title="TITLE"]           gets class "current" and aria-current
//                                                        when it is the current item
//   data-live-field="status|current_title"               text set from meeting events, or from
//                                                        data-label-VALUE / data-label-none
//   data-live-show="NAME"                                hidden while field NAME is empty
//   data-progress="SUBJECT" with children data-field="NAME"  absolute counts, never backwards
//   data-live-class="PREFIX" (with data-live-field)       class PREFIX+VALUE follows the value
//   data-timer-from="ISO" [data-timer-limit="SECONDS"] data-timer-now="SERVER ISO"
//                                                        a clock ticking from ISO, or counting
//                                                        down the limit (class "overrun" after)
//   <body data-live-spread="MS">                         spread of fragment re-fetches (below)
//   <body data-live-revoked="TITLE" data-live-revoked-detail="TEXT">  a device screen: when its
//                                                        token is revoked (close code 4001) the
//                                                        whole screen says so
// Pages may also listen: document.addEventListener("hop:TYPE", e => e.detail).
//
// Fragment re-fetches are spread: after an event each fragment waits a random 0 to 1500 ms
// (data-live-spread on <body>; 0 for a single screen such as the projector) before it asks the
// server again, so that 50 tablets do not send their 50 requests in the same instant and a
// staff member's next click does not queue behind them. Events for the same fragment within
// that wait make one fetch; an event that comes while its fetch is in flight makes one more
// right after it (the answer in flight may predate the event; few screens are mid-fetch at
// that moment, and a part must not change late, under the person's hand). The page's first
// snapshot fetches at once.
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
  var spreadAttr = body.getAttribute("data-live-spread");
  var SPREAD_MS = spreadAttr === null || isNaN(Number(spreadAttr)) ? 1500 : Number(spreadAttr);
  var snapshotSeen = false;
  var currentItemId;  // undefined until the socket says (a snapshot or an event)

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
      if (event.code === 4001 && body.hasAttribute("data-live-revoked")) return revoked();
      if (event.code === 1008 || event.code === 4001) {
        badge(true);  // refused or revoked: retrying will not help until the page reloads
        return;
      }
      // 1012: that server process is stopping (it said {"type":"reconnect"} first); another
      // takes the screen at once, from the last sequence seen, within the first, shortest spread.
      if (event.code === 1012) attempt = 0;
      scheduleReconnect();
    };
  }

  function revoked() {
    // A device screen whose token was revoked: say so over the whole screen, in the page's
    // language; it stays until someone pairs the screen again.
    var notice = document.createElement("div");
    notice.className = "screen-notice";
    notice.setAttribute("role", "alert");
    var title = document.createElement("h2");
    title.textContent = body.getAttribute("data-live-revoked");
    var detail = document.createElement("p");
    detail.textContent = body.getAttribute("data-live-revoked-detail") || "";
    notice.appendChild(title);
    notice.appendChild(detail);
    body.appendChild(notice);
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
    if (message.type === "ping" || message.type === "pong" || message.type === "reconnect") return;
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
    currentItemId = itemId;
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
    var shown = document.querySelectorAll('[data-live-show="' + name + '"]');
    for (var j = 0; j < shown.length; j++) shown[j].hidden = value === null || value === "";
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
    var first = type === "snapshot" && !snapshotSeen;
    if (type === "snapshot") snapshotSeen = true;
    var parts = document.querySelectorAll("[data-live-fragment]");
    for (var i = 0; i < parts.length; i++) {
      var wanted = (parts[i].getAttribute("data-live-on") || "").split(/\s+/);
      if (type === "snapshot" || wanted.indexOf(type) >= 0) {
        schedule(parts[i], first ? 0 : Math.random() * SPREAD_MS);
      }
    }
  }

  function schedule(element, delay) {
    var state = stateOf(element);
    if (state.timer) return;  // a fetch is planned: it will see this change too
    if (state.busy) { state.again = true; return; }
    state.timer = setTimeout(function () {
      state.timer = null;
      fetchInto(element);
    }, delay);
  }

  function stateOf(element) {
    if (!element.hopLive) element.hopLive = { timer: null, busy: false, again: false, expiry: null };
    return element.hopLive;
  }

  // A part the person is typing or choosing in, or that holds a step under way (a ballot being
  // confirmed: data-live-hold), is never replaced; it is marked stale and fetched afterwards.
  function holding(element) {
    var focused = element.contains(document.activeElement) && document.activeElement !== document.body;
    return focused || element.querySelector("[data-live-hold]") !== null;
  }

  function fetchInto(element) {
    if (holding(element)) {
      element.setAttribute("data-live-stale", "1");
      return;
    }
    var state = stateOf(element);
    var target = element.getAttribute("data-live-fragment");
    var headers = token ? { Authorization: "Bearer " + token } : {};
    state.busy = true;
    fetch(target, { credentials: "same-origin", headers: headers })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // The answer may come after the person started something here: checked again.
        if (html !== null && holding(element)) element.setAttribute("data-live-stale", "1");
        else if (html !== null) {
          element.innerHTML = html;
          element.removeAttribute("data-live-stale");
          afterFragment(element);
          document.dispatchEvent(new CustomEvent("hop:fragment", { detail: element }));
        }
      })
      .catch(function () { /* the next event or snapshot refreshes it */ })
      .then(function () {
        state.busy = false;
        if (state.again) {
          state.again = false;
          schedule(element, 0);
        }
      });
  }

  function afterFragment(element) {
    // The live state wins over a fragment's: an event may have come while it was in flight.
    if (currentItemId !== undefined && element.querySelector("[data-agenda-item]")) {
      markCurrent(currentItemId, null);
    }
    watchExpiry(element);
  }

  function watchExpiry(element) {
    var state = stateOf(element);
    clearTimeout(state.expiry);
    var marked = element.querySelector("[data-live-expires]");
    var seconds = marked ? Number(marked.getAttribute("data-live-expires")) : NaN;
    // A moment late, so that the server's clock has passed the end too.
    if (seconds > 0) state.expiry = setTimeout(function () { schedule(element, 0); }, seconds * 1000 + 500);
  }

  document.addEventListener("focusout", function (event) {
    var stale = event.target.closest && event.target.closest("[data-live-stale]");
    if (stale) setTimeout(function () { release(stale); }, 0);
  });

  // A stale part is fetched once nothing holds it any more.
  function release(element) {
    if (element.hasAttribute("data-live-stale") && !holding(element)) fetchInto(element);
  }

  var served = document.querySelectorAll("[data-live-fragment]");
  for (var k = 0; k < served.length; k++) watchExpiry(served[k]);

  document.addEventListener("hop:fragment", tickTimers);
  setInterval(tickTimers, 1000);
  tickTimers();

  window.HopLive = {
    lastSeq: function () { return lastSeq; },
    // Fetch a live part now (it waits while the person is busy in it).
    refresh: fetchInto,
    // A step under way in a part ended (data-live-hold removed): catch up if it went stale.
    release: function (element) {
      var part = element.closest("[data-live-fragment]");
      if (part) release(part);
    },
    // A message over the open socket (ballots); false when it is not open, to fall back on HTTP.
    send: function (message) {
      if (!socket || socket.readyState !== 1) return false;
      socket.send(JSON.stringify(message));
      return true;
    }
  };
  connect();
})();
