// The chat page: room list, message list with history paging, composer, receipts, moderation.
// Talks to /ws/chat/ (docs/chat-protocol.md) and uploads attachments over HTTP.

import { ChatConnection } from "./connection.js";
import { attachmentNode, el, formatSize, formatTime, textNodes } from "./render.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const lang = document.documentElement.lang || "ru";
const me = config.user;
const $ = (id) => document.getElementById(id);
// Texts for the server's error codes (docs/chat-protocol.md); others show the server's detail.
const errorTexts = {
  rate_limited: gettext("Слишком часто — подождите немного."),
  muted: gettext("Модератор запретил вам писать в этом чате."),
  read_only: gettext("В этом чате можно только читать."),
  too_large: gettext("Файл слишком большой."),
  unsupported_type: gettext("Такой тип файла нельзя отправить: только фото, аудио, видео, PDF, документы и текст."),
  too_late: gettext("Время на изменение сообщения истекло."),
  forbidden: gettext("Недостаточно прав."),
  offline: gettext("Нет связи с сервером."),
  disconnected: gettext("Связь прервалась."),
  timeout: gettext("Сервер не ответил вовремя."),
  network: gettext("Ошибка сети."),
  bad_attachment: gettext("Вложение уже отправлено или недоступно."),
};

const dom = {
  page: $("chat-page"),
  roomList: $("room-list"),
  roomFilter: $("room-filter"),
  roomTitle: $("room-title"),
  roomInfo: $("room-info"),
  status: $("connection-status"),
  log: $("messages"),
  sentinel: $("history-sentinel"),
  typing: $("typing"),
  announcer: $("announcer"),
  error: $("chat-error"),
  form: $("composer"),
  text: $("composer-text"),
  files: $("composer-files"),
  uploads: $("uploads"),
  reply: $("reply-preview"),
  send: $("composer-send"),
  suggestions: $("mention-suggestions"),
  back: $("back-to-rooms"),
  membersButton: $("members-button"),
  reportsButton: $("reports-button"),
  dialog: $("chat-dialog"),
  dialogTitle: $("chat-dialog-title"),
  dialogBody: $("chat-dialog-body"),
  readonly: $("readonly-note"),
};

/** A private chat is called "A — B"; show only the other person. */
function displayTitle(payload) {
  if (payload.kind !== "direct") return payload.title;
  const others = payload.title.split(" — ").filter((name) => name !== config.user_name);
  return others.length === 1 ? others[0] : payload.title;
}

class RoomState {
  constructor(payload) {
    this.messages = new Map(); // seq -> message payload (the loaded part)
    this.members = new Map(); // user id -> {name, username, role, last_read_seq, muted_until}
    this.online = new Set();
    this.lastSeq = 0; // highest seq received
    this.lastChange = 0;
    this.oldest = null; // lowest loaded seq
    this.more = true; // older history exists
    this.loaded = false;
    this.preview = null;
    this.update(payload);
  }

  update(payload) {
    Object.assign(this, {
      id: payload.id,
      kind: payload.kind,
      title: displayTitle(payload),
      role: payload.role,
      canWrite: payload.can_write,
      canModerate: this.canModerate || false,
      lastRead: Math.max(this.lastRead || 0, payload.last_read_seq),
      unread: payload.unread,
      serverLastSeq: payload.last_seq,
    });
    this.lastChange = Math.max(this.lastChange, payload.last_change);
  }
}

const state = {
  rooms: new Map(),
  current: null,
  pending: new Map(), // client_id -> {room, node, frame}
  uploads: [], // {file, node, attachment | null, error | null}
  replyTo: null, // message payload
  editing: null, // message payload
  typingSentAt: 0,
  typingTimers: new Map(),
  readTimer: null,
  loadingHistory: false,
  firstConnect: true,
  target: new URLSearchParams(location.search),
};

const conn = new ChatConnection();

