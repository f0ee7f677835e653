// One WebSocket to /ws/chat/ for the tab: requests matched to replies by `ref`, reconnect with back-off.
// Events (EventTarget): "status" {state: "connecting"|"online"|"offline"}, "open" (after every (re)connect,
// once the welcome arrived), "frame" {frame} for every frame that is not a reply to a request.

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
const REQUEST_TIMEOUT_MS = 15000;

export class ChatConnection extends EventTarget {
  constructor(path = "/ws/chat/") {
    super();
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.nextRef = 1;
    this.pending = new Map(); // ref -> {resolve, reject, timer}
    this.attempt = 0;
    this.welcome = null;
    this.socket = null;
    this.closedByUs = false;
  }

  start() {
    this.closedByUs = false;
    this.connect();
  }

  connect() {
    this.emit("status", { state: this.attempt ? "reconnecting" : "connecting" });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("message", (event) => this.onFrame(JSON.parse(event.data)));
    socket.addEventListener("close", () => this.onClose(socket));
  }

  onFrame(frame) {
    if (frame.type === "welcome") {
      this.welcome = frame;
      this.attempt = 0;
      this.emit("status", { state: "online" });
      this.emit("open", { welcome: frame });
      return;
    }
    const waiting = frame.ref !== undefined && this.pending.get(frame.ref);
    if (waiting) {
      this.pending.delete(frame.ref);
      clearTimeout(waiting.timer);
      if (frame.type === "error") waiting.reject(Object.assign(new Error(frame.detail), { frame }));
      else waiting.resolve(frame);
      return;
    }
    this.emit("frame", { frame });
  }

  onClose(socket) {
    if (socket !== this.socket) return;
    for (const [ref, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(Object.assign(new Error("disconnected"), { frame: { error: "disconnected", ref } }));
    }
    this.pending.clear();
    if (this.closedByUs) return;
    this.emit("status", { state: "offline" });
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    setTimeout(() => this.connect(), delay);
  }

  get online() {
    return this.socket && this.socket.readyState === WebSocket.OPEN && this.welcome !== null;
  }

  /** Fire and forget (typing, read). Dropped while offline: the next connect resynchronises. */
  post(frame) {
    if (this.online) this.socket.send(JSON.stringify(frame));
  }

  /** Send a frame and wait for the reply carrying the same ref (rejects on an error frame). */
  request(frame) {
    if (!this.online) return Promise.reject(Object.assign(new Error("offline"), { frame: { error: "offline" } }));
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(Object.assign(new Error("timeout"), { frame: { error: "timeout" } }));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ ...frame, ref }));
    });
  }

  /** For tests and debugging: drop the socket as a network failure would. */
  drop() {
    if (this.socket) this.socket.close();
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
