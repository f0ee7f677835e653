// Writing: the composer (send, reply, edit), messages waiting for the server's ack (retry, remove),
// and the typing notice sent to the others.

import { suggestMentions } from "./mentions.js";
import { describe, showError } from "./notices.js";
import { authorName, config, conn, dom, lang } from "./page.js";
import { button, el, textNodes } from "./render.js";
import { renderRoomInfo } from "./rooms.js";
import { state } from "./state.js";

/** While one keeps typing, a typing frame goes out at most this often. */
const TYPING_RESEND_MS = 2500;
/** The reply preview quotes this much of the message answered. */
const REPLY_PREVIEW_CHARS = 80;

export function updateComposer() {
  const room = state.current;
  const writable = Boolean(room && room.canWrite);
  dom.form.hidden = !room;
  dom.readonly.hidden = !room || writable;
  dom.text.disabled = !writable;
  dom.files.disabled = !writable;
  dom.send.disabled = !writable || !conn.online || overLimit();
  dom.membersButton.hidden = !room;
  if (room) renderRoomInfo();
}

/**
 * A text longer than the server accepts is refused here, with the limit stated, while it is typed or pasted
 * (a `maxlength` on the field would cut a pasted text without a word).
 */
function textLength() {
  return [...dom.text.value.trim()].length; // characters as the server counts them (code points)
}

function overLimit() {
  return textLength() > config.max_text_chars;
}

function checkLimit() {
  const over = overLimit();
  dom.limit.hidden = !over;
  dom.limit.textContent = over
    ? interpolate(gettext("Слишком длинное сообщение: %(length)s символов, можно не больше %(max)s."), { length: textLength(), max: config.max_text_chars }, true)
    : "";
  dom.text.setAttribute("aria-invalid", over ? "true" : "false");
  const room = state.current;
  dom.send.disabled = !(room && room.canWrite) || !conn.online || over;
}

dom.text.addEventListener("input", () => {
  checkLimit();
  const room = state.current;
  if (room && room.canWrite && Date.now() - state.typingSentAt > TYPING_RESEND_MS && dom.text.value.trim()) {
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
  if (overLimit()) {
    checkLimit();
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
  checkLimit();
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

export function dropPending(clientId) {
  const entry = state.pending.get(clientId);
  if (!entry) return;
  entry.node.remove();
  state.pending.delete(clientId);
}

export function startReply(message) {
  state.editing = null;
  state.replyTo = message;
  dom.reply.hidden = false;
  dom.reply.replaceChildren(
    el("span", { text: `${gettext("Ответ на сообщение")} ${authorName(message.author)}: ${message.text.slice(0, REPLY_PREVIEW_CHARS)}` }),
    " ",
    button(gettext("Отмена"), cancelCompose),
  );
  dom.text.focus();
}

export function startEdit(message) {
  state.replyTo = null;
  state.editing = message;
  dom.text.value = message.text;
  dom.reply.hidden = false;
  dom.reply.replaceChildren(el("span", { text: gettext("Изменение сообщения") }), " ", button(gettext("Отмена"), () => { dom.text.value = ""; cancelCompose(); }));
  dom.send.textContent = gettext("Сохранить");
  dom.text.focus();
}

export function cancelCompose() {
  state.replyTo = null;
  state.editing = null;
  dom.reply.hidden = true;
  dom.reply.replaceChildren();
  dom.send.textContent = gettext("Отправить");
  for (const upload of state.uploads) upload.node.remove();
  state.uploads = [];
  dom.suggestions.replaceChildren();
}
