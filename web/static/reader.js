// The document reader: PDF.js's viewer components (pdfjs-dist, served by Hop under
// /static/vendor/pdfjs) render a PDF, or the PDF rendering of an Office file, page by page as
// they scroll into view. Around them: page thumbnails, go to page, zoom and fit width, find in
// the document, its outline, pinch and swipe, and the reader's own notes and highlights
// (the notes API: /api/documents/{id}/notes, sent through window.HopNoteQueue when the offline
// queue is there).
const root = document.getElementById("reader");
if (root) {
  start(root).catch((error) => showFailure(error && error.message ? error.message : String(error)));
}

const CONTEXT = 64; // characters of text kept before and after a quote (the API keeps 64)
const SWIPE_PX = 70;
const $ = (id) => document.getElementById(id);

let labels = null;

function words(key, values = {}) {
  labels = labels || JSON.parse(root.dataset.labels || "{}");
  return (labels[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function showFailure(message) {
  $("reader-status").textContent = "";
  $("reader-failed-why").textContent = message || words("failed");
  $("reader-failed").hidden = false;
}

async function start(element) {
  fitHeight(element);
  const base = element.dataset.pdfjs;
  // pdf_viewer.mjs reads the library from globalThis.pdfjsLib, so it is imported after it.
  const pdfjsLib = await import(`${base}/build/pdf.min.mjs`);
  globalThis.pdfjsLib = pdfjsLib;
  const components = await import(`${base}/web/pdf_viewer.mjs`);
  pdfjsLib.GlobalWorkerOptions.workerSrc = `${base}/build/pdf.worker.min.mjs`;
  const reader = new Reader(element, pdfjsLib, components);
  window.HopReader = reader; // for the browser tests and the benchmark
  await reader.open();
}

// The reader fills the screen below its top, so the pages scroll inside it; when its top is far
// down (a phone, under the page's heading) it takes the whole screen once scrolled to.
function fitHeight(element) {
  const apply = () => {
    const top = element.getBoundingClientRect().top + window.scrollY;
    const above = top > window.innerHeight * 0.4 ? 0 : top;
    const rest = Math.max(window.innerHeight - above - 8, 352);
    element.style.setProperty("--reader-height", `${rest}px`);
  };
  apply();
  window.addEventListener("resize", apply);
}

class Reader {
  constructor(element, pdfjsLib, components) {
    this.root = element;
    this.lib = pdfjsLib;
    this.documentId = Number(element.dataset.documentId);
    this.version = Number(element.dataset.version);
    this.container = $("reader-container");
    this.notes = new Notes(this);
    const { EventBus, PDFLinkService, PDFFindController, PDFViewer, LinkTarget } = components;
    this.eventBus = new EventBus();
    this.linkService = new PDFLinkService({
      eventBus: this.eventBus,
      externalLinkTarget: LinkTarget.BLANK,
      externalLinkRel: "noopener noreferrer nofollow",
    });
    this.findController = new PDFFindController({
      eventBus: this.eventBus,
      linkService: this.linkService,
    });
    this.viewer = new PDFViewer({
      container: this.container,
      viewer: $("reader-viewer"),
      eventBus: this.eventBus,
      linkService: this.linkService,
      findController: this.findController,
      annotationMode: pdfjsLib.AnnotationMode.ENABLE, // links, but no form filling
      supportsPinchToZoom: false, // our own pinch handler below
    });
    this.linkService.setViewer(this.viewer);
    this.thumbs = new Thumbnails(this);
    this.listen();
  }

  async open() {
    const base = this.root.dataset.pdfjs;
    const url = this.root.dataset.sourceUrl;
    const task = this.lib.getDocument({
      url,
      isEvalSupported: false, // the CSP allows no eval
      useWasm: false, // nor WebAssembly: PDF.js then uses its JavaScript image decoders
      wasmUrl: `${base}/wasm/`,
      cMapUrl: `${base}/cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${base}/standard_fonts/`,
      enableXfa: false,
    });
    let pdf;
    try {
      pdf = await task.promise;
    } catch (error) {
      showFailure(await whyNotLoaded(url, error));
      return;
    }
    this.pdf = pdf;
    this.viewer.setDocument(pdf);
    this.linkService.setDocument(pdf, null);
    $("reader-total").textContent = `/ ${pdf.numPages}`;
    $("reader-page").max = String(pdf.numPages);
    this.thumbs.build(pdf);
    this.showOutline(pdf);
    this.notes.load();
  }

  listen() {
    const bus = this.eventBus;
    bus.on("pagesinit", () => this.onPagesInit());
    bus.on("pagechanging", ({ pageNumber }) => this.onPageChanging(pageNumber));
    bus.on("scalechanging", ({ scale }) => {
      $("reader-zoom").textContent = `${Math.round(scale * 100)}%`;
    });
    bus.on("textlayerrendered", ({ pageNumber }) => this.notes.drawPage(pageNumber));
    bus.on("pagerendered", ({ pageNumber }) => {
      $("reader-status").textContent = "";
      this.notes.drawPage(pageNumber);
    });
    bus.on("updatefindmatchescount", ({ matchesCount }) => this.showMatches(matchesCount));
    bus.on("updatefindcontrolstate", ({ state, matchesCount }) => {
      if (state === 1) {
        $("reader-find-count").textContent = words("no_match"); // FindState.NOT_FOUND
      } else {
        this.showMatches(matchesCount);
      }
    });
    $("reader-prev").addEventListener("click", () => this.viewer.previousPage());
    $("reader-next").addEventListener("click", () => this.viewer.nextPage());
    $("reader-page").addEventListener("change", (event) => this.goTo(Number(event.target.value)));
    $("reader-zoom-in").addEventListener("click", () => this.viewer.increaseScale());
    $("reader-zoom-out").addEventListener("click", () => this.viewer.decreaseScale());
    $("reader-fit").addEventListener("click", () => {
      this.viewer.currentScaleValue = "page-width";
    });
    this.listenFind();
    this.listenPanels();
    window.addEventListener("hashchange", () => this.goTo(pageInHash()));
    new Gestures(this).listen();
    this.refitOnResize();
  }

  // PDF.js keeps the scale when its container changes width (a side panel opened, the tablet
  // turned): a fitted page is fitted again.
  refitOnResize() {
    let width = this.container.clientWidth;
    new ResizeObserver(() => {
      const preset = this.viewer.currentScaleValue;
      if (this.container.clientWidth === width || !this.pdf) {
        return;
      }
      width = this.container.clientWidth;
      if (["page-width", "page-fit", "auto"].includes(preset)) {
        this.viewer.currentScaleValue = preset;
      }
    }).observe(this.container);
  }

  onPagesInit() {
    // Fit width: what a tablet held either way needs to read a page without panning.
    this.viewer.currentScaleValue = "page-width";
    const page = pageInHash();
    if (page) {
      this.goTo(page);
    }
    const query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      $("reader-find-q").value = query;
      this.startFind(query, page || 1);
    }
  }

  onPageChanging(pageNumber) {
    $("reader-page").value = String(pageNumber);
    this.thumbs.mark(pageNumber);
    // The address says the page, so a reload or a shared link opens it again.
    const url = new URL(window.location.href);
    url.hash = `page=${pageNumber}`;
    window.history.replaceState(window.history.state, "", url);
  }

  goTo(pageNumber) {
    if (!this.pdf || !Number.isInteger(pageNumber)) {
      return;
    }
    const page = Math.min(Math.max(pageNumber, 1), this.pdf.numPages);
    this.viewer.currentPageNumber = page;
    $("reader-page").value = String(page);
  }

  listenFind() {
    const box = $("reader-find-q");
    let typing = null;
    box.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => this.startFind(box.value, this.viewer.currentPageNumber), 300);
    });
    $("reader-find").addEventListener("submit", (event) => {
      event.preventDefault();
      this.find("again", false);
    });
    $("reader-find-prev").addEventListener("click", () => this.find("again", true));
  }

  // A new search. Accents may be left out, as in the meeting's search: PDF.js ignores the
  // marks (matchDiacritics: false) but not "đ", a letter of its own, so the words are first
  // looked for, folded, in the page's text and the text as written there is searched for.
  async startFind(query, pageNumber) {
    this.query = (await this.asWritten(query.trim(), pageNumber)) || query.trim();
    this.find("", false);
  }

  find(type, findPrevious) {
    if (!this.query) {
      $("reader-find-count").textContent = "";
    }
    this.eventBus.dispatch("find", {
      source: this,
      type,
      query: this.query || "",
      caseSensitive: false,
      entireWord: false,
      highlightAll: true,
      findPrevious,
      matchDiacritics: false,
    });
  }

  async asWritten(query, pageNumber) {
    if (!query || !this.pdf || !/[dD]/.test(query)) {
      return null;
    }
    try {
      const page = await this.pdf.getPage(pageNumber);
      const content = await page.getTextContent();
      const text = content.items.map((item) => item.str + (item.hasEOL ? " " : "")).join("");
      const folded = foldWithMap(text);
      const at = folded.text.indexOf(fold(query));
      if (at < 0) {
        return null;
      }
      const end = folded.map[at + fold(query).length - 1] + 1;
      return text.slice(folded.map[at], end);
    } catch {
      return null;
    }
  }

  showMatches(matchesCount) {
    const total = matchesCount ? matchesCount.total : 0;
    $("reader-find-count").textContent = total
      ? words("matches", { current: matchesCount.current, total })
      : "";
  }

  listenPanels() {
    const narrow = () => this.root.clientWidth < 900;
    const panels = {
      "reader-thumbs-toggle": "reader-thumbs",
      "reader-outline-toggle": "reader-outline",
      "reader-notes-toggle": "reader-notes",
    };
    for (const [button, panel] of Object.entries(panels)) {
      $(button).addEventListener("click", () => {
        const open = $(panel).hidden;
        if (open && narrow()) {
          // One overlay at a time on a small screen.
          Object.keys(panels).forEach((other) => this.setPanel(other, panels[other], false));
        }
        this.setPanel(button, panel, open);
      });
    }
    // A tablet in landscape or a desktop starts with the thumbnails beside the pages.
    this.setPanel("reader-thumbs-toggle", "reader-thumbs", !narrow());
  }

  setPanel(button, panel, open) {
    $(panel).hidden = !open;
    $(button).setAttribute("aria-expanded", String(open));
    if (open && panel === "reader-thumbs") {
      this.thumbs.mark(this.viewer.currentPageNumber);
    }
  }

  openPanel(panel) {
    const button = `${panel}-toggle`;
    if ($(panel).hidden) {
      $(button).click();
    }
  }

  closeOverlays() {
    if (this.root.clientWidth >= 900) {
      return;
    }
    this.setPanel("reader-thumbs-toggle", "reader-thumbs", false);
    this.setPanel("reader-outline-toggle", "reader-outline", false);
  }

  async showOutline(pdf) {
    const outline = await pdf.getOutline().catch(() => null);
    if (!outline || outline.length === 0) {
      return;
    }
    $("reader-outline-tree").append(this.outlineList(outline));
    $("reader-outline-toggle").hidden = false;
  }

  outlineList(items) {
    const list = document.createElement("ul");
    for (const item of items) {
      const entry = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = item.title;
      button.addEventListener("click", () => {
        if (item.dest) {
          this.linkService.goToDestination(item.dest);
        } else if (item.url) {
          window.open(item.url, "_blank", "noopener");
        }
        this.closeOverlays();
      });
      entry.append(button);
      if (item.items && item.items.length) {
        entry.append(this.outlineList(item.items));
      }
      list.append(entry);
    }
    return list;
  }
}

