// The room list and the open room: subscriptions, opening a room with its history (paged as one
// scrolls up), members and presence, and telling the server what has been read.

import { cancelCompose, updateComposer } from "./composer.js";
import { placeMessage, updateReceipts } from "./messages.js";
import { renderTyping, showError } from "./notices.js";
import { config, conn, dom, lang, me } from "./page.js";
import { el } from "./render.js";
import { RoomState, state } from "./state.js";

/** Messages asked for per history page. */
const HISTORY_PAGE_SIZE = 50;
/** Reading is reported this long after the room was last looked at (one frame for a burst of messages). */
const READ_DELAY_MS = 400;

/** Add or update rooms; with `complete`, the list is all the user's rooms and others are dropped. */
export function mergeRooms(list, complete = false) {
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
 * director read every room of the school but follow only those they open. One subscribe frame
 * carries at most the server's `subscribe_max_rooms`.
 */
export function subscribeAll(first) {
  const rooms = [...state.rooms.values()].filter((room) => room.role || room.subscribed || room === state.current);
  const entries = rooms.map((room) => subscription(room, first));
  const batch = config.subscribe_max_rooms;
  for (let i = 0; i < entries.length; i += batch) conn.post({ type: "subscribe", rooms: entries.slice(i, i + batch) });
}

function subscription(room, first = false) {
  room.syncing = true;
  room.subscribed = true;
  const after = first || !room.lastSeq ? Math.max(0, room.serverLastSeq - 1) : room.lastSeq;
  return { room: room.id, after, changes_after: room.lastChange };
}

dom.roomFilter.addEventListener("input", renderRoomList);

export function renderRoomList() {
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

export async function openRoom(id) {
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
    const frame = { type: "history", room: room.id, limit: HISTORY_PAGE_SIZE };
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

export function renderRoomInfo() {
  const room = state.current;
  if (!room) return;
  const others = [...room.members.keys()].filter((id) => id !== me);
  const online = others.filter((id) => room.online.has(id)).length;
  dom.roomInfo.textContent = `${gettext("Участники")}: ${room.members.size} · ${gettext("в сети")}: ${online}`;
  dom.reportsButton.hidden = !room.canModerate;
}

export function scheduleRead() {
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
  }, READ_DELAY_MS);
}
document.addEventListener("visibilitychange", scheduleRead);

dom.back.addEventListener("click", () => {
  dom.page.classList.remove("show-room");
  const current = state.current && dom.roomList.querySelector(`[data-room="${state.current.id}"]`);
  if (current) current.focus();
});

/**
 * Fetch the room list again and follow the rooms that are new (a direct chat someone just opened with us,
 * announced by the header's notifications socket: ../header.js).
 */
export async function refreshRooms() {
  try {
    const reply = await conn.request({ type: "rooms" });
    mergeRooms(reply.rooms, true);
    const added = [...state.rooms.values()].filter((room) => room.role && !room.subscribed);
    if (added.length) conn.post({ type: "subscribe", rooms: added.map((room) => subscription(room, true)) });
  } catch (error) {
    showError(error);
  }
}
document.addEventListener("classroom:chat-room-added", () => { if (conn.online) refreshRooms(); });
document.addEventListener("classroom:chat-unread", ({ detail }) => { if (conn.online && !state.rooms.has(detail.room)) refreshRooms(); });

/** A link to a room this user cannot read: say so instead of an empty «Выберите чат». */
export function showUnreadable() {
  dom.roomTitle.textContent = gettext("Этот чат вам недоступен");
  dom.roomInfo.textContent = gettext("Вы не участник этого чата, или его больше нет. Выберите чат из списка.");
  dom.page.classList.add("show-room");
}
