// What every part of the chat page shares: the server's page config, the elements, the one connection.

import { ChatConnection } from "./connection.js";

/** From chat/page.py: the user, upload limits, protocol sizes, room kind labels, the CSRF token. */
export const config = JSON.parse(document.getElementById("chat-config").textContent);
export const lang = document.documentElement.lang || "ru";
export const me = config.user;
export const conn = new ChatConnection();

const $ = (id) => document.getElementById(id);

export const dom = {
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
  limit: $("composer-limit"),
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

/** Who wrote a message, in words (an author whose account was deleted has none). */
export function authorName(author) {
  return author ? author.name : gettext("Удалённый пользователь");
}