// Why the file did not open: the rendition's own message (no LibreOffice, a conversion that
// failed) when the server answered with one.
async function whyNotLoaded(url, error) {
  if (error && error.status) {
    try {
      const answer = await fetch(url, { headers: { accept: "application/json" } });
      const body = await answer.json();
      if (body && typeof body.detail === "string") {
        return body.detail;
      }
    } catch {
      // not JSON: the general message below
    }
  }
  return words("failed");
}

function pageInHash() {
  const match = /(?:^#|&)page=(\d+)/.exec(window.location.hash);
  return match ? Number(match[1]) : null;
}

// Lower case, no accents, "đ" as "d", single spaces: as meetings/fold.py folds for the search.
function fold(text) {
  return foldWithMap(text).text;
}

function foldWithMap(text) {
  let out = "";
  const map = [];
  let space = false;
  for (let i = 0; i < text.length; i += 1) {
    const plain = text[i]
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .toLowerCase();
    for (const ch of plain) {
      if (/\s/.test(ch)) {
        if (space || out.length === 0) {
          continue;
        }
        space = true;
        out += " ";
      } else {
        space = false;
        out += ch;
      }
      map.push(i);
    }
  }
  return { text: out, map };
}

// Page thumbnails: small canvases drawn only when they scroll into view, one at a time, so that
// a hundred pages cost nothing until looked at.
class Thumbnails {
  constructor(reader) {
    this.reader = reader;
    this.list = $("reader-thumb-list");
    this.queue = Promise.resolve();
  }

  async build(pdf) {
    const first = await pdf.getPage(1);
    const { width, height } = first.getViewport({ scale: 1 });
    const observer = new IntersectionObserver((entries) => this.onSeen(entries, observer), {
      root: $("reader-thumbs"),
      rootMargin: "200px 0px",
    });
    const items = [];
    for (let number = 1; number <= pdf.numPages; number += 1) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "reader-thumb";
      button.dataset.page = String(number);
      button.setAttribute("aria-label", words("page", { page: number }));
      const canvas = document.createElement("canvas");
      canvas.width = 100;
      canvas.height = Math.round((100 * height) / width);
      const label = document.createElement("span");
      label.textContent = String(number);
      button.append(canvas, label);
      button.addEventListener("click", () => {
        this.reader.goTo(number);
        this.reader.closeOverlays();
      });
      const item = document.createElement("li");
      item.append(button);
      items.push(item);
      observer.observe(button);
    }
    this.list.append(...items);
    this.mark(this.reader.viewer.currentPageNumber || 1);
  }

  onSeen(entries, observer) {
    for (const entry of entries) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        this.queue = this.queue.then(() => this.draw(entry.target)).catch(() => {});
      }
    }
  }

  async draw(button) {
    const page = await this.reader.pdf.getPage(Number(button.dataset.page));
    const canvas = button.querySelector("canvas");
    const scale = (2 * 100) / page.getViewport({ scale: 1 }).width; // sharp at 2x pixel density
    const viewport = page.getViewport({ scale });
    canvas.width = Math.round(viewport.width);
    canvas.height = Math.round(viewport.height);
    await page.render({ canvas, viewport }).promise;
    button.dataset.drawn = "true";
  }

  mark(pageNumber) {
    for (const current of this.list.querySelectorAll('[aria-current="page"]')) {
      current.removeAttribute("aria-current");
    }
    const button = this.list.querySelector(`[data-page="${pageNumber}"]`);
    if (button) {
      button.setAttribute("aria-current", "page");
      if (!$("reader-thumbs").hidden) {
        button.scrollIntoView({ block: "nearest" });
      }
    }
  }
}

