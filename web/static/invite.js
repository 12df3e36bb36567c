// The editor's "invite several people" list: a filter box, tick or untick those shown, and a
// count of those ticked. Without JavaScript the list still works; the tools stay hidden.
"use strict";
(() => {
  const pick = document.querySelector(".people-pick");
  if (!pick) return;
  const tools = pick.querySelector(".pick-tools");
  const filter = pick.querySelector("#bulk-filter");
  const count = pick.querySelector(".pick-count");
  const none = pick.querySelector(".pick-none");
  const rows = Array.from(pick.querySelectorAll(".pick-list li"));
  const box = (row) => row.querySelector("input[type=checkbox]");
  // "pho" finds "Phó", "duc" finds "Đức": people type without the marks on a tablet.
  const fold = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();
  const texts = new Map(rows.map((row) => [row, fold(row.dataset.search || "")]));

  const showCount = () => {
    const ticked = rows.filter((row) => box(row).checked).length;
    count.textContent = count.dataset.template.replace("%(count)s", String(ticked));
  };

  const applyFilter = () => {
    const words = fold(filter.value.trim()).split(/\s+/).filter(Boolean);
    for (const row of rows) {
      const text = texts.get(row);
      row.hidden = !words.every((word) => text.includes(word));
    }
    none.hidden = rows.some((row) => !row.hidden);
  };

  pick.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-pick]");
    if (!button) return;
    const tick = button.dataset.pick === "all";
    for (const row of rows) {
      if (!tick || !row.hidden) box(row).checked = tick;
    }
    showCount();
  });
  pick.addEventListener("change", showCount);
  filter.addEventListener("input", applyFilter);
  // Enter in the filter box filters; it must not submit the invitations.
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  tools.hidden = false;
  showCount();
})();
