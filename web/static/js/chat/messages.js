// The open room's message list: placing messages in order, each message with its actions and read
// receipts, and announcing new ones to screen readers.

import { askMute, deleteMessage, reportMessage, showReceipts } from "./actions.js";
import { dropPending, startEdit, startReply } from "./composer.js";
import { stopTyping } from "./notices.js";
import { authorName, conn, dom, lang, me } from "./page.js";
import { attachmentNode, button, el, formatTime, textNodes } from "./render.js";
import { renderRoomList, scheduleRead } from "./rooms.js";
import { isMine, state } from "./state.js";

/** Closer than this to the bottom, the list follows new messages. */
const FOLLOW_BOTTOM_PX = 80;
/** Screen readers hear at most this much of a new message. */
const ANNOUNCED_CHARS = 200;

/** A message arrived (live, or in a subscription's backlog): store it and show it where it belongs. */
export function receiveMessage(message, live) {
  const room = state.rooms.get(message.room);
  if (!room) return;
  const known = room.messages.has(message.seq);
  room.lastSeq = Math.max(room.lastSeq, message.seq);
  if (!room.preview || message.seq >= room.preview.seq) room.preview = message;
  const mine = isMine(message);
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

export function placeMessage(message) {
  const node = messageNode(message);
  const existing = dom.log.querySelector(`[data-seq="${message.seq}"]`);
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  const atBottom = dom.log.scrollHeight - dom.log.scrollTop - dom.log.clientHeight < FOLLOW_BOTTOM_PX;
  let before = null;
  for (const child of [...dom.log.querySelectorAll("[data-seq]")].reverse()) {
    if (Number(child.dataset.seq) < message.seq) break;
    before = child;
  }
  const pending = dom.log.querySelector(".pending");
  if (before) before.before(node);
  else if (pending) pending.before(node);
  else dom.log.append(node);
  if (atBottom || isMine(message)) dom.log.scrollTop = dom.log.scrollHeight;
}

function messageNode(message) {
  const room = state.rooms.get(message.room);
  const mine = isMine(message);
  const author = authorName(message.author);
  const actions = el("div", { class: "actions" });
  if (!message.deleted) {
    if (room.canWrite) actions.append(button(gettext("Ответить"), () => startReply(message)));
    if (mayChange(room, message)) {
      actions.append(button(gettext("Изменить"), () => startEdit(message)), button(gettext("Удалить"), () => deleteMessage(message)));
    }
    if (!mine && room.role) actions.append(button(gettext("Пожаловаться"), () => reportMessage(message)));
    if (!mine && room.canModerate && message.author) {
      actions.append(button(gettext("Запретить писать"), () => askMute(room, message.author)));
    }
  }
  if (mine) actions.append(el("button", { type: "button", class: "link-button receipts", "data-receipts": message.seq, onclick: () => showReceipts(message) }));
  const quote = message.reply_to
    ? el("blockquote", { class: "quote" }, el("strong", { text: authorName(message.reply_to.author) }), " ", message.reply_to.excerpt || gettext("Сообщение удалено"))
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

/** Moderators change any message; authors their own, within the server's edit window (from the welcome). */
function mayChange(room, message) {
  if (room.canModerate) return true;
  if (!isMine(message) || !room.canWrite) return false;
  const windowMs = conn.welcome.edit_window_seconds * 1000;
  return Date.now() - new Date(message.created_at).getTime() < windowMs;
}

function announce(message) {
  const text = message.deleted ? gettext("Сообщение удалено") : message.text.slice(0, ANNOUNCED_CHARS);
  dom.announcer.textContent = `${gettext("Новое сообщение от")} ${authorName(message.author)}: ${text}`;
}

/** The ticks under one's own messages: delivered / read (direct), or how many have read (groups). */
export function updateReceipts() {
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
