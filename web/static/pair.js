// The pairing screen: ask every two seconds whether the secretariat has entered the code,
// then open the screen's page; a new code when this one has expired. Refused a code (too many
// from this address), it tries again once the wait is over.
"use strict";
(() => {
  const refused = document.querySelector("[data-retry-after]");
  if (refused) {
    const seconds = Number(refused.getAttribute("data-retry-after")) || 60;
    window.setTimeout(() => window.location.reload(), seconds * 1000);
    return;
  }
  const poll = async () => {
    try {
      const answer = await fetch("/pair/status", { credentials: "same-origin", cache: "no-store" });
      if (answer.status === 410) return window.location.reload();
      const body = await answer.json();
      if (body.status === "paired" && body.url.startsWith("/")) return window.location.replace(body.url);
    } catch (error) {
      // The network may blink in a hall: keep asking.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
})();
