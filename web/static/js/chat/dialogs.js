// The page's dialog and what opens it: the members of the open room (write privately, mute) and,
// for moderators, the reports.

import { askMute } from "./actions.js";
import { showError } from "./notices.js";
import { conn, dom, lang, me } from "./page.js";
import { button, el, formatTime } from "./render.js";
import { mergeRooms, openRoom } from "./rooms.js";
import { state } from "./state.js";

export function openDialog(title, body) {
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
    if (m.id !== me && room.canModerate && m.role !== "moderator") tools.push(button(gettext("Запретить писать"), () => askMute(room, m)));
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
