// DOM builders for the chat page (no innerHTML with user data: text goes in through textContent).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export function formatTime(iso, lang) {
  const date = new Date(iso);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  const options = sameDay ? { hour: "2-digit", minute: "2-digit" } : { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" };
  return date.toLocaleString(lang, options);
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} ${gettext("Б")}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} ${gettext("КБ")}`;
  return `${(bytes / 1024 / 1024).toFixed(1)} ${gettext("МБ")}`;
}

const MENTION = /(^|[^\w@])@([\w.+-]{1,150})/gu;

/** Message text as nodes, with @mentions highlighted. */
export function textNodes(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    const start = match.index + match[1].length;
    nodes.push(text.slice(last, start));
    nodes.push(el("span", { class: "mention", text: `@${match[2]}` }));
    last = start + match[2].length + 1;
  }
  nodes.push(text.slice(last));
  return nodes;
}

export function attachmentNode(attachment) {
  const label = `${attachment.name} (${formatSize(attachment.size)})`;
  if (attachment.kind === "image" && attachment.thumbnail_url) {
    return el(
      "a",
      { href: attachment.url, target: "_blank", rel: "noopener", class: "attachment image" },
      el("img", { src: attachment.thumbnail_url, alt: attachment.name, loading: "lazy" }),
    );
  }
  if (attachment.kind === "audio") {
    return el("figure", { class: "attachment audio" }, el("audio", { controls: true, preload: "none", src: attachment.url, "aria-label": label }), el("figcaption", { text: label }));
  }
  if (attachment.kind === "video") {
    return el("figure", { class: "attachment video" }, el("video", { controls: true, preload: "none", src: attachment.url, "aria-label": label }), el("figcaption", { text: label }));
  }
  return el("a", { href: attachment.url, class: "attachment file", download: attachment.name, text: `📎 ${label}` });
}

/** A button that looks like a link (message actions, dialog tools). */
export function button(label, onclick) {
  return el("button", { type: "button", class: "link-button", text: label, onclick });
}
