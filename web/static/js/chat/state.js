// What the page knows: the user's rooms with their loaded messages, members and presence, and what is
// being composed. Filled from the socket's frames; the other modules render from it.

import { config, me } from "./page.js";

/** A private chat is called "A — B"; show only the other person. */
function displayTitle(payload) {
  if (payload.kind !== "direct") return payload.title;
  const others = payload.title.split(" — ").filter((name) => name !== config.user_name);
  return others.length === 1 ? others[0] : payload.title;
}

export class RoomState {
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

export const state = {
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

export function isMine(message) {
  return Boolean(message.author && message.author.id === me);
}

export function countUnread(room) {
  let unread = 0;
  for (const message of room.messages.values()) {
    if (message.seq > room.lastRead && !message.deleted && message.author && message.author.id !== me) unread += 1;
  }
  return Math.min(unread, room.unread);
}
