// The chat page: room list, message list with history paging, composer, receipts, moderation.
// Talks to /ws/chat/ (docs/chat-protocol.md) and uploads attachments over HTTP. This module connects
// and applies the server's frames; the parts of the page live in the modules it imports.

import "./dialogs.js";
import "./uploads.js";
import { updateComposer } from "./composer.js";
import { placeMessage, receiveMessage, updateReceipts } from "./messages.js";
import { showError, showTyping } from "./notices.js";
import { conn, dom, lang, me } from "./page.js";
import { formatTime } from "./render.js";
import { mergeRooms, openRoom, renderRoomInfo, renderRoomList, scheduleRead, showUnreadable, subscribeAll } from "./rooms.js";
import { countUnread, state } from "./state.js";

const statusLabels = {
  connecting: gettext("Подключение…"),
  reconnecting: gettext("Переподключение…"),
  offline: gettext("Нет связи — переподключаемся…"),
  online: gettext("В сети"),
  stopped: gettext("Соединение закрыто: войдите снова и обновите страницу."),
};

conn.addEventListener("status", ({ detail }) => {
  dom.status.textContent = statusLabels[detail.state];
  dom.status.dataset.state = detail.state;
  dom.send.disabled = detail.state !== "online" || !(state.current && state.current.canWrite);
});

// After every (re)connect: the room list, then live updates from where we are (a resync after a gap).
conn.addEventListener("open", async () => {
  try {
    const reply = await conn.request({ type: "rooms" });
    mergeRooms(reply.rooms, true);
    subscribeAll(state.firstConnect);
    if (state.firstConnect) {
      state.firstConnect = false;
      const wanted = Number(state.target.get("room"));
      if (wanted && state.rooms.has(wanted)) openRoom(wanted);
      else if (wanted) showUnreadable();
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
    showTyping(frame.user);
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

window.chatApp = { conn, state }; // for debugging and the browser test
updateComposer();
conn.start();