// -- connection -------------------------------------------------------------------------------
conn.addEventListener("status", ({ detail }) => {
  const labels = { connecting: gettext("Подключение…"), reconnecting: gettext("Переподключение…"), offline: gettext("Нет связи — переподключаемся…"), online: gettext("В сети") };
  dom.status.textContent = labels[detail.state];
  dom.status.dataset.state = detail.state;
  dom.send.disabled = detail.state !== "online" || !(state.current && state.current.canWrite);
});

conn.addEventListener("open", async () => {
  try {
    const reply = await conn.request({ type: "rooms" });
    mergeRooms(reply.rooms, true);
    subscribeAll(state.firstConnect);
    if (state.firstConnect) {
      state.firstConnect = false;
      const wanted = Number(state.target.get("room"));
      if (wanted && state.rooms.has(wanted)) openRoom(wanted);
    }
    updateComposer();
  } catch (error) {
    showError(error);
  }
});

conn.addEventListener("frame", ({ detail: { frame } }) => {
  const handler = handlers[frame.type];
  if (handler) handler(frame);
});

/** Add or update rooms; with `complete`, the list is all the user's rooms and others are dropped. */
function mergeRooms(list, complete = false) {
  if (complete) {
    const ids = new Set(list.map((payload) => payload.id));
    for (const id of state.rooms.keys()) if (!ids.has(id)) state.rooms.delete(id);
  }
  for (const payload of list) {
    const room = state.rooms.get(payload.id);
    if (room) room.update(payload);
    else state.rooms.set(payload.id, new RoomState(payload));
  }
  renderRoomList();
}

/**
 * Live updates for the rooms one belongs to (and the open one): on the first connect from the last
 * message (for the preview), on reconnects from what we have (resync). The administrator and the
 * director read every room of the school but follow only those they open.
 */
function subscribeAll(first) {
  const rooms = [...state.rooms.values()].filter((room) => room.role || room.subscribed || room === state.current);
  const entries = rooms.map((room) => subscription(room, first));
  for (let i = 0; i < entries.length; i += 200) conn.post({ type: "subscribe", rooms: entries.slice(i, i + 200) });
}

function subscription(room, first = false) {
  room.syncing = true;
  room.subscribed = true;
  const after = first || !room.lastSeq ? Math.max(0, room.serverLastSeq - 1) : room.lastSeq;
  return { room: room.id, after, changes_after: room.lastChange };
}

const handlers = {
  message: ({ message }) => receiveMessage(message, true),
  "message.updated": ({ message }) => {
    const room = state.rooms.get(message.room);
    if (!room) return;
    room.lastChange = Math.max(room.lastChange, message.change);
    if (room.messages.has(message.seq)) {
      room.messages.set(message.seq, message);
      if (room === state.current) placeMessage(message);
    }
    if (room.preview && room.preview.seq === message.seq) room.preview = message;
    renderRoomList();
  },
  subscribed: (frame) => {
    const room = state.rooms.get(frame.room);
    if (!room) return;
    room.syncing = false;
    room.lastSeq = Math.max(room.lastSeq, frame.seq);
    room.lastChange = Math.max(room.lastChange, frame.last_change);
    room.canWrite = frame.can_write;
    room.canModerate = frame.can_moderate;
    room.online = new Set(frame.online);
    if (room === state.current) {
      updateComposer();
      scheduleRead();
    }
  },
  read: (frame) => {
    const room = state.rooms.get(frame.room);
    if (!room) return;
    const member = room.members.get(frame.user);
    if (member) member.last_read_seq = Math.max(member.last_read_seq, frame.seq);
    if (frame.user === me) {
      room.lastRead = Math.max(room.lastRead, frame.seq);
      room.unread = countUnread(room);
      renderRoomList();
    }
    if (room === state.current) updateReceipts();
  },
  typing: (frame) => {
    if (frame.user.id === me || !state.current || frame.room !== state.current.id) return;
    clearTimeout(state.typingTimers.get(frame.user.id));
    state.typingTimers.set(frame.user.id, { name: frame.user.name, timer: setTimeout(() => stopTyping(frame.user.id), 4000) });
    renderTyping();
  },
  presence: (frame) => {
    const room = state.rooms.get(frame.room);
    if (!room) return;
    // batched changes: {online: [ids that came online], offline: [ids that went offline]}
    for (const id of Array.isArray(frame.online) ? frame.online : []) room.online.add(id);
    for (const id of Array.isArray(frame.offline) ? frame.offline : []) room.online.delete(id);
    if (room === state.current) renderRoomInfo();
  },
  muted: (frame) => {
    const room = state.rooms.get(frame.room);
    const member = room && room.members.get(frame.user);
    if (member) member.muted_until = frame.until;
    if (frame.user === me && room === state.current) {
      showError(frame.until ? `${gettext("Модератор запретил вам писать в этом чате до")} ${formatTime(frame.until, lang)}` : gettext("Вы снова можете писать в этом чате."));
    }
  },
  error: (frame) => showError(frame),
};

