// The lesson room: one WebSocket to our server (never to Janus), one RTCPeerConnection per
// published source (camera+mic, screen) and one per subscribed feed. Non-trickle ICE: every SDP
// we send already carries our candidates.
import { openSocket } from "./socket.js";

/** The teacher's camera is sent in three simulcast layers; each student gets the one their link allows. */
const SIMULCAST_LAYERS = [
  { rid: "h", maxBitrate: 900000 },
  { rid: "m", maxBitrate: 300000, scaleResolutionDownBy: 2 },
  { rid: "l", maxBitrate: 100000, scaleResolutionDownBy: 4 },
];
/** How often the received quality is checked (and a layer chosen). */
const QUALITY_CHECK_MS = 3000;
/** More lost packets than this (of the last check) move down a layer... */
const LOSS_TOO_HIGH = 0.05;
/** ...and three checks in a row below this move up one. */
const LOSS_LOW = 0.01;
/** The media server dropped us: join again after this long. */
const REJOIN_AFTER_MEDIA_LOST_MS = 1000;
/** The media server was unavailable when we joined: try again after this long. */
const REJOIN_AFTER_MEDIA_UNAVAILABLE_MS = 2000;

(() => {
  const root = document.getElementById("lesson");
  if (!root) return;
  const lessonId = root.dataset.lesson;
  const role = root.dataset.role;
  const isTeacher = role === "teacher";
  const $ = (id) => document.getElementById(id);

  const lesson = {
    socket: null, me: null, iceServers: [], state: {}, blocked: { audio: false, video: false },
    published: {}, pendingPublish: {}, streams: {}, subs: new Map(), feeds: new Map(),
    participants: [], finished: false, joined: false, errors: [], rejoinTimer: null,
  };
  window.lesson = lesson; // for the browser console and the end-to-end tests

  const status = (text) => { $("status").textContent = text; };
  const failed = (format, error) => status(interpolate(format, { error: error.message }, true));
  const micLabel = (on) => (on ? gettext("Выключить микрофон") : gettext("Включить микрофон"));
  const blockedText = {
    audio: gettext("Учитель выключил вам микрофон"),
    video: gettext("Учитель выключил вам камеру"),
    both: gettext("Учитель выключил вам микрофон и камеру"),
  };
  const send = (message) => {
    if (lesson.socket) lesson.socket.send(message);
  };

  const iceComplete = window.classroomRtc.iceComplete;

  // ----- publishing ------------------------------------------------------------------
  async function publish(source, stream) {
    const pc = new RTCPeerConnection({ iceServers: lesson.iceServers });
    for (const track of stream.getTracks()) {
      const init = { direction: "sendonly", streams: [stream] };
      if (source === "camera" && track.kind === "video" && isTeacher) {
        // Simulcast: each student gets the layer their connection allows.
        init.sendEncodings = SIMULCAST_LAYERS.map((layer) => ({ ...layer }));
      }
      pc.addTransceiver(track, init);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await iceComplete(pc);
    lesson.pendingPublish[source] = pc;
    lesson.streams[source] = stream;
    send({ type: "publish", source, sdp: pc.localDescription.sdp });
  }

  async function startCamera() {
    const wantVideo = isTeacher || (lesson.state.camera_allowed && !lesson.blocked.video);
    const wantAudio = isTeacher || (lesson.state.microphone_allowed && !lesson.blocked.audio);
    if (role === "observer" || (!wantVideo && !wantAudio)) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: wantVideo, audio: wantAudio });
    } catch (error) {
      failed(gettext("Камера или микрофон недоступны: %(error)s"), error);
      return;
    }
    showLocal("camera", stream);
    await publish("camera", stream);
  }

  async function toggleScreen() {
    if (lesson.published.screen || lesson.pendingPublish.screen) { stopScreen(); return; }
    let stream;
    try { stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }); } catch (error) { failed(gettext("Показ экрана недоступен: %(error)s"), error); return; }
    stream.getVideoTracks()[0].addEventListener("ended", stopScreen);
    showLocal("screen", stream);
    $("btn-screen").textContent = gettext("Остановить показ экрана");
    await publish("screen", stream);
  }

  function stopScreen() {
    const pc = lesson.published.screen || lesson.pendingPublish.screen;
    if (pc) pc.close();
    delete lesson.published.screen; delete lesson.pendingPublish.screen;
    if (lesson.streams.screen) lesson.streams.screen.getTracks().forEach((t) => t.stop());
    delete lesson.streams.screen;
    send({ type: "unpublish", source: "screen" });
    if ($("btn-screen")) $("btn-screen").textContent = gettext("Показать экран");
    $("teacher-screen").srcObject = null;
  }

  function showLocal(source, stream) {
    if (isTeacher) {
      const video = $(source === "screen" ? "teacher-screen" : "teacher-camera");
      video.srcObject = stream; video.muted = true;
    } else {
      const video = tile("local", gettext("Вы")).querySelector("video");
      video.srcObject = stream; video.muted = true;
    }
  }

  // ----- subscribing -----------------------------------------------------------------
  function subscribe(feed) {
    if (lesson.subs.has(feed.id)) return;
    lesson.feeds.set(feed.id, feed);
    lesson.subs.set(feed.id, { info: feed, pc: null, layer: 2, lossHistory: [] });
    send({ type: "subscribe", feed: feed.id });
  }

  async function onOffer(message) {
    const sub = lesson.subs.get(message.feed);
    if (!sub) return;
    if (sub.pc) sub.pc.close();
    const pc = new RTCPeerConnection({ iceServers: lesson.iceServers });
    sub.pc = pc;
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      const video = videoFor(sub.info);
      if (video.srcObject !== stream) video.srcObject = stream;
    };
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await iceComplete(pc);
    send({ type: "answer", feed: message.feed, sdp: pc.localDescription.sdp });
  }

  function unsubscribe(feedId) {
    const sub = lesson.subs.get(feedId);
    if (!sub) return;
    if (sub.pc) sub.pc.close();
    lesson.subs.delete(feedId);
    lesson.feeds.delete(feedId);
    const info = sub.info;
    if (info.role === "teacher") $(info.source === "screen" ? "teacher-screen" : "teacher-camera").srcObject = null;
    else { const el = document.getElementById("tile-" + feedId); if (el) el.remove(); }
  }

  function videoFor(info) {
    if (info.role === "teacher") return $(info.source === "screen" ? "teacher-screen" : "teacher-camera");
    return tile(String(info.id), info.name).querySelector("video");
  }

  function tile(key, name) {
    let figure = document.getElementById("tile-" + key);
    if (!figure) {
      figure = document.createElement("figure");
      figure.id = "tile-" + key;
      figure.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption>';
      figure.querySelector("figcaption").textContent = name;
      $("thumbnails").append(figure);
    }
    return figure;
  }

  // Weak connections: pick a lower simulcast layer of the teacher's camera when packets get lost.
  async function adaptQuality() {
    const choice = $("sel-quality").value;
    for (const [feed, sub] of lesson.subs) {
      if (!sub.pc || sub.info.role !== "teacher" || sub.info.source !== "camera") continue;
      let wanted = sub.layer;
      if (choice !== "auto") wanted = Number(choice);
      else {
        const stats = await sub.pc.getStats();
        stats.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "video") {
            const last = sub.lastStats || { packetsLost: 0, packetsReceived: 0 };
            const lost = s.packetsLost - last.packetsLost;
            const got = s.packetsReceived - last.packetsReceived;
            sub.lastStats = { packetsLost: s.packetsLost, packetsReceived: s.packetsReceived };
            const ratio = got + lost > 0 ? lost / (got + lost) : 0;
            sub.lossHistory = [...sub.lossHistory.slice(-2), ratio];
            if (ratio > LOSS_TOO_HIGH && sub.layer > 0) wanted = sub.layer - 1;
            else if (sub.lossHistory.length === 3 && sub.lossHistory.every((r) => r < LOSS_LOW) && sub.layer < 2) wanted = sub.layer + 1;
          }
        });
      }
      if (wanted !== sub.layer) { sub.layer = wanted; sub.lossHistory = []; send({ type: "substream", feed, substream: wanted }); }
    }
  }

  // Test and diagnostics helper: the inbound RTP figures of every subscription.
  lesson.inboundStats = async () => {
    const rows = [];
    for (const [feed, sub] of lesson.subs) {
      if (!sub.pc) continue;
      (await sub.pc.getStats()).forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        rows.push({ feed, user: sub.info.user, source: sub.info.source, role: sub.info.role, kind: s.kind,
          packetsReceived: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0,
          bytesReceived: s.bytesReceived || 0, totalAudioEnergy: s.totalAudioEnergy || 0, frameWidth: s.frameWidth || 0 });
      });
    }
    return rows;
  };

  // ----- participants and moderation ---------------------------------------------------
  function renderParticipants() {
    const list = $("participants");
    list.replaceChildren();
    const talking = new Set(lesson.participants.filter((p) => p.talking).map((p) => p.user));
    for (const [feed, info] of lesson.feeds) {
      const figure = document.getElementById("tile-" + feed);
      if (figure) figure.classList.toggle("talking", talking.has(info.user));
    }
    for (const p of lesson.participants) {
      const li = document.createElement("li");
      li.dataset.user = p.user;
      if (p.talking) li.classList.add("talking");
      const marks = [p.role === "teacher" ? gettext("учитель") : "", p.hand ? "✋ " + gettext("поднял руку") : "",
        p.muted ? gettext("микрофон выключен") : "", p.camera_off ? gettext("камера выключена") : "",
        p.talking ? gettext("говорит") : ""].filter(Boolean);
      li.textContent = p.name + (marks.length ? " — " + marks.join(", ") : "");
      if (isTeacher && p.role !== "teacher") {
        const button = (label, message) => {
          const b = document.createElement("button"); b.type = "button"; b.textContent = label;
          b.addEventListener("click", () => send(message)); li.append(b);
        };
        button(micLabel(!p.muted), { type: "mute", user: p.user, on: !p.muted });
        button(p.camera_off ? gettext("Разрешить камеру") : gettext("Выключить камеру"),
          { type: "camera_off", user: p.user, on: !p.camera_off });
        button(pgettext("lesson participant", "Удалить"), { type: "remove", user: p.user });
      }
      list.append(li);
    }
  }

  function markTalking(user, on) {
    const person = lesson.participants.find((p) => p.user === user);
    if (person) person.talking = on;
    renderParticipants();
  }

  function applyBlocked(blocked) {
    lesson.blocked = blocked;
    const stream = lesson.streams.camera;
    if (stream) {
      stream.getAudioTracks().forEach((t) => { t.enabled = !blocked.audio; });
      stream.getVideoTracks().forEach((t) => { t.enabled = !blocked.video; });
    }
    // The buttons follow the tracks just set, and say who turned them off (not a broken «Включить»).
    $("btn-mic").dataset.on = blocked.audio ? "0" : "1";
    $("btn-mic").textContent = blocked.audio ? gettext("Микрофон выключен учителем") : micLabel(true);
    $("btn-cam").dataset.on = blocked.video ? "0" : "1";
    $("btn-cam").textContent = blocked.video ? gettext("Камера выключена учителем") : gettext("Выключить камеру");
    if (blocked.audio || blocked.video) status(blockedText[blocked.audio && blocked.video ? "both" : blocked.audio ? "audio" : "video"]);
  }

  function applyState(state) {
    lesson.state = state;
    // Everyone is told while the lesson is recorded (the teacher switches it; late joiners get it in `joined`).
    $("recording-badge").hidden = !state.recording;
    if ($("btn-record")) {
      $("btn-record").dataset.on = state.recording ? "1" : "0";
      $("btn-record").textContent = state.recording ? gettext("Остановить запись") : gettext("Включить запись");
    }
    if ($("chk-lock")) {
      $("chk-lock").checked = state.locked;
      $("chk-mics").checked = state.microphone_allowed;
      $("chk-cams").checked = state.camera_allowed;
    }
  }

  function closeAll() {
    for (const feed of [...lesson.subs.keys()]) unsubscribe(feed);
    for (const pc of [...Object.values(lesson.published), ...Object.values(lesson.pendingPublish)]) pc.close();
    lesson.published = {}; lesson.pendingPublish = {};
  }

  function finish(text) {
    lesson.finished = true;
    closeAll();
    for (const stream of Object.values(lesson.streams)) stream.getTracks().forEach((t) => t.stop());
    // Removed or ended: nothing on the page works any more, so the controls and the people go.
    $("lesson-layout").hidden = true;
    lesson.participants = []; renderParticipants();
    $("recording-badge").hidden = true;
    status(text);
  }

  // ----- the socket --------------------------------------------------------------------
  const handlers = {
    async joined(m) {
      lesson.joined = true;
      lesson.me = m.me; lesson.iceServers = m.ice_servers; lesson.blocked = m.blocked; lesson.run = m.lesson.run;
      applyState(m.state);
      lesson.participants = m.participants; renderParticipants();
      status(interpolate(gettext("Вы на уроке «%(title)s»"), { title: m.lesson.title }, true));
      if (m.lesson.chat_room) {
        const link = document.createElement("a");
        link.href = root.dataset.chatUrl + "?room=" + m.lesson.chat_room;
        link.target = "_blank";
        link.textContent = gettext("открыть в новой вкладке");
        $("chat-note").replaceChildren(link);
      }
      for (const feed of m.feeds) subscribe(feed);
      await startCamera();
    },
    published(m) {
      const pc = lesson.pendingPublish[m.source];
      if (!pc) return;
      delete lesson.pendingPublish[m.source];
      lesson.published[m.source] = pc;
      pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
    },
    offer: onOffer,
    started() {},
    "feed.added"(m) { subscribe(m.feed); },
    "feed.removed"(m) { unsubscribe(m.feed); },
    talking(m) { markTalking(m.user, m.on); },
    participants(m) { lesson.participants = m.list; renderParticipants(); },
    state(m) { applyState(m.state); },
    moderated(m) { applyBlocked(m.blocked); },
    removed(m) { finish(m.detail); },
    ended(m) {
      const recorded = lesson.state.recording;
      finish(m.detail);
      if (recorded) $("status").append(" ", gettext("Запись урока появится на этой странице через несколько минут."));
      if (isTeacher && lesson.run) {
        const link = document.createElement("a");
        link.href = "/lessons/runs/" + lesson.run + "/attendance/";
        link.textContent = gettext("Посещаемость урока");
        $("status").append(" ", link);
      }
    },
    "media.lost"(m) {
      status(m.detail);
      closeAll();
      for (const stream of Object.values(lesson.streams)) stream.getTracks().forEach((t) => t.stop());
      lesson.streams = {};
      scheduleRejoin(REJOIN_AFTER_MEDIA_LOST_MS);
    },
    pong() {},
    error(m) {
      lesson.errors.push(m);
      if (m.error === "media_unavailable" && !lesson.finished) { scheduleRejoin(REJOIN_AFTER_MEDIA_UNAVAILABLE_MS); return; }
      if (!lesson.joined) { lesson.finished = ["forbidden", "locked", "removed", "ended", "not_open"].includes(m.error); }
      if (lesson.finished) $("lesson-layout").hidden = true;
      status(m.detail);
    },
  };

  function scheduleRejoin(delay) {
    clearTimeout(lesson.rejoinTimer);
    lesson.rejoinTimer = setTimeout(() => { if (!lesson.finished) send({ type: "join" }); }, delay);
  }

  // Every (re)connect joins afresh: the server keeps nothing of a socket that went away.
  function connect() {
    lesson.socket = openSocket("/ws/lessons/" + lessonId + "/", {
      open: () => send({ type: "join" }),
      message: (message) => {
        const handler = handlers[message.type];
        if (handler) Promise.resolve(handler(message)).catch((error) => failed(gettext("Ошибка: %(error)s"), error));
      },
      lost: () => {
        if (lesson.finished) { lesson.socket.stop(); return; }
        closeAll();
        for (const stream of Object.values(lesson.streams)) stream.getTracks().forEach((t) => t.stop());
        lesson.streams = {};
        lesson.joined = false;
        status(gettext("Соединение прервано, переподключаемся…"));
      },
      stopped: () => { if (!lesson.finished) finish(gettext("Соединение закрыто: войдите снова и обновите страницу.")); },
    });
  }

  // ----- controls ------------------------------------------------------------------------
  function bind(id, event, fn) { const el = $(id); if (el) el.addEventListener(event, fn); }
  bind("btn-mic", "click", () => {
    const tracks = lesson.streams.camera ? lesson.streams.camera.getAudioTracks() : [];
    const on = $("btn-mic").dataset.on !== "1";
    if (on && lesson.blocked.audio) { status(blockedText.audio); return; }
    tracks.forEach((t) => { t.enabled = on; });
    $("btn-mic").dataset.on = on ? "1" : "0";
    $("btn-mic").textContent = micLabel(on);
  });
  bind("btn-cam", "click", () => {
    const tracks = lesson.streams.camera ? lesson.streams.camera.getVideoTracks() : [];
    const on = $("btn-cam").dataset.on !== "1";
    if (on && lesson.blocked.video) { status(blockedText.video); return; }
    tracks.forEach((t) => { t.enabled = on; });
    $("btn-cam").dataset.on = on ? "1" : "0";
    $("btn-cam").textContent = on ? gettext("Выключить камеру") : gettext("Включить камеру");
  });
  bind("btn-screen", "click", toggleScreen);
  bind("btn-mute-all", "click", () => send({ type: "mute", user: "all", on: true }));
  bind("chk-mics", "change", () => send({ type: "allow", microphone: $("chk-mics").checked }));
  bind("chk-cams", "change", () => send({ type: "allow", camera: $("chk-cams").checked }));
  bind("chk-lock", "change", () => send({ type: "lock", locked: $("chk-lock").checked }));
  bind("btn-record", "click", () => send({ type: "record", on: !lesson.state.recording }));
  bind("btn-end", "click", () => { if (confirm(gettext("Завершить урок для всех?"))) send({ type: "end" }); });
  bind("btn-hand", "click", () => {
    const up = $("btn-hand").dataset.up !== "1";
    $("btn-hand").dataset.up = up ? "1" : "0";
    $("btn-hand").textContent = up ? gettext("Опустить руку") : gettext("Поднять руку");
    send({ type: "hand", up });
  });

  lesson.toggleScreen = toggleScreen;
  lesson.send = send;
  setInterval(() => { adaptQuality().catch(() => {}); }, QUALITY_CHECK_MS);
  if (JSON.parse($("lesson-open").textContent) === "1") connect();
})();
