// The meeting room: announce what the live layer changed, without moving the page (the current
// item has its own line, kept by live.js: data-live-field="current_title").
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) return;
  function say(label, text) {
    var note = document.createElement("p");
    note.className = "live-notice";
    note.textContent = label + ": " + text;
    box.appendChild(note);
    setTimeout(function () { note.remove(); }, 15000);
  }
  document.addEventListener("hop:document.published", function (e) {
    say(box.getAttribute("data-text-published"), e.detail.data.title);
  });
  document.addEventListener("hop:document.updated", function (e) {
    say(box.getAttribute("data-text-updated"), e.detail.data.title);
  });
})();
