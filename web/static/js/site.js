// Behaviour every page shares, bound here because the Content-Security-Policy allows no inline handlers:
//   <select data-submit-on-change> submits its form when changed (the language selector);
//   <button data-print> prints the page (login sheets);
//   the menu button opens and closes the header's menu, which a phone's screen shows collapsed (site.css).

for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
  select.addEventListener("change", () => select.form.submit());
}
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}

const menuToggle = document.getElementById("menu-toggle");
if (menuToggle) {
  menuToggle.addEventListener("click", () => {
    const open = document.getElementById("site-header").classList.toggle("menu-open");
    menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
}
