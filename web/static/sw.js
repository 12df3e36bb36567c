// Hop's service worker (served at /sw.js, scope "/"): the logged-in person's meetings of the
// coming days stay readable with the network off.
//
// What to keep comes from GET /api/my/offline (web/pages/offline.py), fetched when a page asks
// for a sync (offline.js posts {type: "sync"}): the room and its parts, each published
// document's reader page, file (and PDF rendering of Office files) and notes, and the static
// files. One cache per meeting ("hop-p<person>-m<meeting>"), so that a meeting leaving the list
// (closed, cancelled, no longer the person's) is dropped whole; one for static files.
//
// Strategies: pages and API answers network first (the copy is refreshed on the way, and used
// when the network fails or hangs); document files at a version and static files cache first
// (a version of a document never changes; static files are dropped when the server's change).
//
// Wiping: the login page, a 401 or a redirect to /login on the person's own requests (session
// ended or device revoked) delete every cache and tell the pages; logout also sends
// Clear-Site-Data.
//
// Messages to the pages: {type: "progress", done, total} (documents), {type: "ready",
// meetings: [ids], documents, failed}, {type: "offline"}, {type: "wiped"}, {type: "flush-notes"}.
"use strict";

const PREFIX = "hop-";
const STATIC = `${PREFIX}static`;
const STATE = "/__hop-offline/state"; // an entry of each cache: what it was filled from
const NETWORK_WAIT_MS = 6000; // a hall network that hangs is as good as none
const PARALLEL = 3; // fetches at once while filling: the hall's other tablets share the network
const PREFETCH = { "x-hop-prefetch": "1" };

class SignedOut extends Error {}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  const kind = event.data && event.data.type;
  // A page that loaded while this worker was still starting is taken over here: its own
  // requests then come through (to a kept copy offline, and a 401 is seen).
  if (kind === "sync") event.waitUntil(self.clients.claim().then(sync));
  else if (kind === "wipe") event.waitUntil(wipe());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/login") {
    // Where a logout, an ended session or a revoked device lands: nothing stays behind.
    if (request.mode === "navigate") event.waitUntil(wipe());
    return;
  }
  if (url.pathname === "/sw.js" || url.pathname.startsWith("/ws/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFirst(request));
  } else if (versionedFile(url)) {
    event.respondWith(fileFirst(request));
  } else if (request.mode === "navigate" || url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/room/") || url.pathname === "/my") {
    event.respondWith(networkFirst(request)); // the room's parts, fetched by live.js
  }
});

// A document's file at a version: /api/documents/ID/content?version=N (or /rendition).
function versionedFile(url) {
  const keys = [...url.searchParams.keys()];
  return (
    /^\/api\/documents\/\d+\/(content|rendition)$/.test(url.pathname) &&
    keys.length === 1 &&
    keys[0] === "version"
  );
}

// ---- Serving ----

async function staticFirst(request) {
  // Only a signed-in person's fill (keepAssets) makes the assets' cache: the login page a
  // logout lands on loads its own assets after the wipe and must not bring a cache back.
  if (!(await caches.has(STATIC))) return fetch(request);
  const cache = await caches.open(STATIC);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.status === 200 && !response.redirected) {
    await cache.put(request, response.clone()).catch(() => {});
  }
  return response;
}

async function fileFirst(request) {
  const kept = await lookup(request, false);
  if (kept) {
    const range = request.headers.get("range");
    return range ? sliced(kept.response, range) : kept.response;
  }
  return guarded(request, await fetch(request));
}

async function networkFirst(request) {
  const kept = await lookup(request, false);
  try {
    const response = await guarded(request, await patiently(fetch(request), Boolean(kept)));
    if (kept && response.status === 200 && !response.redirected) {
      await kept.cache.put(request, response.clone()).catch(() => {});
    }
    return response;
  } catch (error) {
    // A page asked for with other parameters (?q=, ?lang=) is better than none offline.
    const fallback = kept || (request.mode === "navigate" ? await lookup(request, true) : null);
    if (fallback) return fallback.response;
    return Response.error();
  }
}

// A fetch that gives up after NETWORK_WAIT_MS when there is a kept copy to show instead.
function patiently(fetching, hasCopy) {
  if (!hasCopy) return fetching;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the network does not answer")), NETWORK_WAIT_MS);
    fetching.then(
      (response) => {
        clearTimeout(timer);
        resolve(response);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

// The person's own request answered "log in again": their session ended or their device was
// revoked, so what was kept for them goes.
async function guarded(request, response) {
  if (signedOut(response) && new URL(request.url).pathname !== "/api/login") {
    await wipe();
  }
  return response;
}

function signedOut(response) {
  if (response.status === 401) return true;
  return response.redirected && new URL(response.url).pathname === "/login";
}

// The kept copy of a request, in any of the person's meeting caches, and that cache.
async function lookup(request, ignoreSearch) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX) || name === STATIC) continue;
    const cache = await caches.open(name);
    const response = await cache.match(request, { ignoreVary: true, ignoreSearch });
    if (response) return { cache, response };
  }
  return null;
}

// A kept whole file answering a Range request (PDF.js reads big files by ranges).
async function sliced(response, header) {
  const blob = await response.blob();
  const size = blob.size;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) {
    return new Response(blob, { status: 200, headers: response.headers });
  }
  let start;
  let end;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
  }
  const headers = new Headers(response.headers);
  headers.set("content-range", `bytes ${start}-${end}/${size}`);
  headers.set("content-length", String(end - start + 1));
  return new Response(blob.slice(start, end + 1), { status: 206, headers });
}

// ---- Filling the caches ----

let syncing = null;

