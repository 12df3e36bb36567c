// Messages where the eye is. The flash of a redirect (.toast in .toasts, rendered by
// base.html) floats in view wherever the page was scrolled to: a message that something was
// done fades after a while (not while pointed at or focused), a problem stays until closed.
// A form shown again with errors is scrolled to its first bad field, which gets the focus.
// Other scripts may say something the same way: window.HopToast.show(text, "done"|"problem").
"use strict";
(() => {
  const DONE_MS = 8000;
  const box = document.querySelector(".toasts");

  function close(toast) {
    toast.remove();
  }

  function fadeLater(toast) {
    let timer = null;
    const start = () => {
      clearTimeout(timer);
      timer = setTimeout(() => close(toast), DONE_MS);
    };
    const stop = () => clearTimeout(timer);
    toast.addEventListener("mouseenter", stop);
    toast.addEventListener("mouseleave", start);
    toast.addEventListener("focusin", stop);
    toast.addEventListener("focusout", start);
    start();
  }

  function arm(toast) {
    const button = toast.querySelector(".toast-close");
    if (button) button.addEventListener("click", () => close(toast));
    if (toast.dataset.toast !== "problem") fadeLater(toast);
  }

  function show(text, kind) {
    if (!box) return;
    const toast = document.createElement("div");
    const problem = kind === "problem";
    toast.className = `toast toast-${problem ? "problem" : "done"} flash`;
    toast.dataset.toast = problem ? "problem" : "done";
    toast.setAttribute("role", problem ? "alert" : "status");
    const line = document.createElement("p");
    line.textContent = text;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "toast-close";
    button.textContent = "×";
    button.setAttribute("aria-label", box.dataset.close || "×");
    button.title = box.dataset.close || "";
    toast.append(line, button);
    box.append(toast);
    arm(toast);
  }

  // A form shown again with errors: bring its first problem into view, and focus the field.
  function showFirstError() {
    const main = document.getElementById("main");
    if (!main) return;
    const field = main.querySelector("[aria-invalid='true']");
    const message = main.querySelector(".field-error, .error[role='alert']");
    const target = field || message;
    if (!target) return;
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
    if (field && typeof field.focus === "function") field.focus({ preventScroll: true });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !box) return;
    const last = box.querySelector(".toast:last-child");
    if (last) close(last);
  });

  if (box) box.querySelectorAll(".toast").forEach(arm);
  showFirstError();
  window.HopToast = { show };
})();
