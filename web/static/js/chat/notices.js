// Short notices under the message list: errors (for a while), confirmations, who is typing.

import { dom } from "./page.js";
import { state } from "./state.js";

/** An error stays on screen this long. */
const ERROR_SHOWN_MS = 8000;
/** A confirmation ("report sent") stays this long, then the typing line comes back. */
const FLASH_SHOWN_MS = 3000;
/** Someone's "typing…" disappears this long after their last typing frame. */
const TYPING_SHOWN_MS = 4000;

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

let errorTimer = null;

export function describe(frame) {
  if (frame.error === "quota_exceeded") {
    const text = frame.scope === "room"
      ? gettext("Файл не поместится: вложения этого чата ограничены %(limit)s МБ.")
      : gettext("Файл не поместится: ваши вложения ограничены %(limit)s МБ.");
    return interpolate(text, { limit: frame.limit_mb }, true);
  }
  return errorTexts[frame.error] || frame.detail || frame.error || String(frame);
}

export function showError(error) {
  const frame = error && error.frame ? error.frame : error;
  if (frame && frame.error === "blocked" && state.pending.has(frame.client_id)) return;
  dom.error.textContent = typeof frame === "string" ? frame : describe(frame || {});
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => (dom.error.textContent = ""), ERROR_SHOWN_MS);
}

export function flash(text) {
  dom.error.textContent = "";
  dom.typing.textContent = text;
  setTimeout(renderTyping, FLASH_SHOWN_MS);
}

/** Someone else is typing in the open room. */
export function showTyping(user) {
  const previous = state.typingTimers.get(user.id);
  if (previous) clearTimeout(previous.timer);
  state.typingTimers.set(user.id, { name: user.name, timer: setTimeout(() => stopTyping(user.id), TYPING_SHOWN_MS) });
  renderTyping();
}

export function stopTyping(userId) {
  const entry = state.typingTimers.get(userId);
  if (!entry) return;
  clearTimeout(entry.timer);
  state.typingTimers.delete(userId);
  renderTyping();
}

export function renderTyping() {
  const names = [...state.typingTimers.values()].map((e) => e.name);
  dom.typing.textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? gettext("печатают…") : gettext("печатает…")}` : "";
}