function sync() {
  if (!syncing) {
    syncing = fill().finally(() => {
      syncing = null;
    });
  }
  return syncing;
}

async function fill() {
  let response;
  try {
    response = await fetch("/api/my/offline", {
      credentials: "same-origin",
      cache: "no-store",
      headers: { accept: "application/json" },
    });
  } catch (error) {
    await tell({ type: "offline" });
    return;
  }
  if (signedOut(response)) {
    await wipe();
    return;
  }
  if (!response.ok) return;
  const manifest = await response.json();
  try {
    await keepAssets(manifest);
    await dropOthers(manifest);
    await keepShell(manifest);
    await keepMeetings(manifest);
  } catch (error) {
    if (error instanceof SignedOut) await wipe();
    else await tell({ type: "offline" });
  }
}

function cacheName(manifest, meeting) {
  return `${PREFIX}p${manifest.person_id}-m${meeting.id}`;
}

function shellName(manifest) {
  return `${PREFIX}p${manifest.person_id}-shell`;
}

// Meetings no longer listed, and another person's meetings, go whole.
async function dropOthers(manifest) {
  const wanted = new Set(manifest.meetings.map((meeting) => cacheName(manifest, meeting)));
  wanted.add(shellName(manifest));
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== STATIC && !wanted.has(name)) {
      await caches.delete(name);
    }
  }
}

async function keepAssets(manifest) {
  const old = await readState(await caches.open(STATIC));
  if (old && old.assets_version !== manifest.assets_version) await caches.delete(STATIC);
  const cache = await caches.open(STATIC);
  const missing = [];
  for (const url of manifest.assets) {
    if (!(await cache.match(url, { ignoreVary: true }))) missing.push(url);
  }
  await inTurn(missing, (url) => keep(cache, url, {}));
  await writeState(cache, { assets_version: manifest.assets_version });
}

// The person's start page ("my meetings"): kept once, then refreshed whenever it is opened
// online (networkFirst).
async function keepShell(manifest) {
  const cache = await caches.open(shellName(manifest));
  for (const url of manifest.shell) {
    if (!(await cache.match(url))) await keep(cache, url, {});
  }
}

async function keepMeetings(manifest) {
  const total = manifest.meetings.reduce((sum, meeting) => sum + meeting.documents.length, 0);
  let done = 0;
  let failed = 0;
  await tell({ type: "progress", done, total });
  for (const meeting of manifest.meetings) {
    const cache = await caches.open(cacheName(manifest, meeting));
    const old = (await readState(cache)) || { stamp: null, documents: {} };
    const fresh = old.stamp !== meeting.stamp;
    for (const url of meeting.urls) {
      if (fresh || !(await cache.match(url))) failed += (await keep(cache, url, {})) ? 0 : 1;
    }
    await inTurn(meeting.documents, async (doc) => {
      const changed = old.documents[doc.id] !== doc.version;
      for (const url of doc.urls) {
        if (!changed && (await cache.match(url))) continue;
        const ranged = versionedFile(new URL(url, self.location.origin));
        failed += (await keep(cache, url, ranged ? { range: "bytes=0-" } : {})) ? 0 : 1;
      }
      done += 1;
      await tell({ type: "progress", done, total });
    });
    await forgetOthers(cache, meeting);
    const versions = Object.fromEntries(meeting.documents.map((doc) => [doc.id, doc.version]));
    await writeState(cache, { stamp: meeting.stamp, documents: versions });
  }
  const meetings = manifest.meetings.map((meeting) => meeting.id);
  await tell({ type: "ready", meetings, documents: total, failed });
  await tell({ type: "flush-notes" });
}

// Entries of a meeting that are no longer listed (an older version's file, a removed document).
async function forgetOthers(cache, meeting) {
  const wanted = new Set([...meeting.urls, ...meeting.documents.flatMap((doc) => doc.urls), STATE]);
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (!wanted.has(url.pathname + url.search)) await cache.delete(request);
  }
}

// Fetch one URL into the cache; false when it could not be kept (a missing rendition, a
// route this server lacks), SignedOut when the session ended.
async function keep(cache, url, extra) {
  const response = await fetch(url, {
    credentials: "same-origin",
    cache: "no-store",
    headers: { ...PREFETCH, ...extra },
  });
  if (signedOut(response)) throw new SignedOut();
  if (response.redirected) return false; // a redirected answer cannot serve a page later
  const whole = await wholeOf(response);
  if (!whole) return false;
  await cache.put(url, whole);
  return true;
}

// A document's file is fetched with "Range: bytes=0-" (a range fetch records no read, unlike
// the person opening it): its 206 answer holding the whole file is kept as a plain 200.
async function wholeOf(response) {
  if (response.status === 200) return response;
  if (response.status !== 206) return null;
  const range = /^bytes 0-(\d+)\/(\d+)$/.exec(response.headers.get("content-range") || "");
  if (!range || Number(range[1]) + 1 !== Number(range[2])) return null;
  const headers = new Headers(response.headers);
  headers.delete("content-range");
  headers.set("content-length", range[2]);
  return new Response(await response.blob(), { status: 200, headers });
}

async function inTurn(items, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

async function readState(cache) {
  const response = await cache.match(STATE);
  return response ? response.json() : null;
}

function writeState(cache, state) {
  const headers = { "content-type": "application/json" };
  return cache.put(STATE, new Response(JSON.stringify(state), { headers }));
}

// ---- Wiping and telling ----

async function wipe() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(PREFIX)).map((n) => caches.delete(n)));
  await tell({ type: "wiped" });
}

async function tell(message) {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) page.postMessage(message);
}
