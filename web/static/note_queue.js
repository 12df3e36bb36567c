// Notes taken with the network off reach the server later, once each (loaded by base.html for a
// logged-in person; the reader calls it):
//   HopNoteQueue.send(documentId, payload) -> Promise<note | {queued: true, ...payload}>
//       POST /api/documents/ID/notes; when the network fails the payload waits in IndexedDB
//       under its client_id (made here when the payload has none).
//   HopNoteQueue.pending(documentId) -> Promise<[{queued: true, ...payload}]>  still waiting
//   HopNoteQueue.flush() -> Promise<void>  send what waits: on load, when the browser is back
//       online, and when the service worker has synced ({type: "flush-notes"}). The server
//       answers the same client_id again with the note it has: a resend makes no duplicate.
//   HopNoteQueue.failed() -> Promise<[{status, message, ...payload}]>  refused by the server
//       (4xx other than 401/403), kept to show; HopNoteQueue.clearFailed().
// Events on document: "hop:notes-queued" {detail: {pending}}, "hop:notes-flushed" {detail:
// {sent: [note], failed: [..], pending}}.
// Waiting notes belong to the person who wrote them (data-person on this script's tag): another
// person logged in on the tablet never sends them; logging out deletes them (Clear-Site-Data).
"use strict";
(() => {
  if (window.HopNoteQueue || !window.indexedDB) return;
  const DB_NAME = "hop-notes";
  const QUEUE = "queue";
  const FAILED = "failed";
  const script = document.currentScript;
  const person = (script && script.getAttribute("data-person")) || "";
  // Answers that mean "not now", not "never": keep the note and try again later.
  const LATER = new Set([401, 403, 408, 425, 429, 502, 503, 504]);
  let flushing = null;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(QUEUE, { keyPath: "client_id" });
        request.result.createObjectStore(FAILED, { keyPath: "client_id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // One short connection per operation: a logout's deleteDatabase is never blocked by us.
  async function inStore(name, mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(name, mode);
        const result = work(transaction.objectStore(name));
        transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  const all = (name) => inStore(name, "readonly", (store) => store.getAll());
  const put = (name, record) => inStore(name, "readwrite", (store) => store.put(record));
  const remove = (name, key) => inStore(name, "readwrite", (store) => store.delete(key));

  async function mine(name) {
    const records = (await all(name)) || [];
    return records.filter((record) => record.person === person);
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return `n-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(documentId, payload) {
    return fetch(`/api/documents/${encodeURIComponent(documentId)}/notes`, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "x-csrf-token": csrfToken(),
      },
      body: JSON.stringify(payload),
    });
  }

  function shown(record) {
    return { queued: true, document_id: record.document_id, ...record.payload };
  }

  function announce(kind, detail) {
    document.dispatchEvent(new CustomEvent(`hop:notes-${kind}`, { detail }));
  }

  async function queue(documentId, payload) {
    const record = {
      client_id: payload.client_id,
      document_id: Number(documentId),
      person,
      payload,
      queued_at: new Date().toISOString(),
    };
    await put(QUEUE, record);
    announce("queued", { pending: (await mine(QUEUE)).length });
    return shown(record);
  }

  async function refusal(response) {
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      /* not JSON */
    }
    const problem = new Error(body.message || body.detail || `HTTP ${response.status}`);
    problem.status = response.status;
    problem.body = body;
    return problem;
  }

  async function send(documentId, payload) {
    const body = { ...payload, client_id: (payload && payload.client_id) || newId() };
    if (navigator.onLine === false) return queue(documentId, body);
    let response;
    try {
      response = await post(documentId, body);
    } catch (error) {
      return queue(documentId, body); // the network failed: the note waits
    }
    if (response.ok) return response.json();
    if (response.status >= 502) return queue(documentId, body); // a proxy with no server behind
    throw await refusal(response);
  }

  async function pending(documentId) {
    const wanted = Number(documentId);
    return (await mine(QUEUE)).filter((record) => record.document_id === wanted).map(shown);
  }

  // Oldest first; stops at the first "not now" so that the order of a person's notes is kept.
  async function sendWaiting() {
    const waiting = (await mine(QUEUE)).sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
    const sent = [];
    const failed = [];
    for (const record of waiting) {
      let response;
      try {
        response = await post(record.document_id, record.payload);
      } catch (error) {
        break;
      }
      if (response.ok) {
        sent.push(await response.json().catch(() => shown(record)));
        await remove(QUEUE, record.client_id);
      } else if (LATER.has(response.status) || response.status >= 500) {
        break;
      } else {
        const problem = await refusal(response);
        console.warn("Hop: a queued note was refused", response.status, problem.message, record);
        const kept = { ...shown(record), queued: false, status: response.status, message: problem.message };
        await put(FAILED, { ...kept, person });
        await remove(QUEUE, record.client_id);
        failed.push(kept);
      }
    }
    announce("flushed", { sent, failed, pending: (await mine(QUEUE)).length });
  }

  function flush() {
    if (navigator.onLine === false) return Promise.resolve();
    if (!flushing) {
      flushing = sendWaiting()
        .catch((error) => console.warn("Hop: queued notes not sent", error))
        .finally(() => {
          flushing = null;
        });
    }
    return flushing;
  }

  async function failed() {
    return (await mine(FAILED)).map(({ person: _, ...rest }) => rest);
  }

  async function clearFailed() {
    for (const record of await mine(FAILED)) await remove(FAILED, record.client_id);
  }

  window.HopNoteQueue = { send, pending, flush, failed, clearFailed };
  window.addEventListener("online", () => flush());
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "flush-notes") flush();
    });
  }
  if (person) flush();
})();