// Touch: two fingers zoom the document around their middle; a quick horizontal swipe turns
// the page when the page fits the width (otherwise the finger pans the zoomed page).
class Gestures {
  constructor(reader) {
    this.reader = reader;
    this.container = reader.container;
    this.pinch = null;
    this.swipe = null;
  }

  listen() {
    const options = { passive: false };
    this.container.addEventListener("touchstart", (event) => this.onStart(event), options);
    this.container.addEventListener("touchmove", (event) => this.onMove(event), options);
    this.container.addEventListener("touchend", (event) => this.onEnd(event));
    this.container.addEventListener("touchcancel", () => {
      this.pinch = null;
      this.swipe = null;
    });
  }

  onStart(event) {
    if (event.touches.length === 2) {
      event.preventDefault();
      this.swipe = null;
      this.pinch = { distance: spread(event.touches) };
    } else if (event.touches.length === 1) {
      const touch = event.touches[0];
      this.swipe = { x: touch.clientX, y: touch.clientY, at: performance.now() };
    }
  }

  onMove(event) {
    if (!this.pinch || event.touches.length !== 2) {
      return;
    }
    event.preventDefault();
    const distance = spread(event.touches);
    const factor = distance / this.pinch.distance;
    if (Math.abs(factor - 1) < 0.03) {
      return;
    }
    this.pinch.distance = distance;
    const [a, b] = event.touches;
    this.reader.viewer.updateScale({
      scaleFactor: factor,
      drawingDelay: 400, // scaled by CSS while the fingers move; drawn sharp after
      origin: [(a.clientX + b.clientX) / 2, (a.clientY + b.clientY) / 2],
    });
  }

