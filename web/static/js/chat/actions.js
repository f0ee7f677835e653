// What one can do to a message or a member besides writing: delete, report, mute, see who has read it.

import { openDialog } from "./dialogs.js";
import { flash, showError } from "./notices.js";
import { config, conn } from "./page.js";
import { el } from "./render.js";

/** Minutes offered when a moderator mutes someone. */
const DEFAULT_MUTE_MINUTES = "60";

export function deleteMessage(message) {
  if (!confirm(gettext("Удалить сообщение?"))) return;
  conn.request({ type: "delete", room: message.room, seq: message.seq }).catch(showError);
}

export function reportMessage(message) {
  const reason = prompt(gettext("Что не так с этим сообщением? (необязательно)"), "");
  if (reason === null) return;
  conn
    .request({ type: "report", room: message.room, seq: message.seq, reason: reason.slice(0, config.report_reason_max_chars) })
    .then(() => flash(gettext("Жалоба отправлена модераторам.")))
    .catch(showError);
}

/** A moderator mutes `author` in `room` for the minutes they type (0 lifts it). */
export function askMute(room, author) {
  const answer = prompt(`${gettext("На сколько минут запретить писать (0 — снять запрет):")} ${author.name}`, DEFAULT_MUTE_MINUTES);
  if (answer === null) return;
  const minutes = Number.parseInt(answer, 10);
  if (!Number.isFinite(minutes) || minutes < 0) return;
  conn
    .request({ type: "mute", room: room.id, user: author.id, minutes })
    .then(() => flash(minutes ? `${gettext("Запрещено писать:")} ${author.name}` : `${gettext("Снова может писать:")} ${author.name}`))
    .catch(showError);
}

export async function showReceipts(message) {
  try {
    const reply = await conn.request({ type: "receipts", room: message.room, seq: message.seq });
    openDialog(gettext("Кто прочитал"), reply.readers.length ? el("ul", {}, reply.readers.map((r) => el("li", { text: r.name }))) : el("p", { text: gettext("Пока никто не прочитал.") }));
  } catch (error) {
    showError(error);
  }
}
