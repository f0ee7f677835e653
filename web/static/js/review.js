// One key per review action on the session timeline: J/K move, C confirm, D dismiss (saved at once).
// Keys are matched by position (event.code), so they work in the Russian keyboard layout too.
"use strict";
(() => {
  const items = [...document.querySelectorAll("#timeline .episode")];
  if (!items.length) return;
  let current = -1; // nothing chosen yet: J chooses the first
  const focus = (i) => { current = Math.max(0, Math.min(items.length - 1, i)); items[current].focus(); };
  async function decide(index, decision) {
    const item = items[index];
    const form = item.querySelector(".review-form");
    const body = new FormData(form);
    body.set("decision", decision);
    const response = await fetch(item.dataset.reviewUrl, { method: "POST", body, headers: { Accept: "application/json" },
      credentials: "same-origin" });
    const result = await response.json();
    if (result.ok) {
      item.dataset.review = result.review;
      item.querySelector(".review-state").textContent = decision === "confirmed" ? gettext("подтверждён") : gettext("отклонён");
      focus(index + 1);
    }
  }
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.code === "KeyJ") focus(current + 1);
    else if (e.code === "KeyK") focus(current - 1);
    else if (e.code === "KeyC") decide(Math.max(current, 0), "confirmed"); // none chosen yet: the first
    else if (e.code === "KeyD") decide(Math.max(current, 0), "dismissed");
    else return;
    e.preventDefault();
  });
  items.forEach((item, i) => item.addEventListener("focus", () => { current = i; }));
})();
