// Ask before a destructive form post: <form data-confirm="Question?">. With
// data-confirm-value, ask only when the button pressed carries that value.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  const only = form.dataset.confirmValue;
  const button = event.submitter;
  if (only && (!button || button.value !== only)) return;
  if (!window.confirm(form.dataset.confirm)) event.preventDefault();
});