// -- messages ---------------------------------------------------------------------------------
function receiveMessage(message, live) {
  const room = state.rooms.get(message.room);
  if (!room) return;
  const known = room.messages.has(message.seq);
  room.lastSeq = Math.max(room.lastSeq, message.seq);
  if (!room.preview || message.seq >= room.preview.seq) room.preview = message;
  const mine = message.author && message.author.id === me;
  if (mine) dropPending(message.client_id);
  room.messages.set(message.seq, message);
  live = live && !room.syncing; // a subscription's backlog is already in the server's unread count
  if (room === state.current && room.loaded) {
    placeMessage(message);
    if (live && !known && !mine) {
      announce(message);
      stopTyping(message.author && message.author.id);
    }
    scheduleRead();
  } else if (live && !known && !mine && !message.deleted && message.seq > room.lastRead) {
    room.unread += 1;
  }
  renderRoomList();
}

function countUnread(room) {
  let unread = 0;
  for (const message of room.messages.values()) {
    if (message.seq > room.lastRead && !message.deleted && message.author && message.author.id !== me) unread += 1;
  }
  return Math.min(unread, room.unread);
}

function placeMessage(message) {
  const node = messageNode(message);
  const existing = dom.log.querySelector(`[data-seq="${message.seq}"]`);
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  const atBottom = dom.log.scrollHeight - dom.log.scrollTop - dom.log.clientHeight < 80;
  let before = null;
  for (const child of [...dom.log.querySelectorAll("[data-seq]")].reverse()) {
    if (Number(child.dataset.seq) < message.seq) break;
    before = child;
  }
  const pending = dom.log.querySelector(".pending");
  if (before) before.before(node);
  else if (pending) pending.before(node);
  else dom.log.append(node);
  if (atBottom || (message.author && message.author.id === me)) dom.log.scrollTop = dom.log.scrollHeight;
}

function messageNode(message) {
  const room = state.rooms.get(message.room);
  const mine = message.author && message.author.id === me;
  const author = message.author ? message.author.name : gettext("Удалённый пользователь");
  const actions = el("div", { class: "actions" });
  if (!message.deleted) {
    if (room.canWrite) actions.append(button(gettext("Ответить"), () => startReply(message)));
    if (mayChange(room, message)) {
      actions.append(button(gettext("Изменить"), () => startEdit(message)), button(gettext("Удалить"), () => deleteMessage(message)));
    }
    if (!mine && room.role) actions.append(button(gettext("Пожаловаться"), () => reportMessage(message)));
    if (!mine && room.canModerate && message.author) {
      actions.append(button(gettext("Запретить писать"), () => muteMember(room, message.author)));
    }
  }
  if (mine) actions.append(el("button", { type: "button", class: "link-button receipts", "data-receipts": message.seq, onclick: () => showReceipts(message) }));
  const quote = message.reply_to
    ? el("blockquote", { class: "quote" }, el("strong", { text: message.reply_to.author ? message.reply_to.author.name : gettext("Удалённый пользователь") }), " ", message.reply_to.excerpt || gettext("Сообщение удалено"))
    : null;
  const body = message.deleted
    ? el("p", { class: "text deleted", text: gettext("Сообщение удалено") })
    : el("p", { class: "text" }, ...textNodes(message.text));
  const mentioned = message.mentions && message.mentions.includes(me);
  return el(
    "article",
    { class: `message${mine ? " mine" : ""}${mentioned ? " mentioned" : ""}`, "data-seq": message.seq, "aria-label": `${author}, ${formatTime(message.created_at, lang)}` },
    el("header", {}, el("strong", { class: "author", text: author }), " ", el("time", { datetime: message.created_at, text: formatTime(message.created_at, lang) }), message.edited_at && !message.deleted ? el("span", { class: "edited", text: ` (${gettext("изменено")})` }) : null),
    quote,
    body,
    message.attachments && message.attachments.length ? el("div", { class: "attachments" }, message.attachments.map((a) => attachmentNode(a))) : null,
    actions,
  );
}

