// One WebSocket to our server that stays connected: every page with a live socket (chat, exam,
// proctor dashboard, lesson) opens it through openSocket().
//
// - A lost connection is retried with exponential back-off and jitter, so that a restarted server is
//   not hit by every open tab in the same second; the back-off starts again once the server has spoken.
// - After every (re)connect the page's `open` hook runs: that is where it joins, subscribes or resumes,
//   because the server keeps no state for a socket that went away.
// - A close code that says reconnecting cannot help (not logged in, forbidden, replaced by a newer tab,
//   exam session over) ends the retries, and the page hears why through its `stopped` hook.
//   RIGHTS_CHANGED (the login session ended or was renewed) is not one of them: the reconnect lets the
//   server decide (a working socket with the new rights, or UNAUTHENTICATED).
// - The browser's `online` event retries at once; while it reports `offline` retries slow down to the
//   longest delay (the event may be wrong, so they never stop).
//
// The close codes come from the server (server.ws.CloseCode), rendered into the page by the
// {% socket_config %} template tag, so the numbers are written in one place only.

/** The first retry waits about this long; each further one twice as long as the one before. */
const RETRY_FIRST_DELAY_MS = 500;
/** Retries wait at most this long (before the jitter). */
const RETRY_MAX_DELAY_MS = 10000;
/** Each delay is spread by up to this fraction either way. */
const RETRY_JITTER = 0.3;

const socketConfig = JSON.parse(document.getElementById("socket-config").textContent);

/** The server's close codes by name: {UNAUTHENTICATED: 4401, FORBIDDEN: 4403, ...}. */
const CloseCode = Object.freeze({ ...socketConfig.close_codes });

/** Close codes after which reconnecting cannot help, with the reason the page is told. */
const FINAL_CLOSE = new Map([
  [CloseCode.UNAUTHENTICATED, "unauthenticated"],
  [CloseCode.FORBIDDEN, "forbidden"],
  [CloseCode.REPLACED, "replaced"],
  [CloseCode.SESSION_OVER, "session_over"],
]);

/** How long to wait before retry number `attempt` (0 for the first). */
function retryDelay(attempt) {
  const base = Math.min(RETRY_MAX_DELAY_MS, RETRY_FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(base * (1 - RETRY_JITTER + Math.random() * 2 * RETRY_JITTER));
}

/**
 * Open a socket to `path` (e.g. "/ws/chat/") on this host. Hooks, all optional:
 *   connecting({reconnect})– a connection attempt starts (reconnect: not the page's first)
 *   open({reconnect})      – connected; join, subscribe or resume here (reconnect: not the first time)
 *   message(frame)         – every frame, parsed
 *   lost({code})           – the connection went away and a retry is scheduled
 *   stopped({code, reason})– closed for good: "unauthenticated" | "forbidden" | "replaced" | "session_over"
 *                            (never called after the page's own stop())
 */
export function openSocket(path, hooks = {}) {
  return new LiveSocket(path, hooks).start();
}

class LiveSocket {
  constructor(path, hooks) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.hooks = hooks;
    this.socket = null;
    this.attempt = 0;
    this.connections = 0; // successful opens so far
    this.retryTimer = null;
    this.stoppedFor = null; // the reason once stopped
    window.addEventListener("online", () => this.retrySoon(0));
    window.addEventListener("offline", () => this.retrySoon(RETRY_MAX_DELAY_MS));
  }

  start() {
    this.connect();
    return this;
  }

  /** Whether a frame sent now goes out. */
  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Send a frame if connected; returns whether it was sent (a page resends what matters in `open`). */
  send(frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Close for good (the page is done: exam finished, lesson over). */
  stop() {
    this.stoppedFor = "stopped";
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket) this.socket.close();
  }

  /** For tests and debugging: drop the connection as a network failure would (it is retried). */
  drop() {
    if (this.socket) this.socket.close();
  }

  connect() {
    this.retryTimer = null;
    this.call("connecting", { reconnect: this.connections > 0 || this.attempt > 0 });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let spoke = false;
    socket.addEventListener("open", () => {
      this.connections += 1;
      this.call("open", { reconnect: this.connections > 1 });
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) return;
      if (!spoke) {
        spoke = true;
        this.attempt = 0; // the server accepted us: the next loss starts the back-off afresh
      }
      this.call("message", JSON.parse(event.data));
    });
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    if (this.stoppedFor) return;
    const final = FINAL_CLOSE.get(code);
    if (final) {
      this.stoppedFor = final;
      this.call("stopped", { code, reason: final });
      return;
    }
    this.call("lost", { code });
    this.retryTimer = setTimeout(() => this.connect(), retryDelay(this.attempt));
    this.attempt += 1;
  }

  /** Move a scheduled retry to `delayMs` from now (online: at once; offline: the longest delay). */
  retrySoon(delayMs) {
    if (this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    if (delayMs === 0) this.attempt = 0;
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  call(name, detail) {
    const hook = this.hooks[name];
    if (hook) hook(detail);
  }
}
