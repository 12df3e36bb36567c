// Reading offline, the page's side (loaded by base.html for a logged-in person, and on the login
// page to wipe): registers the service worker (/sw.js), asks it to keep the person's meetings
// when the page is online, and says where things stand in the room's status line
// (#offline-status: "Available offline", "Saving 3/12 documents…", "Offline: reading saved
// copies"). The login page (data-offline="wipe" on this script's tag) and the logout button
// delete what was kept: the next person on the tablet finds nothing.
"use strict";
(() => {
  if (!("serviceWorker" in navigator) || !window.caches) return;
  const script = document.currentScript;
  const wiping = script && script.getAttribute("data-offline") === "wipe";
  const status = document.getElementById("offline-status");
  const roomMatch = /^\/room\/(\d+)(\/|$)/.exec(window.location.pathname);
  const meetingId = roomMatch ? Number(roomMatch[1]) : null;
  let kept = null; // whether this page's meeting is kept offline, once the worker has said

  async function wipe() {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("hop-")).map((n) => caches.delete(n)));
  }

  function forgetNotes() {
    return new Promise((resolve) => {
      const request = indexedDB.deleteDatabase("hop-notes");
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }

  if (wiping) {
    wipe();
    return;
  }

  function say(kind, values) {
    if (!status) return;
    let text = status.getAttribute(`data-text-${kind}`) || "";
    for (const [name, value] of Object.entries(values || {})) {
      text = text.replace(`%(${name})s`, String(value));
    }
    status.textContent = text;
    status.setAttribute("data-state", kind);
    status.hidden = !text;
  }

  function offline() {
    if (kept !== false) say("offline");
  }

  function onMessage(event) {
    const message = event.data || {};
    if (message.type === "progress" && message.total > 0 && message.done < message.total) {
      say("saving", { done: message.done, total: message.total });
    } else if (message.type === "ready") {
      kept = meetingId === null || message.meetings.includes(meetingId);
      if (kept) say("ready");
      else say("none");
    } else if (message.type === "offline") {
      offline();
    } else if (message.type === "wiped") {
      kept = false;
      say("none");
    }
  }

  function sync() {
    if (navigator.onLine === false) return;
    navigator.serviceWorker.ready.then((registration) => {
      if (registration.active) registration.active.postMessage({ type: "sync" });
    });
  }

  // Logging out deletes what was kept before the form goes (Clear-Site-Data does it too, where
  // the browser supports it).
  function armLogout() {
    const form = document.querySelector('form[action="/logout"]');
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const gone = Promise.all([wipe(), forgetNotes()]);
      const late = new Promise((resolve) => setTimeout(resolve, 1500));
      Promise.race([gone, late]).finally(() => form.submit());
    });
  }

  navigator.serviceWorker.addEventListener("message", onMessage);
  navigator.serviceWorker.startMessages();
  window.addEventListener("offline", offline);
  window.addEventListener("online", sync);
  armLogout();
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(sync, (error) => {
    console.warn("Hop: reading offline is not available", error);
  });
  if (navigator.onLine === false) offline();
})();