function button(label, onclick) {
  return el("button", { type: "button", class: "link-button", text: label, onclick });
}

function mayChange(room, message) {
  if (room.canModerate) return true;
  if (!message.author || message.author.id !== me || !room.canWrite) return false;
  const windowMs = (conn.welcome ? conn.welcome.edit_window_seconds : 900) * 1000;
  return Date.now() - new Date(message.created_at).getTime() < windowMs;
}

function announce(message) {
  const text = message.deleted ? gettext("Сообщение удалено") : message.text.slice(0, 200);
  dom.announcer.textContent = `${gettext("Новое сообщение от")} ${message.author ? message.author.name : gettext("Удалённый пользователь")}: ${text}`;
}

// -- rooms ------------------------------------------------------------------------------------
dom.roomFilter.addEventListener("input", renderRoomList);

function renderRoomList() {
  const query = dom.roomFilter.value.trim().toLowerCase();
  const rooms = [...state.rooms.values()].filter((room) => !query || room.title.toLowerCase().includes(query)).sort((a, b) => {
    const at = a.preview ? a.preview.created_at : "";
    const bt = b.preview ? b.preview.created_at : "";
    return bt.localeCompare(at) || a.title.localeCompare(b.title, lang);
  });
  dom.roomList.replaceChildren(
    ...rooms.map((room) => {
      const preview = room.preview
        ? `${room.preview.author ? room.preview.author.name.split(" ").slice(0, 2).join(" ") : ""}: ${room.preview.deleted ? gettext("Сообщение удалено") : room.preview.text}`
        : gettext("Сообщений пока нет");
      const current = room === state.current;
      return el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "room", "data-room": room.id, "aria-current": current ? "true" : null, onclick: () => openRoom(room.id) },
          el("span", { class: "room-title", text: room.title }),
          room.unread > 0 ? el("span", { class: "badge", "aria-label": `${room.unread} ${gettext("непрочитанных")}`, text: String(room.unread) }) : null,
          el("span", { class: "room-kind", text: config.kinds[room.kind] || room.kind }),
          el("span", { class: "room-preview", text: preview }),
        ),
      );
    }),
  );
}

async function openRoom(id) {
  const room = state.rooms.get(id);
  if (!room) return;
  cancelCompose();
  state.current = room;
  if (!room.subscribed) conn.post({ type: "subscribe", rooms: [subscription(room)] });
  dom.page.classList.add("show-room");
  dom.roomTitle.textContent = room.title;
  dom.log.replaceChildren(dom.sentinel);
  state.typingTimers.clear();
  renderTyping();
  renderRoomList();
  updateComposer();
  if (!room.loaded) {
    await loadHistory(room, null);
    room.loaded = true;
  }
  if (room !== state.current) return;
  // everything known, including what arrived live while the first page was loading
  [...room.messages.values()].filter((m) => room.oldest === null || m.seq >= room.oldest).sort((a, b) => a.seq - b.seq).forEach(placeMessage);
  dom.log.scrollTop = dom.log.scrollHeight;
  const target = Number(state.target.get("seq"));
  if (target) {
    const node = dom.log.querySelector(`[data-seq="${target}"]`);
    if (node) {
      node.classList.add("highlight");
      node.scrollIntoView({ block: "center" });
    }
    state.target.delete("seq");
  }
  scheduleRead();
  loadMembers(room);
  if (room.canWrite) dom.text.focus();
  else dom.roomTitle.focus();
}