  onEnd(event) {
    if (this.pinch) {
      if (event.touches.length < 2) {
        this.pinch = null;
      }
      return;
    }
    const start = this.swipe;
    this.swipe = null;
    if (!start || event.changedTouches.length !== 1) {
      return;
    }
    const touch = event.changedTouches[0];
    const dx = touch.clientX - start.x;
    const dy = touch.clientY - start.y;
    const quick = performance.now() - start.at < 700;
    const fits = this.container.scrollWidth <= this.container.clientWidth + 2;
    const selecting = !window.getSelection().isCollapsed;
    if (quick && fits && !selecting && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > 2 * Math.abs(dy)) {
      if (dx < 0) {
        this.reader.viewer.nextPage();
      } else {
        this.reader.viewer.previousPage();
      }
    }
  }
}

function spread(touches) {
  const [a, b] = touches;
  return Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY) || 1;
}

// The page's text as its text layer holds it: the text nodes in order, a line break as "\n";
// each node with where its text starts, to go from a DOM point to an offset and back.
function layerText(layer) {
  const parts = [];
  let text = "";
  const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      parts.push({ node, start: text.length });
      text += node.data;
    } else if (node.tagName === "BR") {
      text += "\n";
    }
  }
  return { text, parts };
}

function offsetOf(info, container, offset) {
  if (container.nodeType === Node.TEXT_NODE) {
    const part = info.parts.find((candidate) => candidate.node === container);
    if (part) {
      return part.start + offset;
    }
  }
  // A point between elements: the text before it ends where the next text node starts.
  const point = document.createRange();
  point.setStart(container, offset);
  const next = info.parts.find((part) => point.comparePoint(part.node, 0) >= 0);
  return next ? next.start : info.text.length;
}

