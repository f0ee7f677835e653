// A held lesson's recordings: the screen share follows the main player (it starts `data-offset` seconds into
// the lesson), the chat beside it marks what had been written by the moment playing, and a message's time seeks.
(() => {
  for (const article of document.querySelectorAll(".recording")) {
    const main = article.querySelector(".recording-main");
    if (!main) continue;
    const screen = article.querySelector(".recording-screen");
    const offset = screen ? Number(screen.dataset.offset) : 0;
    const lines = [...article.querySelectorAll(".recording-messages li")];

    const follow = () => {
      const at = main.currentTime;
      for (const line of lines) line.classList.toggle("said", Number(line.dataset.at) <= at);
      if (!screen) return;
      const inside = at >= offset && (!screen.duration || at <= offset + screen.duration);
      screen.closest("figure").hidden = !inside;
      if (!inside) { screen.pause(); return; }
      if (Math.abs(screen.currentTime - (at - offset)) > 0.5) screen.currentTime = at - offset;
      if (main.paused) screen.pause(); else screen.play().catch(() => {});
    };
    for (const event of ["timeupdate", "seeked", "play", "pause"]) main.addEventListener(event, follow);
    for (const line of lines) {
      line.querySelector(".seek").addEventListener("click", () => { main.currentTime = Number(line.dataset.at); });
    }
    follow();
  }
})();