async function loadHistory(room, before) {
  if (state.loadingHistory) return;
  state.loadingHistory = true;
  try {
    const frame = { type: "history", room: room.id, limit: 50 };
    if (before) frame.before = before;
    const page = await conn.request(frame);
    room.more = page.more;
    const height = dom.log.scrollHeight;
    for (const message of page.messages) {
      room.messages.set(message.seq, message);
      room.lastSeq = Math.max(room.lastSeq, message.seq);
      room.oldest = room.oldest === null ? message.seq : Math.min(room.oldest, message.seq);
      if (room === state.current) placeMessage(message);
    }
    if (before && room === state.current) dom.log.scrollTop += dom.log.scrollHeight - height;
    dom.sentinel.textContent = room.more ? gettext("Загрузка более ранних сообщений…") : gettext("Начало переписки");
    updateReceipts();
  } catch (error) {
    showError(error);
  } finally {
    state.loadingHistory = false;
  }
}

new IntersectionObserver((entries) => {
  const room = state.current;
  if (entries.some((e) => e.isIntersecting) && room && room.loaded && room.more && room.oldest) loadHistory(room, room.oldest);
}, { root: dom.log }).observe(dom.sentinel);

async function loadMembers(room) {
  try {
    const reply = await conn.request({ type: "members", room: room.id });
    room.members = new Map(reply.members.map((m) => [m.id, m]));
    if (room === state.current) {
      updateReceipts();
      renderRoomInfo();
    }
  } catch (error) {
    showError(error);
  }
}

function renderRoomInfo() {
  const room = state.current;
  if (!room) return;
  const others = [...room.members.keys()].filter((id) => id !== me);
  const online = others.filter((id) => room.online.has(id)).length;
  dom.roomInfo.textContent = `${gettext("Участники")}: ${room.members.size} · ${gettext("в сети")}: ${online}`;
  dom.reportsButton.hidden = !room.canModerate;
}

function updateReceipts() {
  const room = state.current;
  if (!room) return;
  for (const node of dom.log.querySelectorAll("[data-receipts]")) {
    const seq = Number(node.dataset.receipts);
    const readers = [...room.members.values()].filter((m) => m.id !== me && m.last_read_seq >= seq).length;
    if (room.kind === "direct") node.textContent = readers ? `✓✓ ${gettext("Прочитано")}` : `✓ ${gettext("Доставлено")}`;
    else node.textContent = `✓ ${gettext("Прочитали")}: ${readers}`;
    node.classList.toggle("seen", readers > 0);
  }
}

function scheduleRead() {
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(() => {
    const room = state.current;
    if (!room || document.hidden || !room.role) return;
    if (room.lastSeq > room.lastRead) {
      conn.post({ type: "read", room: room.id, seq: room.lastSeq });
      room.lastRead = room.lastSeq;
    }
    room.unread = 0;
    renderRoomList();
  }, 400);
}
document.addEventListener("visibilitychange", scheduleRead);

// -- typing -----------------------------------------------------------------------------------
function stopTyping(userId) {
  const entry = state.typingTimers.get(userId);
  if (!entry) return;
  clearTimeout(entry.timer);
  state.typingTimers.delete(userId);
  renderTyping();
}

