// @mentions in the composer: while the word before the cursor starts with @, offer the room's members.

import { dom, me } from "./page.js";
import { button, el } from "./render.js";
import { state } from "./state.js";

/** At most this many members are offered at once. */
const SUGGESTIONS_SHOWN = 6;

export function suggestMentions() {
  const room = state.current;
  const before = dom.text.value.slice(0, dom.text.selectionStart);
  const match = before.match(/(?:^|\s)@([\w.+-]*)$/u);
  if (!room || !match) {
    dom.suggestions.replaceChildren();
    return;
  }
  const query = match[1].toLowerCase();
  const found = [...room.members.values()]
    .filter((m) => m.id !== me && (m.username.toLowerCase().startsWith(query) || m.name.toLowerCase().includes(query)))
    .slice(0, SUGGESTIONS_SHOWN);
  dom.suggestions.replaceChildren(
    ...found.map((m) =>
      el("li", {}, button(`${m.name} (@${m.username})`, () => {
        const start = before.length - match[1].length;
        dom.text.value = `${dom.text.value.slice(0, start)}${m.username} ${dom.text.value.slice(dom.text.selectionStart)}`;
        dom.suggestions.replaceChildren();
        dom.text.focus();
      })),
    ),
  );
}
