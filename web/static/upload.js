// Upload forms (form.upload[data-api]) go to the JSON API with XMLHttpRequest so that a
// progress bar can show; without JavaScript the same form posts to its page route.
"use strict";
(() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.getAttribute("content") : "";

  function show(form, text, failed) {
    const status = form.querySelector(".upload-status");
    if (status) {
      status.textContent = text;
      status.classList.toggle("error", Boolean(failed));
    }
  }

  // What went wrong, in the page's language: the server's own words (`message`, translated
  // by web/errors.py; `detail` is English, for programs), else what the form says for the
  // status; "check the connection" only when no answer came at all.
  function failure(form, xhr) {
    if (xhr.status === 415) return form.dataset.badType;
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (_ignored) {
      // not JSON (a proxy's page): the form's own words below
    }
    if (body && body.message) return body.message;
    if (xhr.status === 413) return form.dataset.tooLarge;
    return form.dataset.failed;
  }

  function done(form) {
    const target = new URL(form.dataset.done, window.location.href);
    const here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      here.hash = target.hash;
      here.reload();
    } else {
      here.assign(target.href);
    }
  }

  function upload(form, event) {
    const data = new FormData(form);
    const file = data.get("file");
    const limit = Number(form.dataset.maxBytes || 0);
    event.preventDefault();
    if (file instanceof File && limit && file.size > limit) {
      show(form, form.dataset.tooLarge, true);
      return;
    }
    data.delete("csrf_token");
    for (const [name, value] of Array.from(data.entries())) {
      if (value === "") data.delete(name);
    }
    const progress = form.querySelector("progress");
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable || !progress) return;
      const percent = Math.round((e.loaded * 100) / e.total);
      progress.value = percent;
      show(form, `${percent}%`, false);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        done(form);
        return;
      }
      if (button) button.disabled = false;
      if (progress) progress.hidden = true;
      show(form, failure(form, xhr), true);
    });
    xhr.addEventListener("error", () => {
      if (button) button.disabled = false;
      if (progress) progress.hidden = true;
      show(form, form.dataset.failed, true);
    });
    if (progress) {
      progress.value = 0;
      progress.hidden = false;
    }
    if (button) button.disabled = true;
    xhr.send(data);
  }

  for (const form of document.querySelectorAll("form.upload[data-api]")) {
    form.addEventListener("submit", (event) => upload(form, event));
  }
})();