function pointAt(info, offset) {
  for (const part of info.parts) {
    if (offset <= part.start + part.node.data.length) {
      return [part.node, Math.max(0, offset - part.start)];
    }
  }
  const last = info.parts[info.parts.length - 1];
  return [last.node, last.node.data.length];
}

// Single spaces, and for each character kept the offset it had.
function squashWithMap(text) {
  let out = "";
  const map = [];
  for (let i = 0; i < text.length; i += 1) {
    if (/\s/.test(text[i])) {
      if (out.endsWith(" ")) {
        continue;
      }
      out += " ";
    } else {
      out += text[i];
    }
    map.push(i);
  }
  return { text: out, map };
}

function squash(text) {
  return text.replace(/\s+/g, " ");
}

// A quote of the page's text from offset start to end, as the notes API anchors it.
function quoteOf(info, start, end) {
  return {
    exact: squash(info.text.slice(start, end)).trim(),
    prefix: squash(info.text.slice(Math.max(0, start - 2 * CONTEXT), start)).slice(-CONTEXT),
    suffix: squash(info.text.slice(end, end + 2 * CONTEXT)).slice(0, CONTEXT),
  };
}

// Where a quote is in the page's text: of its occurrences, the one whose text around it is
// most like the quote's prefix and suffix.
function findQuote(info, quote) {
  const exact = squash(quote.exact || "").trim();
  if (!exact) {
    return null;
  }
  const page = squashWithMap(info.text);
  let best = null;
  for (let at = page.text.indexOf(exact); at >= 0; at = page.text.indexOf(exact, at + 1)) {
    const before = page.text.slice(0, at);
    const after = page.text.slice(at + exact.length);
    const score =
      sharedEnd(before, squash(quote.prefix || "")) + sharedStart(after, squash(quote.suffix || ""));
    if (!best || score > best.score) {
      best = { at, score };
    }
  }
  if (!best) {
    return null;
  }
  const last = best.at + exact.length - 1;
  return [page.map[best.at], page.map[last] + 1];
}

function sharedEnd(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) {
    n += 1;
  }
  return n;
}