function renderTyping() {
  const names = [...state.typingTimers.values()].map((e) => e.name);
  dom.typing.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? gettext("печатают…") : gettext("печатает…")}` : "";
}

// -- composer ---------------------------------------------------------------------------------
function updateComposer() {
  const room = state.current;
  const writable = Boolean(room && room.canWrite);
  dom.form.hidden = !room;
  dom.readonly.hidden = !room || writable;
  dom.text.disabled = !writable;
  dom.files.disabled = !writable;
  dom.send.disabled = !writable || !conn.online;
  dom.membersButton.hidden = !room;
  if (room) renderRoomInfo();
}

dom.text.addEventListener("input", () => {
  const room = state.current;
  if (room && room.canWrite && Date.now() - state.typingSentAt > 2500 && dom.text.value.trim()) {
    state.typingSentAt = Date.now();
    conn.post({ type: "typing", room: room.id });
  }
  suggestMentions();
});

dom.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    dom.form.requestSubmit();
  } else if (event.key === "Escape") {
    cancelCompose();
  }
});

dom.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = state.current;
  if (!room) return;
  if (state.uploads.some((u) => !u.attachment && !u.error)) {
    showError(gettext("Дождитесь окончания загрузки файлов."));
    return;
  }
  const attachments = state.uploads.filter((u) => u.attachment).map((u) => u.attachment);
  let text = dom.text.value.trim();
  if (!text && attachments.length) text = attachments.map((a) => `📎 ${a.name}`).join("\n");
  if (!text) return;
  if (text.length > config.max_text_chars) {
    showError(`${gettext("Слишком длинное сообщение, максимум символов:")} ${config.max_text_chars}`);
    return;
  }
  if (state.editing) {
    const message = state.editing;
    conn.request({ type: "edit", room: room.id, seq: message.seq, text }).catch(showError);
  } else {
    const frame = { type: "send", room: room.id, client_id: crypto.randomUUID(), text };
    if (state.replyTo) frame.reply_to = state.replyTo.seq;
    if (attachments.length) frame.attachments = attachments.map((a) => a.id);
    sendPending(frame);
  }
  dom.text.value = "";
  cancelCompose();
  dom.text.focus();
});

function sendPending(frame) {
  let entry = state.pending.get(frame.client_id);
  if (!entry) {
    const node = el("article", { class: "message mine pending", "data-client": frame.client_id }, el("p", { class: "text" }, ...textNodes(frame.text)), el("p", { class: "state", text: gettext("Отправляется…") }));
    dom.log.append(node);
    dom.log.scrollTop = dom.log.scrollHeight;
    entry = { room: frame.room, node, frame };
    state.pending.set(frame.client_id, entry);
  }
  entry.node.querySelector(".state").replaceChildren(gettext("Отправляется…"));
  entry.node.classList.remove("failed");
  conn
    .request(frame)
    .then((ack) => {
      // a resend of a message stored before (ack.duplicate) may already be on screen
      const room = state.rooms.get(ack.room);
      if (room && room.messages.has(ack.seq)) dropPending(frame.client_id);
    })
    .catch((error) => failPending(entry, error));
}

function failPending(entry, error) {
  const frame = error.frame || {};
  const stateNode = entry.node.querySelector(".state");
  entry.node.classList.add("failed");
  if (frame.error === "blocked") {
    const reason = lang.startsWith("en") ? frame.reason_en : frame.reason;
    stateNode.replaceChildren(el("span", { role: "alert", text: reason || gettext("Сообщение не отправлено") }), " ", button(gettext("Убрать"), () => dropPending(entry.frame.client_id)));
    return;
  }
  // Resending the same client_id never creates a duplicate, so a retry is always safe.
  stateNode.replaceChildren(el("span", { role: "alert", text: `${gettext("Не отправлено")}: ${describe(frame)}` }), " ", button(gettext("Повторить"), () => sendPending(entry.frame)), " ", button(gettext("Убрать"), () => dropPending(entry.frame.client_id)));
}

function dropPending(clientId) {
  const entry = state.pending.get(clientId);
  if (!entry) return;
  entry.node.remove();
  state.pending.delete(clientId);
}

function startReply(message) {
  state.editing = null;
  state.replyTo = message;
  dom.reply.hidden = false;
  dom.reply.replaceChildren(
    el("span", { text: `${gettext("Ответ на сообщение")} ${message.author ? message.author.name : gettext("Удалённый пользователь")}: ${message.text.slice(0, 80)}` }),
    " ",
    button(gettext("Отмена"), cancelCompose),
  );
  dom.text.focus();
}

function startEdit(message) {
  state.replyTo = null;
  state.editing = message;
  dom.text.value = message.text;
  dom.reply.hidden = false;
  dom.reply.replaceChildren(el("span", { text: gettext("Изменение сообщения") }), " ", button(gettext("Отмена"), () => { dom.text.value = ""; cancelCompose(); }));
  dom.send.textContent = gettext("Сохранить");
  dom.text.focus();
}

function cancelCompose() {
  state.replyTo = null;
  state.editing = null;
  dom.reply.hidden = true;
  dom.reply.replaceChildren();
  dom.send.textContent = gettext("Отправить");
  for (const upload of state.uploads) upload.node.remove();
  state.uploads = [];
  dom.suggestions.replaceChildren();
}

function deleteMessage(message) {
  if (!confirm(gettext("Удалить сообщение?"))) return;
  conn.request({ type: "delete", room: message.room, seq: message.seq }).catch(showError);
}

function reportMessage(message) {
  const reason = prompt(gettext("Что не так с этим сообщением? (необязательно)"), "");
  if (reason === null) return;
  conn
    .request({ type: "report", room: message.room, seq: message.seq, reason: reason.slice(0, 500) })
    .then(() => flash(gettext("Жалоба отправлена модераторам.")))
    .catch(showError);
}

function muteMember(room, author) {
  const answer = prompt(`${gettext("На сколько минут запретить писать (0 — снять запрет):")} ${author.name}`, "60");
  if (answer === null) return;
  const minutes = Number.parseInt(answer, 10);
  if (!Number.isFinite(minutes) || minutes < 0) return;
  conn
    .request({ type: "mute", room: room.id, user: author.id, minutes })
    .then(() => flash(minutes ? `${gettext("Запрещено писать:")} ${author.name}` : `${gettext("Снова может писать:")} ${author.name}`))
    .catch(showError);
}

async function showReceipts(message) {
  try {
    const reply = await conn.request({ type: "receipts", room: message.room, seq: message.seq });
    openDialog(gettext("Кто прочитал"), reply.readers.length ? el("ul", {}, reply.readers.map((r) => el("li", { text: r.name }))) : el("p", { text: gettext("Пока никто не прочитал.") }));
  } catch (error) {
    showError(error);
  }
}

// -- mentions ---------------------------------------------------------------------------------
function suggestMentions() {
  const room = state.current;
  const before = dom.text.value.slice(0, dom.text.selectionStart);
  const match = before.match(/(?:^|\s)@([\w.+-]*)$/u);
  if (!room || !match) {
    dom.suggestions.replaceChildren();
    return;
  }
  const query = match[1].toLowerCase();
  const found = [...room.members.values()]
    .filter((m) => m.id !== me && (m.username.toLowerCase().startsWith(query) || m.name.toLowerCase().includes(query)))
    .slice(0, 6);
  dom.suggestions.replaceChildren(
    ...found.map((m) =>
      el("li", {}, button(`${m.name} (@${m.username})`, () => {
        const start = before.length - match[1].length;
        dom.text.value = `${dom.text.value.slice(0, start)}${m.username} ${dom.text.value.slice(dom.text.selectionStart)}`;
        dom.suggestions.replaceChildren();
        dom.text.focus();
      })),
    ),
  );
}

// -- attachments ------------------------------------------------------------------------------
dom.files.addEventListener("change", () => {
  const room = state.current;
  for (const file of dom.files.files) {
    if (state.uploads.length >= config.per_message) {
      showError(`${gettext("Слишком много файлов, максимум:")} ${config.per_message}`);
      break;
    }
    upload(room, file);
  }
  dom.files.value = "";
});

async function upload(room, file) {
  const entry = { file, attachment: null, error: null, node: el("li", { class: "upload" }) };
  const remove = () => {
    entry.node.remove();
    state.uploads = state.uploads.filter((u) => u !== entry);
  };
  const show = (status) => entry.node.replaceChildren(el("span", { text: `${file.name} (${formatSize(file.size)}) — ${status}` }), " ", button(gettext("Убрать"), remove));
  state.uploads.push(entry);
  dom.uploads.append(entry.node);
  const largest = Math.max(...Object.values(config.max_bytes));
  if (file.size > largest) {
    entry.error = gettext("файл слишком большой");
    show(entry.error);
    return;
  }
  show(gettext("загрузка…"));
  const body = new FormData();
  body.append("file", file);
  try {
    const response = await fetch(`/chat/rooms/${room.id}/attachments/`, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": config.csrf_token },
      credentials: "same-origin",
    });
    const reply = await response.json();
    if (!response.ok) throw Object.assign(new Error(reply.detail), { frame: reply });
    entry.attachment = reply;
    show(gettext("готово"));
  } catch (error) {
    entry.error = describe(error.frame || { error: "network" });
    show(entry.error);
  }
}

// -- dialogs, members, reports ----------------------------------------------------------------
function openDialog(title, body) {
  dom.dialogTitle.textContent = title;
  dom.dialogBody.replaceChildren(body);
  dom.dialog.showModal();
}

dom.membersButton.addEventListener("click", () => {
  const room = state.current;
  if (!room) return;
  const items = [...room.members.values()].map((m) => {
    const tools = [];
    if (m.id !== me) tools.push(button(gettext("Написать лично"), () => openDirect(m.id)));
    if (m.id !== me && room.canModerate && m.role !== "moderator") tools.push(button(gettext("Запретить писать"), () => muteMember(room, m)));
    const muted = m.muted_until && new Date(m.muted_until) > new Date() ? ` · ${gettext("не может писать до")} ${formatTime(m.muted_until, lang)}` : "";
    return el("li", {}, el("span", { text: `${room.online.has(m.id) ? "● " : ""}${m.name}${m.role === "moderator" ? ` (${gettext("модератор")})` : ""}${muted}` }), " ", ...tools);
  });
  openDialog(gettext("Участники"), el("ul", { class: "members" }, items));
});

dom.reportsButton.addEventListener("click", async () => {
  const room = state.current;
  try {
    const reply = await conn.request({ type: "reports", room: room.id });
    const items = reply.reports.map((r) => el("li", {}, el("a", { href: `?room=${room.id}&seq=${r.seq}`, text: `#${r.seq}` }), ` ${r.reporter.name}: ${r.reason || "—"} (${formatTime(r.at, lang)})`));
    openDialog(gettext("Жалобы"), items.length ? el("ul", {}, items) : el("p", { text: gettext("Жалоб нет.") }));
  } catch (error) {
    showError(error);
  }
});

