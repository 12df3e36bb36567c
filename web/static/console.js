// The chair console: a secret ballot cannot be changed once cast, so the two options exclude
// each other in the poll templates.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.form || !/^(secret|allow_change)$/.test(input.name) || !input.checked) return;
    var other = input.form.elements[input.name === "secret" ? "allow_change" : "secret"];
    if (other) other.checked = false;
  });
})();
