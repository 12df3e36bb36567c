// Check-in desk: filter the invitee list as the secretary types (the server also filters ?q=).
(function () {
  "use strict";
  var input = document.querySelector("[data-desk-search]");
  if (!input) return;
  function apply() {
    var needle = input.value.trim().toLowerCase();
    var rows = document.querySelectorAll("[data-desk-row]");
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = needle !== "" && rows[i].getAttribute("data-desk-row").indexOf(needle) === -1;
    }
  }
  input.addEventListener("input", apply);
  // The list is re-fetched on every attendance change (live.js): keep the filter applied.
  document.addEventListener("hop:fragment", apply);
})();