async function openDirect(userId) {
  try {
    const reply = await conn.request({ type: "open_direct", user: userId });
    dom.dialog.close();
    mergeRooms([reply.room]);
    openRoom(reply.room.id);
  } catch (error) {
    showError(error);
  }
}

dom.back.addEventListener("click", () => {
  dom.page.classList.remove("show-room");
  const current = state.current && dom.roomList.querySelector(`[data-room="${state.current.id}"]`);
  if (current) current.focus();
});

// -- errors -----------------------------------------------------------------------------------
function describe(frame) {
  if (frame.error === "quota_exceeded") {
    const text = frame.scope === "room"
      ? gettext("Файл не поместится: вложения этого чата ограничены %(limit)s МБ.")
      : gettext("Файл не поместится: ваши вложения ограничены %(limit)s МБ.");
    return interpolate(text, { limit: frame.limit_mb }, true);
  }
  return errorTexts[frame.error] || frame.detail || frame.error || String(frame);
}

function showError(error) {
  const frame = error && error.frame ? error.frame : error;
  if (frame && frame.error === "blocked" && state.pending.has(frame.client_id)) return;
  dom.error.textContent = typeof frame === "string" ? frame : describe(frame || {});
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (dom.error.textContent = ""), 8000);
}

function flash(text) {
  dom.error.textContent = "";
  dom.typing.textContent = text;
  setTimeout(renderTyping, 3000);
}

window.chatApp = { conn, state }; // for debugging and the browser test
updateComposer();
conn.start();
