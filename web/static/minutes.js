// The minutes page: while the draft form holds edits not yet saved, the buttons marked
// data-needs-saved (finalise) are disabled and the note marked data-unsaved-note says why,
// since finalising locks the stored draft and would silently drop those edits.
"use strict";
(() => {
  const form = document.querySelector("form[data-unsaved-guard]");
  if (!form) return;
  const fields = () => [...form.querySelectorAll("input:not([type=hidden]), textarea")];
  const update = () => {
    const unsaved = fields().some((field) => field.value !== field.defaultValue);
    for (const button of document.querySelectorAll("[data-needs-saved]")) {
      button.disabled = unsaved;
    }
    for (const note of document.querySelectorAll("[data-unsaved-note]")) {
      note.hidden = !unsaved;
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // A reload or Back may refill the fields with what was typed before.
  window.addEventListener("pageshow", update);
  update();
})();