function sharedStart(a, b) {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) {
    n += 1;
  }
  return n;
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, path, body) {
  const init = { method, headers: { "x-csrf-token": csrfToken() }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  if (!answer.ok) {
    let detail = "";
    try {
      const problem = await answer.json();
      detail = typeof problem.detail === "string" ? problem.detail : "";
    } catch {
      // no JSON body
    }
    const error = new Error(detail || `${answer.status}`);
    error.status = answer.status;
    throw error;
  }
  return answer.status === 204 ? null : answer.json();
}

// The reader's notes: the list beside the pages, the marks on them, making new ones from a
// selection or a pin, sharing and deleting.
class Notes {
  constructor(reader) {
    this.reader = reader;
    this.items = [];
    this.pending = null; // what the note form will save
    this.pinning = false;
    this.listen();
  }

  get path() {
    return `/api/documents/${this.reader.documentId}/notes`;
  }

  // The server's notes (or the service worker's copy of them offline), and the notes taken
  // offline that still wait in the queue, after a reload too.
  async load() {
    let saved = null;
    try {
      saved = (await api("GET", this.path)).items;
    } catch {
      saved = null; // offline with no copy kept, or the notes service is not there
    }
    const waiting = await this.waiting();
    if (saved === null && waiting.length === 0) return;
    const known = saved || this.items.filter((note) => !note.queued);
    const sent = new Set(known.map((note) => note.client_id));
    this.items = [...known, ...waiting.filter((note) => !sent.has(note.client_id))];
    this.render();
    this.redrawAll();
    this.openFromAddress();
  }

  async waiting() {
    const queue = window.HopNoteQueue;
    const shown = this.items.filter((note) => note.queued);
    if (!queue) return shown;
    try {
      const kept = await queue.pending(this.reader.documentId);
      const ids = new Set(kept.map((note) => note.client_id));
      return [...kept.map((note) => ({ ...note, id: null, anchor: "anchored" })),
        ...shown.filter((note) => !ids.has(note.client_id))];
    } catch {
      return shown; // IndexedDB refused (a private window): what this page queued itself
    }
  }

  openFromAddress() {
    const wanted = Number(new URLSearchParams(window.location.search).get("note"));
    const note = wanted && this.items.find((item) => item.id === wanted);
    if (note && !this.opened) {
      this.opened = true;
      this.reader.openPanel("reader-notes");
      this.show(note);
    }
  }

  listen() {
    document.addEventListener("selectionchange", () => {
      clearTimeout(this.selecting);
      this.selecting = setTimeout(() => this.onSelection(), 200);
    });
    const popover = $("reader-popover");
    // Pressing a button must not drop the selection it is about.
    popover.addEventListener("pointerdown", (event) => event.preventDefault());
    $("reader-highlight").addEventListener("click", () => this.save({ body: "", shared: false }));
    $("reader-annotate").addEventListener("click", () => this.openForm());
    $("reader-note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save({ body: $("reader-note-body").value, shared: $("reader-note-shared").checked });
    });
    $("reader-note-cancel").addEventListener("click", () => this.closeForm());
    $("reader-pin").addEventListener("click", () => this.setPinning(!this.pinning));
    this.reader.container.addEventListener("click", (event) => this.onPageClick(event));
    window.addEventListener("online", () => setTimeout(() => this.load(), 2000));
    // The queue sent what waited (back online, or the service worker synced): show the saved.
    document.addEventListener("hop:notes-flushed", (event) => {
      if (event.detail && event.detail.sent && event.detail.sent.length) this.load();
    });
    // Escape leaves whatever note is being made.
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        $("reader-popover").hidden = true;
        this.setPinning(false);
        if (!$("reader-note-form").hidden) {
          this.closeForm();
        }
      }
    });
  }

  setPinning(on) {
    this.pinning = on;
    $("reader-pin").setAttribute("aria-pressed", String(on));
    this.reader.container.classList.toggle("is-pinning", on);
    $("reader-status").textContent = on ? words("pin_hint") : "";
  }

  // A selection inside one page's text layer offers to highlight it or to note on it.
  onSelection() {
    const selection = window.getSelection();
    const popover = $("reader-popover");
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      popover.hidden = true;
      return;
    }
    const range = selection.getRangeAt(0);
    const layer = closestLayer(range.startContainer);
    if (!layer || !this.reader.container.contains(layer)) {
      popover.hidden = true;
      return;
    }
    const info = layerText(layer);
    const start = offsetOf(info, range.startContainer, range.startOffset);
    // A selection running onto the next page is cut at the end of this one.
    const end =
      closestLayer(range.endContainer) === layer
        ? offsetOf(info, range.endContainer, range.endOffset)
        : info.text.length;
    const quote = quoteOf(info, start, end);
    if (!quote.exact) {
      popover.hidden = true;
      return;
    }
    this.pending = { kind: "highlight", page: pageOf(layer), quote, x: null, y: null };
    this.place(popover, range.getBoundingClientRect());
  }

  place(popover, rect) {
    const box = this.reader.root.getBoundingClientRect();
    popover.hidden = false;
    const width = popover.offsetWidth;
    const left = Math.min(Math.max(rect.left - box.left, 8), box.width - width - 8);
    const below = rect.bottom - box.top + 8;
    const top = below + popover.offsetHeight > box.height ? rect.top - box.top - 52 : below;
    popover.style.left = `${left}px`;
    popover.style.top = `${Math.max(top, 8)}px`;
  }

  onPageClick(event) {
    if (!this.pinning) {
      return;
    }
    const pageDiv = event.target.closest(".page");
    if (!pageDiv) {
      return;
    }
    event.preventDefault();
    const rect = pageBox(pageDiv);
    const x = clamp01((event.clientX - rect.left) / rect.width);
    const y = clamp01((event.clientY - rect.top) / rect.height);
    const layer = pageDiv.querySelector(".textLayer");
    const quote = layer ? nearestLine(layer, event.clientY, rect) : emptyQuote();
    this.pending = { kind: "pin", page: Number(pageDiv.dataset.pageNumber), quote, x, y };
    this.setPinning(false);
    this.openForm();
  }

  openForm() {
    $("reader-popover").hidden = true;
    $("reader-note-quote").textContent = this.pending ? this.pending.quote.exact : "";
    $("reader-note-quote").hidden = !(this.pending && this.pending.quote.exact);
    $("reader-note-body").value = "";
    $("reader-note-shared").checked = false;
    $("reader-note-error").hidden = true;
    $("reader-note-form").hidden = false;
    $("reader-note-body").focus();
  }

  closeForm() {
    $("reader-note-form").hidden = true;
    this.pending = null;
  }

  async save({ body, shared }) {
    if (!this.pending) {
      return;
    }
    const payload = {
      client_id: clientId(),
      version: this.reader.version,
      page: this.pending.page,
      kind: this.pending.kind,
      quote: this.pending.quote,
      x: this.pending.x,
      y: this.pending.y,
      body,
      shared,
    };
    try {
      const note = await sendNote(this.reader.documentId, payload);
      this.add(note.queued ? { ...note, id: null, anchor: "anchored" } : note);
      $("reader-popover").hidden = true;
      $("reader-note-form").hidden = true;
      this.pending = null;
      window.getSelection().removeAllRanges();
    } catch (error) {
      const message = error && error.message && !/^\d+$/.test(error.message) ? error.message : "";
      $("reader-note-error").textContent = `${words("not_saved")} ${message}`.trim();
      $("reader-note-error").hidden = false;
      $("reader-note-form").hidden = false;
    }
  }

  add(note) {
    this.items = this.items.filter((item) => item.client_id !== note.client_id);
    this.items.push(note);
    this.render();
    this.drawPage(note.page);
  }

  render() {
    const list = $("reader-note-list");
    const notes = [...this.items].sort((a, b) => a.page - b.page || order(a) - order(b));
    list.replaceChildren(...notes.map((note) => this.entry(note)));
    // The note being shown stays marked when the list is drawn again (a note saved, a sync).
    const current = this.current && list.querySelector(`[data-key="${CSS.escape(this.current)}"]`);
    if (current) current.classList.add("is-current");
    if (notes.length === 0) {
      const empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = words("no_notes");
      list.append(empty);
    }
    const count = $("reader-notes-count");
    count.textContent = String(notes.length);
    count.hidden = notes.length === 0;
  }

  entry(note) {
    const item = document.createElement("li");
    item.className = `reader-note is-${note.kind}`;
    item.classList.toggle("is-changed", note.anchor === "changed");
    item.dataset.key = note.client_id;
    if (note.id) {
      item.dataset.noteId = String(note.id);
    }
    const go = document.createElement("button");
    go.type = "button";
    go.className = "reader-note-go";
    const kind = note.kind === "pin" ? words("pin") : words("highlight");
    go.textContent = `${words("page", { page: note.page })} · ${kind}`;
    go.addEventListener("click", () => this.show(note));
    item.append(go);
    const quote = note.quote && note.quote.exact;
    if (note.anchor === "changed") {
      item.append(paragraph("reader-note-changed", words("changed")));
      if (quote) {
        item.append(paragraph("reader-quote", `${words("earlier_text")} «${quote}»`, "blockquote"));
      }
    } else if (quote) {
      item.append(paragraph("reader-quote", quote, "blockquote"));
    }
    if (note.body) {
      item.append(paragraph("reader-note-body", note.body));
    }
    if (note.queued) {
      item.append(paragraph("reader-note-waiting", words("waiting")));
    } else {
      item.append(this.tools(note));
    }
    return item;
  }

  tools(note) {
    const tools = document.createElement("div");
    tools.className = "reader-note-tools";
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "reader-note-share";
    box.checked = Boolean(note.shared);
    box.addEventListener("change", () => this.share(note, box));
    label.append(box, document.createTextNode(words("share")));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "danger reader-note-delete";
    remove.textContent = words("delete");
    remove.addEventListener("click", () => this.remove(note));
    tools.append(label, remove);
    return tools;
  }

  async share(note, box) {
    try {
      const saved = await api("PATCH", `/api/notes/${note.id}`, { shared: box.checked });
      Object.assign(note, saved);
    } catch {
      box.checked = !box.checked;
      window.alert(words("not_saved"));
    }
  }

  async remove(note) {
    if (!window.confirm(words("delete_confirm"))) {
      return;
    }
    try {
      await api("DELETE", `/api/notes/${note.id}`);
    } catch (error) {
      if (error.status !== 404) {
        window.alert(words("not_saved"));
        return;
      }
    }
    this.items = this.items.filter((item) => item !== note);
    this.render();
    this.drawPage(note.page);
  }

  show(note) {
    this.current = note.client_id;
    this.reader.goTo(note.page);
    for (const item of $("reader-note-list").querySelectorAll(".is-current")) {
      item.classList.remove("is-current");
    }
    const item = $("reader-note-list").querySelector(`[data-key="${CSS.escape(note.client_id)}"]`);
    if (item) {
      item.classList.add("is-current");
      item.scrollIntoView({ block: "nearest" });
    }
  }

  redrawAll() {
    for (const page of new Set(this.items.map((note) => note.page))) {
      this.drawPage(page);
    }
  }

  // The page's notes drawn over it: found again in its text layer at each rendering.
  drawPage(pageNumber) {
    const view = this.reader.viewer.getPageView(pageNumber - 1);
    const div = view && view.div;
    if (!div) {
      return;
    }
    const old = div.querySelector(".reader-marks");
    if (old) {
      old.remove();
    }
    const shown = this.items.filter((note) => note.page === pageNumber && drawn(note, this.reader));
    if (shown.length === 0) {
      return;
    }
    const marks = document.createElement("div");
    marks.className = "reader-marks";
    div.append(marks);
    const layer = div.querySelector(".textLayer");
    const info = layer && layer.childNodes.length ? layerText(layer) : null;
    const box = pageBox(div);
    for (const note of shown) {
      if (note.kind === "pin") {
        marks.append(this.pin(note));
      } else if (info) {
        marks.append(...highlightRects(info, note, box));
      }
    }
  }

  pin(note) {
    const pin = document.createElement("button");
    pin.type = "button";
    pin.className = "reader-pin";
    pin.style.left = `${(note.x || 0) * 100}%`;
    pin.style.top = `${(note.y || 0) * 100}%`;
    pin.textContent = "✎";
    pin.title = note.body || note.quote.exact || words("pin");
    pin.setAttribute("aria-label", words("pin"));
    pin.addEventListener("click", (event) => {
      event.stopPropagation();
      this.reader.openPanel("reader-notes");
      this.show(note);
    });
    return pin;
  }
}

