// The header on every page of a logged-in user: the unread-chats badge kept live over the notifications
// socket (docs/notifications-protocol.md), browser notifications while the tab is in the background (only
// after the user switched them on), and the home page's notification list kept in step.
//
// Other scripts of the page hear what concerns them as DOM events on `document`:
//   "classroom:chat-unread" {room, unread}  – a room's unread count changed
//   "classroom:chat-room-added" {room}      – a new direct chat exists for this user (the chat page lists it)

import { openSocket } from "./socket.js";

/** Whether the user asked for browser notifications (per browser; the permission itself is the browser's). */
const OPT_IN_KEY = "classroom.browserNotifications";

const texts = JSON.parse(document.getElementById("header-config").textContent);
const badge = document.getElementById("unread-badge");
const badgeCount = document.getElementById("unread-count");
const notifyToggle = document.getElementById("notify-toggle");

/** Room id → unread messages, for the rooms that have any. */
const unread = new Map();

function renderBadge() {
  let total = 0;
  for (const n of unread.values()) total += n;
  badge.textContent = String(total);
  badge.hidden = total === 0;
  badgeCount.textContent = String(total);
}

function optedIn() {
  return "Notification" in window && Notification.permission === "granted" && localStorage.getItem(OPT_IN_KEY) === "1";
}

/** A browser notification, only when the tab is not being looked at and the user opted in. */
function notifyInBackground(title, options) {
  if (document.visibilityState === "visible" || !optedIn()) return;
  const shown = new Notification(title, options);
  shown.addEventListener("click", () => {
    window.focus();
    if (options.data) location.href = options.data;
  });
}

function renderToggle() {
  if (!("Notification" in window)) return;
  notifyToggle.hidden = false;
  const blocked = Notification.permission === "denied";
  notifyToggle.disabled = blocked;
  notifyToggle.setAttribute("aria-pressed", optedIn() ? "true" : "false");
  notifyToggle.textContent = blocked ? texts.notify_blocked : optedIn() ? texts.notify_off : texts.notify_on;
}

notifyToggle.addEventListener("click", async () => {
  if (optedIn()) {
    localStorage.removeItem(OPT_IN_KEY);
  } else if ((await Notification.requestPermission()) === "granted") {
    localStorage.setItem(OPT_IN_KEY, "1");
  }
  renderToggle();
});

function announce(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

const handlers = {
  "chat.unread_all": ({ rooms }) => {
    unread.clear();
    for (const { room, unread: n } of rooms) if (n > 0) unread.set(room, n);
    renderBadge();
    for (const { room, unread: n } of rooms) announce("classroom:chat-unread", { room, unread: n });
  },
  "chat.unread": ({ room, unread: n }) => {
    const before = unread.get(room) || 0;
    if (n > 0) unread.set(room, n);
    else unread.delete(room);
    renderBadge();
    announce("classroom:chat-unread", { room, unread: n });
    if (n > before) notifyInBackground(texts.new_message, { tag: `chat-${room}`, data: `${document.getElementById("chat-link").getAttribute("href")}?room=${room}` });
  },
  "chat.room_added": ({ room }) => announce("classroom:chat-room-added", { room }),
  "notification.new": ({ notification }) => {
    notifyInBackground(notification.text, { tag: `notification-${notification.id}`, data: notification.url || undefined });
  },
  "notification.read": ({ ids }) => {
    // the home page lists unread notifications: the ones read anywhere (another tab, the chat) go
    for (const id of ids) for (const item of document.querySelectorAll(`[data-notification="${id}"]`)) item.remove();
    for (const list of document.querySelectorAll("[data-notification-list]")) if (!list.querySelector("[data-notification]")) list.closest("section").hidden = true;
  },
};

const socket = openSocket("/ws/notifications/", {
  open: () => socket.send({ type: "counters.follow" }),
  message: (frame) => {
    const handler = handlers[frame.type];
    if (handler) handler(frame);
  },
});

// Following a notification's link counts as reading it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-notification] a");
  if (link) socket.send({ type: "notification.mark_read", ids: [Number(link.closest("[data-notification]").dataset.notification)] });
});

renderToggle();
window.classroomHeader = { unread, socket }; // for the browser tests
