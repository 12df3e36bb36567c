// Buttons marked data-print print the page (an inline onclick would be blocked by the CSP).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
