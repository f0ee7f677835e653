// The review player: the attempt's recording (webcam with microphone, screen) in sync, the microphone's
// waveform and every review item on one timeline. Moving to an item (J/K, Tab, a click on it or on its mark)
// starts the recording a few seconds before the flag; 1×/2×/4× change the speed.
// The recording comes from the session's manifest (docs/proctoring.md "Review player"):
// {started_at, duration, camera, screen, waveform}.
const LEAD_SECONDS = 3; // an item plays from this long before its start
const DRIFT_SECONDS = 0.3; // the screen is moved back in step when it drifts further than this from the webcam
const WAVEFORM_STEP_SECONDS = 0.1; // one waveform level per 100 ms

const root = document.getElementById("player");
if (root) start(root);

async function start(root) {
  const response = await fetch(root.dataset.manifest, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const manifest = response.ok ? await response.json() : null;
  if (!manifest || !manifest.camera) {
    root.querySelector(".player-missing").hidden = false;
    return;
  }
  const player = new Player(root, manifest);
  const items = [...document.querySelectorAll("#timeline .episode")];
  items.forEach((item) => item.addEventListener("focus", () => player.jumpTo(item)));
  player.drawMarks(items);
  root.querySelector(".player-body").hidden = false;
}

class Player {
  constructor(root, manifest) {
    this.root = root;
    this.startedAt = Date.parse(manifest.started_at);
    this.duration = manifest.duration;
    this.waveform = manifest.waveform || [];
    this.camera = root.querySelector("video.player-camera");
    this.screen = root.querySelector("video.player-screen");
    this.timeline = root.querySelector(".player-timeline");
    this.clock = root.querySelector(".player-clock");
    this.format = new Intl.DateTimeFormat(document.documentElement.lang || "ru", {
      timeZone: root.dataset.timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    });
    this.marks = [];
    this.camera.src = manifest.camera;
    if (manifest.screen) this.screen.src = manifest.screen;
    else this.screen.hidden = true;
    this.camera.addEventListener("timeupdate", () => this.follow());
    for (const event of ["play", "pause", "ratechange", "seeked"]) this.camera.addEventListener(event, () => this.syncScreen(event));
    root.querySelectorAll("button[data-rate]").forEach((button) => button.addEventListener("click", () => this.setRate(Number(button.dataset.rate))));
    root.querySelector(".player-toggle").addEventListener("click", () => (this.camera.paused ? this.camera.play() : this.camera.pause()));
    this.timeline.addEventListener("click", (event) => this.seekToFraction(event));
    new ResizeObserver(() => this.draw()).observe(this.timeline);
  }

  /** Seconds into the recording of a wall-clock time (an ISO string). */
  offsetOf(iso) {
    return (Date.parse(iso) - this.startedAt) / 1000;
  }

  jumpTo(item) {
    this.seek(Math.max(0, this.offsetOf(item.dataset.start) - LEAD_SECONDS));
    this.camera.play().catch(() => {}); // autoplay refused: the position is still set
  }

  seek(seconds) {
    this.camera.currentTime = Math.min(seconds, this.duration);
    this.root.dataset.position = String(this.camera.currentTime);
  }

  seekToFraction(event) {
    const box = this.timeline.getBoundingClientRect();
    const mark = this.marks.find((m) => Math.abs(event.clientX - box.left - m.x) <= 4);
    if (mark) {
      mark.item.focus();
      this.jumpTo(mark.item); // also when the item already had the focus
    } else this.seek(((event.clientX - box.left) / box.width) * this.duration);
  }

  setRate(rate) {
    this.camera.playbackRate = rate;
    this.root.querySelectorAll("button[data-rate]").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.rate) === rate)));
  }

  syncScreen(event) {
    if (this.screen.hidden) return;
    this.screen.playbackRate = this.camera.playbackRate;
    if (event === "play") this.screen.play().catch(() => {});
    if (event === "pause") this.screen.pause();
    this.follow();
  }

  follow() {
    const now = this.camera.currentTime;
    this.root.dataset.position = String(now);
    this.clock.textContent = this.format.format(new Date(this.startedAt + now * 1000));
    if (!this.screen.hidden && Math.abs(this.screen.currentTime - now) > DRIFT_SECONDS) this.screen.currentTime = now;
    this.draw();
  }

  drawMarks(items) {
    this.items = items;
    this.draw();
  }

  draw() {
    const canvas = this.timeline;
    const width = (canvas.width = canvas.clientWidth);
    const height = (canvas.height = canvas.clientHeight);
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    if (width && height) context.drawImage(this.waveformImage(width, height), 0, 0);
    const scale = width / Math.max(this.duration, WAVEFORM_STEP_SECONDS);
    this.marks = (this.items || []).map((item) => {
      const from = this.offsetOf(item.dataset.start) * scale;
      const to = item.dataset.end ? this.offsetOf(item.dataset.end) * scale : from;
      context.fillStyle = item.dataset.review === "dismissed" ? "rgba(40,150,80,.5)" : "rgba(200,40,40,.6)";
      context.fillRect(from, 0, Math.max(3, to - from), height);
      return { x: from, item };
    });
    context.fillStyle = "#000";
    context.fillRect(this.camera.currentTime * scale, 0, 2, height);
  }

  /** The waveform drawn once per size (draw() runs on every timeupdate; the marks change with decisions). */
  waveformImage(width, height) {
    if (this.waveformCache?.width === width && this.waveformCache?.height === height) return this.waveformCache;
    const image = new OffscreenCanvas(width, height);
    const context = image.getContext("2d");
    const perPixel = Math.max(1, this.waveform.length / width);
    context.fillStyle = "#7a8699";
    for (let x = 0; x < width; x++) {
      const from = Math.floor(x * perPixel);
      const level = Math.max(0, ...this.waveform.slice(from, Math.ceil(from + perPixel)));
      const bar = Math.max(1, level * height * 0.8);
      context.fillRect(x, (height - bar) / 2, 1, bar);
    }
    this.waveformCache = image;
    return image;
  }
}
