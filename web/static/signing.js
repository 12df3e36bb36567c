// The record shown before it is signed: PDF.js (served by Hop under /static/vendor/pdfjs) draws
// every page on a canvas, because tablets' browsers (Android's Chrome) show no PDF inside a
// page. Until then, and when PDF.js fails, the <iframe> in the box stays (desktop browsers).
"use strict";
const box = document.querySelector("[data-pdf-pages]");
if (box) {
  draw(box).catch(() => {
    box.dataset.drawn = "failed";
  });
}

async function draw(element) {
  const base = element.dataset.pdfjs;
  const lib = await import(`${base}/build/pdf.min.mjs`);
  lib.GlobalWorkerOptions.workerSrc = `${base}/build/pdf.worker.min.mjs`;
  const pdf = await lib.getDocument({
    url: element.dataset.pdfPages,
    isEvalSupported: false, // the CSP allows no eval
    useWasm: false, // nor WebAssembly
    cMapUrl: `${base}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${base}/standard_fonts/`,
    enableXfa: false,
  }).promise;
  const pages = document.createElement("div");
  pages.className = "pdf-pages";
  for (let number = 1; number <= pdf.numPages; number += 1) {
    pages.append(await drawPage(await pdf.getPage(number), element, number, pdf.numPages));
  }
  element.replaceChildren(pages);
  element.dataset.drawn = String(pdf.numPages);
}

async function drawPage(page, element, number, total) {
  const width = Math.max(320, element.clientWidth - 2);
  const scale = width / page.getViewport({ scale: 1 }).width;
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const viewport = page.getViewport({ scale: scale * ratio });
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(viewport.width);
  canvas.height = Math.round(viewport.height);
  canvas.style.width = `${Math.round(viewport.width / ratio)}px`;
  const label = element.dataset.pageLabel || "%(page)s / %(total)s";
  canvas.setAttribute("role", "img");
  canvas.setAttribute(
    "aria-label",
    label.replace("%(page)s", String(number)).replace("%(total)s", String(total)),
  );
  await page.render({ canvas, viewport }).promise;
  return canvas;
}
