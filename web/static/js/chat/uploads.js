// Attachments: each chosen file is uploaded over HTTP at once; the message then names the uploads by id.

import { describe, showError } from "./notices.js";
import { config, dom } from "./page.js";
import { button, el, formatSize } from "./render.js";
import { state } from "./state.js";

dom.files.addEventListener("change", () => {
  const room = state.current;
  for (const file of dom.files.files) {
    if (state.uploads.length >= config.per_message) {
      showError(`${gettext("Слишком много файлов, максимум:")} ${config.per_message}`);
      break;
    }
    upload(room, file);
  }
  dom.files.value = "";
});

async function upload(room, file) {
  const entry = { file, attachment: null, error: null, node: el("li", { class: "upload" }) };
  const remove = () => {
    entry.node.remove();
    state.uploads = state.uploads.filter((u) => u !== entry);
  };
  const show = (status) => entry.node.replaceChildren(el("span", { text: `${file.name} (${formatSize(file.size)}) — ${status}` }), " ", button(gettext("Убрать"), remove));
  state.uploads.push(entry);
  dom.uploads.append(entry.node);
  const largest = Math.max(...Object.values(config.max_bytes));
  if (file.size > largest) {
    entry.error = gettext("файл слишком большой");
    show(entry.error);
    return;
  }
  show(gettext("загрузка…"));
  const body = new FormData();
  body.append("file", file);
  try {
    const response = await fetch(`/chat/rooms/${room.id}/attachments/`, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": config.csrf_token },
      credentials: "same-origin",
    });
    const reply = await response.json();
    if (!response.ok) throw Object.assign(new Error(reply.detail), { frame: reply });
    entry.attachment = reply;
    show(gettext("готово"));
  } catch (error) {
    entry.error = describe(error.frame || { error: "network" });
    show(entry.error);
  }
}
