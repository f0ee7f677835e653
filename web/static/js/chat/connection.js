// The chat's socket to /ws/chat/ (docs/chat-protocol.md): requests matched to replies by `ref`, on top of
// the shared reconnecting socket (../socket.js).
// Events (EventTarget): "status" {state: "connecting"|"reconnecting"|"online"|"offline"|"stopped"},
// "open" (after every (re)connect, once the welcome arrived), "frame" {frame} for every frame that is not
// a reply to a request.

import { openSocket } from "../socket.js";

/** A request without a reply after this long fails with "timeout" (the message can be resent). */
const REQUEST_TIMEOUT_MS = 15000;

function failure(error, extra = {}) {
  return Object.assign(new Error(error), { frame: { error, ...extra } });
}

export class ChatConnection extends EventTarget {
  constructor(path = "/ws/chat/") {
    super();
    this.path = path;
    this.nextRef = 1;
    this.pending = new Map(); // ref -> {resolve, reject, timer}
    this.welcome = null; // the last welcome frame: the server's limits (max_text_chars, edit_window_seconds)
    this.connected = false; // the current socket got its welcome
    this.socket = null;
  }

  start() {
    this.socket = openSocket(this.path, {
      connecting: ({ reconnect }) => {
        this.connected = false;
        this.emit("status", { state: reconnect ? "reconnecting" : "connecting" });
      },
      message: (frame) => this.onFrame(frame),
      lost: () => this.onClose("offline"),
      stopped: () => this.onClose("stopped"),
    });
  }

  onFrame(frame) {
    if (frame.type === "welcome") {
      this.welcome = frame;
      this.connected = true;
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

  onClose(state) {
    this.connected = false;
    for (const [ref, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(failure("disconnected", { ref }));
    }
    this.pending.clear();
    this.emit("status", { state });
  }

  get online() {
    return this.connected && this.socket.isOpen;
  }

  /** Fire and forget (typing, read). Dropped while offline: the next connect resynchronises. */
  post(frame) {
    if (this.online) this.socket.send(frame);
  }

  /** Send a frame and wait for the reply carrying the same ref (rejects on an error frame). */
  request(frame) {
    if (!this.online) return Promise.reject(failure("offline"));
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(failure("timeout"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      this.socket.send({ ...frame, ref });
    });
  }

  /** For tests and debugging: drop the socket as a network failure would. */
  drop() {
    if (this.socket) this.socket.drop();
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}