// A note is drawn unless its text changed. A highlight is drawn where its quote is found on
// its page, even while the server has not carried it to this version yet (the new version's
// text is read in the background); a pin's point is only meaningful on its own version.
function drawn(note, reader) {
  if (note.anchor === "changed") {
    return false;
  }
  return note.kind !== "pin" || note.version === undefined || note.version === reader.version;
}

function order(note) {
  return note.kind === "pin" ? note.y || 0 : 0;
}

function highlightRects(info, note, box) {
  const found = findQuote(info, note.quote || {});
  if (!found) {
    return [];
  }
  const range = document.createRange();
  range.setStart(...pointAt(info, found[0]));
  range.setEnd(...pointAt(info, found[1]));
  const rects = [];
  for (const rect of range.getClientRects()) {
    if (rect.width < 1 || rect.height < 1) {
      continue;
    }
    const mark = document.createElement("div");
    mark.className = "reader-mark";
    mark.dataset.noteKey = note.client_id;
    mark.style.left = `${((rect.left - box.left) / box.width) * 100}%`;
    mark.style.top = `${((rect.top - box.top) / box.height) * 100}%`;
    mark.style.width = `${(rect.width / box.width) * 100}%`;
    mark.style.height = `${(rect.height / box.height) * 100}%`;
    rects.push(mark);
  }
  return rects;
}

