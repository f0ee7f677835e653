// The proctor's live dashboard: one tile per student (thumbnail, status, open violations),
// a live violation feed, and per-student actions (watch live, admit, warn, end, reopen an ended session). A
// reference photo the student took from their camera is shown beside the thumbnail until a proctor confirms it.
// The live view shows the student's camera, or on demand their shared screen (the view's "source").
import { openSocket } from "./socket.js";

/** Non-trickle ICE: the view offer goes out when gathering completes or after this long. */
const ICE_GATHER_TIMEOUT_MS = 3000;
/** The live feed keeps this many newest lines. */
const FEED_LINES = 200;

(() => {
  const cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  const grid = document.getElementById("grid"), feed = document.getElementById("feed");
  const labels = cfg.labels;
  const tileActions = [["watch", gettext("Смотреть")], ["admit", gettext("Допустить")], ["warn", gettext("Предупредить")],
    ["end", gettext("Завершить")], ["reopen", gettext("Разрешить продолжить")]];
  const tiles = new Map();
  let socket = null, watched = null;

  function send(msg) { socket.send(msg); }
  function csrf() { const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }

  function showReference(t, id, toConfirm) {
    let box = t.li.querySelector(".tile-reference");
    if (!toConfirm) { if (box) box.remove(); t.li.dataset.referenceToConfirm = "0"; return; }
    t.li.dataset.referenceToConfirm = "1";
    if (box) return;
    box = document.createElement("div");
    box.className = "tile-reference";
    const photo = document.createElement("img");
    photo.width = 90; photo.height = 120; photo.alt = gettext("Эталонное фото, снятое учеником");
    photo.src = cfg.reference_url.replace("0", id);
    const confirmButton = document.createElement("button");
    confirmButton.type = "button"; confirmButton.dataset.act = "confirm-reference"; confirmButton.textContent = gettext("Подтвердить фото");
    box.append(photo, confirmButton);
    t.li.insertBefore(box, t.li.querySelector(".tile-name"));
  }

  async function confirmReference(id) {
    if (!confirm(gettext("Фото действительно этого ученика (сверьте с живым видео)?"))) return;
    await fetch(cfg.confirm_reference_url.replace("0", id), { method: "POST", headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
  }

  function tile(id) {
    let t = tiles.get(id);
    if (t) return t;
    const li = document.createElement("li");
    li.className = "tile card"; li.dataset.session = id;
    li.innerHTML = '<img alt="" width="160" height="120"><div class="tile-name"></div><div class="tile-state"></div>' +
      '<div class="tile-flags"></div><div class="tile-actions"></div>';
    const actions = li.querySelector(".tile-actions");
    for (const [act, label] of tileActions) {
      const button = document.createElement("button");
      button.type = "button"; button.dataset.act = act; button.textContent = label;
      actions.append(button, " ");
    }
    const timeline = document.createElement("a");
    timeline.dataset.act = "timeline"; timeline.textContent = gettext("Хронология");
    timeline.href = cfg.session_url.replace("0", id);
    actions.append(timeline);
    li.addEventListener("click", (e) => act(id, e.target.dataset.act));
    grid.appendChild(li);
    t = { li, img: li.querySelector("img") };
    tiles.set(id, t);
    return t;
  }

  let viewer = null;
  const liveVideo = document.getElementById("live-video"), livePanel = document.getElementById("live");
  const liveSource = document.getElementById("live-source");
  const sourceButtons = { camera: gettext("Показать экран ученика"), screen: gettext("Показать камеру ученика") };

  function stopViewer() {
    if (viewer) { viewer.close(); viewer = null; }
    liveVideo.srcObject = null; livePanel.hidden = true; delete livePanel.dataset.playing;
  }

  async function startViewer(id) {
    stopViewer();
    viewer = new RTCPeerConnection({ iceServers: cfg.ice_servers });
    const pc = viewer;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => { liveVideo.srcObject = new MediaStream([e.track]); };
    liveVideo.onplaying = () => { livePanel.dataset.playing = "1"; };
    await pc.setLocalDescription(await pc.createOffer());
    await window.classroomRtc.iceComplete(pc, ICE_GATHER_TIMEOUT_MS);
    if (viewer !== pc) return;
    document.getElementById("live-name").textContent = tile(id).li.querySelector(".tile-name").textContent;
    livePanel.hidden = false;
    send({ type: "view", session: id, sdp: pc.localDescription.sdp, source: liveSource.dataset.source });
  }

  // The same student's other stream: a new view (the server sends one stream per view).
  liveSource.addEventListener("click", () => {
    liveSource.dataset.source = liveSource.dataset.source === "camera" ? "screen" : "camera";
    liveSource.textContent = sourceButtons[liveSource.dataset.source];
    if (watched !== null) startViewer(watched);
  });

  function act(id, action) {
    if (action === "watch") {
      if (watched !== null) {
        send({ type: "watch", session: watched, on: false }); tile(watched).li.classList.remove("watched"); stopViewer();
      }
      if (watched === id) { watched = null; return; }
      watched = id; tile(id).li.classList.add("watched"); send({ type: "watch", session: id, on: true });
      startViewer(id);
    } else if (action === "admit") {
      if (confirm(gettext("Вы сверили лицо ученика с фото и допускаете его к экзамену?"))) send({ type: "admit", session: id });
    } else if (action === "warn") {
      const text = prompt(gettext("Текст предупреждения")); if (text) send({ type: "warn", session: id, text });
    } else if (action === "confirm-reference") {
      confirmReference(id);
    } else if (action === "end") {
      if (confirm(gettext("Завершить экзамен этого ученика?"))) send({ type: "end", session: id });
    } else if (action === "reopen") {
      if (confirm(gettext("Разрешить ученику продолжить завершённый экзамен? Ему вернётся оставшееся время."))) {
        send({ type: "reopen", session: id });
      }
    }
  }

  function update(s) {
    const t = tile(s.session);
    t.li.querySelector(".tile-name").textContent = s.student;
    t.li.querySelector(".tile-state").textContent = s.state_label + " · " + s.identity_label;
    t.li.querySelector(".tile-flags").textContent = s.open_episodes ? interpolate(gettext("Открытых нарушений: %s"), [s.open_episodes]) : "";
    t.li.dataset.state = s.state; t.li.dataset.identity = s.identity;
    showReference(t, s.session, s.reference_to_confirm);
    t.li.querySelector('[data-act="reopen"]').hidden = s.state !== "ended";
    t.li.classList.toggle("alert", s.open_episodes > 0);
    if (s.chat_room && !t.li.querySelector('[data-act="chat"]')) {
      const chat = document.createElement("a");
      chat.dataset.act = "chat"; chat.target = "_blank"; chat.rel = "noopener";
      chat.href = cfg.chat_url + "?room=" + s.chat_room; chat.textContent = gettext("Чат");
      t.li.querySelector(".tile-actions").append(" ", chat);
    }
  }

  const clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { timeZone: cfg.time_zone, hour: "2-digit", minute: "2-digit", second: "2-digit" });

  // One line per episode: opened adds it, closed updates the same line with the end time.
  function episode(msg) {
    const e = msg.episode;
    let li = feed.querySelector(`li[data-episode="${Number(e.id)}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.episode = e.id; li.dataset.kind = e.kind; li.dataset.session = e.session;
      feed.prepend(li);
      while (feed.children.length > FEED_LINES) feed.lastChild.remove();
    }
    const name = tiles.has(e.session) ? tile(e.session).li.querySelector(".tile-name").textContent : "#" + e.session;
    const span = clock.format(new Date(e.started_at)) + (e.ended_at ? "–" + clock.format(new Date(e.ended_at)) : "");
    li.dataset.event = msg.type;
    li.textContent = span + " · " + name + " · " + (labels[e.kind] || e.kind) +
      (msg.type === "episode.closed" ? " " + gettext("(закончилось)") : "");
  }

  function onMessage(msg) {
    if (msg.type === "snapshot") { document.body.dataset.connection = "ok"; msg.sessions.forEach(update); }
    else if (msg.type === "session.updated") update(msg);
    else if (msg.type === "thumbnails") for (const [id, image] of Object.entries(msg.images)) tile(Number(id)).img.src = image;
    else if (msg.type === "episode.opened" || msg.type === "episode.closed") episode(msg);
    else if (msg.type === "view.answer" && viewer && msg.session === watched) viewer.setRemoteDescription({ type: "answer", sdp: msg.sdp });
    else if (msg.type === "view.error") document.getElementById("live-name").textContent = msg.detail;
  }

  // A new socket starts with nothing watched on the server: watch the same student again.
  function resume({ reconnect }) {
    if (!reconnect || watched === null) return;
    send({ type: "watch", session: watched, on: true });
    startViewer(watched);
  }

  socket = openSocket(cfg.socket, {
    open: resume,
    message: onMessage,
    lost: () => { document.body.dataset.connection = "lost"; },
    stopped: () => { document.body.dataset.connection = "closed"; },
  });
})();