// The text-layer line nearest a point of the page (a pin's quote): "" when no text is near.
function nearestLine(layer, clientY, pageRect) {
  let best = null;
  for (const span of layer.querySelectorAll("span")) {
    if (!span.firstChild || span.firstChild.nodeType !== Node.TEXT_NODE || !span.textContent.trim()) {
      continue;
    }
    const rect = span.getBoundingClientRect();
    const distance = Math.abs((rect.top + rect.bottom) / 2 - clientY);
    if (!best || distance < best.distance) {
      best = { span, distance, rect };
    }
  }
  if (!best || best.distance > pageRect.height * 0.06) {
    return emptyQuote();
  }
  // The line: every span on the same row as the nearest one.
  const row = [...layer.querySelectorAll("span")].filter((span) => {
    if (!span.firstChild || span.firstChild.nodeType !== Node.TEXT_NODE) {
      return false;
    }
    const rect = span.getBoundingClientRect();
    return Math.abs((rect.top + rect.bottom) / 2 - (best.rect.top + best.rect.bottom) / 2) < best.rect.height / 2;
  });
  const info = layerText(layer);
  const start = offsetOf(info, row[0].firstChild, 0);
  const lastNode = row[row.length - 1].firstChild;
  const end = offsetOf(info, lastNode, lastNode.data.length);
  return quoteOf(info, start, end);
}

function emptyQuote() {
  return { exact: "", prefix: "", suffix: "" };
}

function closestLayer(node) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return element ? element.closest(".textLayer") : null;
}

function pageOf(layer) {
  return Number(layer.closest(".page").dataset.pageNumber);
}

// The page's drawn area on the screen: inside the page's border, where the canvas, the text
// layer and our marks (positioned in fractions of it) are.
function pageBox(div) {
  const rect = div.getBoundingClientRect();
  return {
    left: rect.left + div.clientLeft,
    top: rect.top + div.clientTop,
    width: div.clientWidth || 1,
    height: div.clientHeight || 1,
  };
}

function clamp01(value) {
  return Math.min(Math.max(value, 0), 1);
}

function paragraph(className, text, tag = "p") {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

// Through the offline queue when the page has it (it posts now, or keeps the note until the
// network is back and answers {queued: true, ...}); else straight to the API.
// crypto.randomUUID exists only on HTTPS and localhost; a hall's plain-HTTP address has none.
function clientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `n-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function sendNote(documentId, payload) {
  const queue = window.HopNoteQueue;
  if (queue && typeof queue.send === "function") {
    return queue.send(documentId, payload);
  }
  return api("POST", `/api/documents/${documentId}/notes`, payload);
}
