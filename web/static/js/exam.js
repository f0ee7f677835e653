// The student's exam page: consent -> system check -> reference photo -> identity check -> exam.
// No camera is opened before the biometric consent exists (the server refuses the offer without it); then the
// camera (and the microphone, unless the exam's policy does not listen for speech) goes to the server over WebRTC
// (aiortc) from the system check until the exam ends. A student without a
// reference photo asks the server to take it from that stream (reference.capture): nothing is uploaded;
// browser events (tab hidden, blur, fullscreen exit, copy/paste, devtools, screen share, second monitor) go over
// the same socket. Unless the policy switches screen_share_stopped off, the student also shares the whole screen
// (a click on a button: getDisplayMedia needs a user gesture), sent as a second video track of the same peer at
// 1 fps; while it is not shared the page reports screen_share_stopped.
import { openSocket } from "./socket.js";

/** Non-trickle ICE: the offer goes out when gathering completes or after this long. */
const ICE_GATHER_TIMEOUT_MS = 3000;
/** No media worker answered the offer: offer again after this long. */
const MEDIA_RETRY_MS = 1000;
/** The server's offer limit (10 a minute per session) was reached: offer again after its refill time. */
const OFFER_LIMITED_RETRY_MS = 6000;
/** Browser chrome wider or taller than this means the developer tools are docked open. */
const DEVTOOLS_WIDTH_PX = 200, DEVTOOLS_HEIGHT_PX = 250;
/** The screen's grade: a low rate is enough to see what is open, and costs the student's uplink little. */
const SCREEN_MAX_WIDTH = 1280, SCREEN_FPS = 1, SCREEN_MAX_BITRATE = 250_000;
/** How often screen.isExtended is read where the browser has no "change" event for it. */
const MONITOR_POLL_MS = 5000;

(() => {
  const cfg = JSON.parse(document.getElementById("exam-config").textContent);
  const $ = (id) => document.getElementById(id);
  const steps = ["step-consent", "step-check", "step-reference", "step-identity", "step-exam", "step-ended"];
  const endReasons = {
    submitted: gettext("Вы сдали экзамен."), timeout: gettext("Время вышло."), logout: gettext("Вы вышли из системы."),
    proctor: gettext("Экзамен завершён проктором."), camera_lost: gettext("Камера не вернулась вовремя."),
    already_ended: gettext("Экзамен уже завершён."),
    no_consent: gettext("Согласие на биометрию отозвано: наблюдение остановлено."),
  };
  let socket = null, pc = null, sender = null, stream = null, state = null, ended = false, iceServers = [];
  let grade = null, watchingEvents = false, timerHandle = null, tasksShown = false, capturing = false;
  let screenTrack = null, screenSender = null, screenReported = null;

  function show(step) { for (const s of steps) $(s).hidden = s !== step; document.body.dataset.step = step; }
  function mark(id, ok, text) { const el = $(id); el.dataset.ok = ok ? "1" : "0"; el.classList.toggle("ok", ok); if (text) el.title = text; }
  function csrf() { const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function send(msg) { if (socket) socket.send(msg); }

  async function systemCheck() {
    $("check-error").textContent = ""; $("check-retry").hidden = true;
    const supported = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.RTCPeerConnection
      && window.RTCRtpSender && RTCRtpSender.prototype.setParameters && window.WebSocket);
    mark("check-browser", supported);
    if (!supported) return fail(gettext("Браузер не поддерживается: нужен современный Chrome, Edge, Firefox или Safari."));
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: cfg.microphone });
    } catch (error) {
      return fail(interpolate(gettext("Нет доступа к камере или микрофону: разрешите доступ в настройках браузера (%(error)s)."),
        { error: error.name }, true));
    }
    mark("check-camera", stream.getVideoTracks().length > 0);
    $("check-mic").hidden = !cfg.microphone;  // the exam's policy does not listen
    mark("check-mic", !cfg.microphone || stream.getAudioTracks().length > 0);
    $("preview").srcObject = stream;
    connect();
  }

  function fail(text) { $("check-error").textContent = text; $("check-retry").hidden = false; }

  function warn(text) { $("warning").textContent = text; $("warning").hidden = false; }

  // Every (re)connect is answered with session.state: the server resumes the session until the exam's time is up.
  function connect() {
    if (socket) return;
    socket = openSocket(cfg.socket, {
      message: handle,
      lost: () => {
        closePeer();
        if (ended) { socket.stop(); return; }
        document.body.dataset.connection = "lost";  // the session waits for us until the exam's time is up
        if (state === "running") warn(gettext("Связь с сервером потеряна. Переподключаемся — экзамен продолжится с того же места."));
      },
      stopped: ({ reason }) => {
        closePeer();
        if (reason === "replaced") { ended = true; warn(gettext("Экзамен открыт в другой вкладке.")); return; }
        if (reason === "unauthenticated") { warn(gettext("Вы вышли из системы: войдите снова, чтобы продолжить экзамен.")); return; }
        if (!ended) finish(reason === "session_over" ? "already_ended" : "");
      },
    });
  }

  async function startMedia(iceServers) {
    closePeer();
    pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    const video = stream.getVideoTracks()[0];
    sender = pc.addTrack(video, stream);
    // The microphone too, unless the exam's policy does not listen (the server refuses an offer with other media).
    if (cfg.microphone) for (const track of stream.getAudioTracks().slice(0, 1)) pc.addTrack(track, stream);
    // The screen is the offer's second video section (the server tells it from the camera by that order). Its
    // sender exists from the first offer on, so sharing again later is replaceTrack, with no new offer.
    if (cfg.screen) {
      screenSender = pc.addTransceiver(screenTrack || "video", { direction: "sendonly" }).sender;
      if (screenTrack) limitScreen();
    }
    await pc.setLocalDescription(await pc.createOffer());
    await window.classroomRtc.iceComplete(pc, ICE_GATHER_TIMEOUT_MS);
    send({ type: "offer", sdp: pc.localDescription.sdp, ref: "offer" });
  }

  function closePeer() { if (pc) { pc.close(); pc = null; sender = null; screenSender = null; } }

  // The whole screen, asked for on the student's click. A window or a tab shows nothing else: refused, ask again.
  async function shareScreen() {
    $("screen-error").textContent = "";
    let shared;
    try {
      shared = await navigator.mediaDevices.getDisplayMedia({
        video: { displaySurface: "monitor", width: { max: SCREEN_MAX_WIDTH }, frameRate: { max: SCREEN_FPS } },
        audio: false, monitorTypeSurfaces: "include", surfaceSwitching: "exclude", selfBrowserSurface: "exclude",
      });
    } catch (error) {
      $("screen-error").textContent = interpolate(gettext("Доступ к экрану не дан (%(error)s). Нажмите «Показать экран» и выберите весь экран."),
        { error: error.name }, true);
      return screenStopped();
    }
    const track = shared.getVideoTracks()[0];
    if (track.getSettings().displaySurface !== "monitor") {
      track.stop();
      $("screen-error").textContent = gettext("Выбрано окно или вкладка. Нажмите «Показать экран» ещё раз и выберите весь экран.");
      return screenStopped();
    }
    if (screenTrack) screenTrack.stop();
    screenTrack = track;
    track.contentHint = "detail";
    track.addEventListener("ended", () => { if (screenTrack === track) { screenTrack = null; screenStopped(); } });
    if (screenSender) { await screenSender.replaceTrack(track); limitScreen(); }
    mark("check-screen", true);
    $("screen-button").hidden = true;
    reportScreen(true);
  }

  function screenStopped() {
    mark("check-screen", false);
    $("screen-button").hidden = false;
    if (screenSender) screenSender.replaceTrack(null);
    reportScreen(false);
  }

  // screen_share_stopped is open while the screen is not shared: reported from the start of the attempt on, and
  // only on a change.
  function reportScreen(shared) {
    if (!watchingEvents || screenReported === shared) return;
    screenReported = shared;
    send({ type: "browser_event", event: shared ? "screen_share_started" : "screen_share_stopped" });
  }

  // 1 fps at most 1280 px wide and a low bitrate, whatever size the screen is.
  async function limitScreen() {
    const width = screenTrack.getSettings().width || SCREEN_MAX_WIDTH;
    const params = screenSender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    Object.assign(params.encodings[0], { scaleResolutionDownBy: Math.max(1, width / SCREEN_MAX_WIDTH),
      maxFramerate: SCREEN_FPS, maxBitrate: SCREEN_MAX_BITRATE });
    await screenSender.setParameters(params).catch(() => {});  // before negotiation: applied with the next call
  }

  // The Window Management API's screen.isExtended; a browser without it reports nothing (unknown, not "one").
  function watchMonitors(event) {
    if (!("isExtended" in window.screen)) return;
    let extended = false;  // nothing is reported until a second monitor is seen
    const check = () => {
      if (window.screen.isExtended === extended) return;
      extended = window.screen.isExtended;
      event(extended ? "second_monitor" : "single_monitor");
    };
    window.screen.addEventListener("change", check);  // where the browser fires it on a monitor added or removed
    setInterval(check, MONITOR_POLL_MS);
    check();
  }

  // Test and diagnostics helper: what the camera sender is sending now.
  window.examSentVideo = async () => {
    let row = null;
    if (sender) (await sender.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp") row = { framesSent: s.framesSent || 0, frameWidth: s.frameWidth || 0 };
    });
    return row;
  };

  async function applyGrade(name, g) {
    if (!sender) return;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    const s = sender.track.getSettings();
    const enc = params.encodings[0];
    enc.scaleResolutionDownBy = Math.max(1, (s.width || g.maxWidth) / g.maxWidth, (s.height || g.maxHeight) / g.maxHeight);
    enc.maxFramerate = g.maxFramerate;
    enc.maxBitrate = g.maxBitrate;
    await sender.setParameters(params);
    document.body.dataset.grade = name;
  }

  function handle(msg) {
    switch (msg.type) {
      case "session.state":
        if (msg.ice_servers) {  // a (re)connected socket: new peer, identity check asked again if needed
          grade = msg.grade; iceServers = msg.ice_servers; delete document.body.dataset.identityRequested; startMedia(iceServers);
          $("warning").hidden = true;
          capturing = false; $("reference-button").disabled = false;  // a capture asked on the lost socket has no answer
        }
        setState(msg);
        break;
      case "answer":
        pc.setRemoteDescription({ type: "answer", sdp: msg.sdp }).then(() => {
          if (screenTrack && screenSender) limitScreen();
          return applyGrade("analysis", grade);
        });
        break;
      case "media.ok":
        mark("check-stream", true);
        document.body.dataset.connection = "ok";
        setState(msg);
        break;
      case "media.lost":
        document.body.dataset.connection = "media-lost";
        if (msg.state === "worker_lost") startMedia(iceServers);  // the session moved to another media server
        break;
      case "grade":
        applyGrade(msg.name, msg.grade);
        break;
      case "identity.checking":
        $("identity-status").textContent = gettext("Идёт проверка, смотрите в камеру…");
        $("identity-retry").hidden = true;
        break;
      case "reference.capturing":
        $("reference-error").textContent = "";
        break;
      case "reference.result":
        capturing = false; $("reference-button").disabled = false;
        if (msg.ok) { cfg.has_reference = true; nextEnrolmentStep(); }
        else $("reference-error").textContent = msg.reasons.map((r) => r.message).join(" ");
        break;
      case "identity.result":
        if (!msg.passed) identityFailed();
        setState(msg);
        break;
      case "materials":
        showTasks(msg);
        break;
      case "warning":
        warn(interpolate(gettext("Проктор: %(text)s"), { text: msg.text }, true));
        break;
      case "session.ended":
        finish(msg.reason);
        break;
      case "error":
        if (msg.error === "rate_limited" && msg.ref === "offer") { setTimeout(() => startMedia(iceServers), OFFER_LIMITED_RETRY_MS); break; }
        if (capturing && referenceErrors[msg.error]) {  // the capture asked for was refused (or the gate is busy)
          capturing = false;
          $("reference-button").disabled = false; $("reference-error").textContent = referenceErrors[msg.error];
          break;
        }
        if (msg.error === "identity_attempts_exhausted") {
          $("identity-status").textContent = gettext("Попытки проверки личности закончились: дождитесь проктора, он может допустить вас вручную.");
          $("identity-retry").hidden = true; $("identity-help").hidden = false;
          break;
        }
        if (msg.error !== "media_timeout") { console.warn("server error", msg); break; }
        document.body.dataset.connection = "media-timeout";  // no media worker answered: offer again
        setTimeout(() => startMedia(iceServers), MEDIA_RETRY_MS);
        break;
    }
  }

  function setState(msg) {
    state = msg.state;
    $("exam-status").dataset.state = state;
    $("exam-status").textContent = msg.state_label || state;
    document.body.dataset.identity = msg.identity;
    if (state === "running") return startExam();
    if (state === "identity_pending" && document.body.dataset.connection === "ok") nextEnrolmentStep();
  }

  // Each identity check counts against the exam's identity_attempts: the page asks by itself only for the first
  // one (identity still "pending"; again after a reconnect, as a check cut off by it is not counted); after a
  // failed check only the student's own click on "retry" asks again, so a dropped connection costs no attempt.
  function nextEnrolmentStep() {
    if (!cfg.has_reference) return show("step-reference");
    show("step-identity");
    if (document.body.dataset.identity === "failed") return identityFailed();
    if (!document.body.dataset.identityRequested) { document.body.dataset.identityRequested = "1"; send({ type: "identity.check" }); }
  }

  function identityFailed() {
    $("identity-status").textContent = gettext("Лицо не совпало с эталонным фото.");
    $("identity-retry").hidden = false; $("identity-help").hidden = false;
  }

  const referenceErrors = {
    no_stream: gettext("Видео с камеры ещё не дошло до сервера: подождите и попробуйте снова."),
    rate_limited: gettext("Слишком много попыток: подождите минуту."),
    reference_exists: gettext("Эталонное фото уже есть: заменить его может только школа."),
    consent_required: gettext("Сначала нужно согласие на обработку биометрии."),
  };

  async function post(url, body, type) {
    const response = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf(), "Content-Type": type,
      Accept: "application/json" },
      credentials: "same-origin" });
    return response.json();
  }

  $("consent-box").addEventListener("change", (e) => { $("consent-button").disabled = !e.target.checked; });
  $("consent-button").addEventListener("click", async () => {
    const result = await post(cfg.consent_url, "", "application/x-www-form-urlencoded");
    if (result.ok) { cfg.has_consent = true; show("step-check"); systemCheck(); }
    else $("consent-error").textContent = result.error;
  });
  // The server takes the photo from the stream it receives; the page only asks.
  $("reference-button").addEventListener("click", () => {
    $("reference-error").textContent = "";
    $("reference-button").disabled = true; capturing = true;
    send({ type: "reference.capture" });
  });
  $("identity-retry").addEventListener("click", () => { send({ type: "identity.check" }); });
  $("check-retry").addEventListener("click", systemCheck);
  if (cfg.screen) $("screen-button").addEventListener("click", shareScreen);
  $("submit-button").addEventListener("click", () => {
    if (confirm(gettext("Сдать экзамен? Вернуться к нему будет нельзя."))) send({ type: "submit" });
  });
  $("fullscreen-button").addEventListener("click", () => document.documentElement.requestFullscreen().catch(() => {}));

  // The tasks come only over the socket, once the attempt runs with a confirmed identity; the exam's timer
  // starts with their first release. A reconnect keeps what is shown (the LMS frame keeps its answers).
  function showTasks(msg) {
    startTimer(Date.parse(msg.deadline));
    if (tasksShown) return;
    tasksShown = true;
    const tasks = $("tasks");
    if (msg.lms_url) {
      const frame = document.createElement("iframe");
      frame.id = "lms"; frame.className = "lms-frame"; frame.title = tasks.dataset.title;
      frame.referrerPolicy = "no-referrer"; frame.src = msg.lms_url;
      // Beside the frame: an LMS that forbids framing (Moodle's default) opens in a tab of its own.
      const beside = document.createElement("a");
      beside.id = "lms-link"; beside.href = msg.lms_url; beside.target = "_blank"; beside.rel = "noopener noreferrer";
      beside.textContent = gettext("Открыть тест в новой вкладке");
      tasks.append(beside, frame);
    }
    if (msg.materials) {
      const materials = document.createElement("div");
      materials.className = "materials"; materials.textContent = msg.materials;
      tasks.append(materials);
    }
    document.body.dataset.tasks = "shown";
  }

  function startTimer(deadline) {
    clearInterval(timerHandle);
    const tick = () => {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      $("timer").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) send({ type: "submit" });
    };
    tick(); timerHandle = setInterval(tick, 1000);
  }

  function startExam() {
    show("step-exam");
    if (!tasksShown) send({ type: "materials" });
    if (watchingEvents) return;
    watchingEvents = true;
    const event = (name) => send({ type: "browser_event", event: name });
    document.addEventListener("visibilitychange", () => event(document.hidden ? "tab_hidden" : "tab_visible"));
    // Focus moving into the exam's own chat frame is not leaving the exam.
    window.addEventListener("blur", () => setTimeout(() => {
      if (document.activeElement && document.activeElement.id === "exam-chat") return;
      event("window_blur");
    }, 0));
    window.addEventListener("focus", () => event("window_focus"));
    document.addEventListener("fullscreenchange", () => event(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit"));
    document.addEventListener("copy", () => event("copy"));
    document.addEventListener("paste", () => event("paste"));
    let devtoolsReported = false;
    const devtools = () => {
      const open = window.outerWidth - window.innerWidth > DEVTOOLS_WIDTH_PX || window.outerHeight - window.innerHeight > DEVTOOLS_HEIGHT_PX;
      if (open && !devtoolsReported) { devtoolsReported = true; event("devtools_open"); }
    };
    window.addEventListener("resize", devtools);
    if (cfg.screen && !screenTrack) reportScreen(false);
    if (cfg.second_monitor) watchMonitors(event);
  }

  function finish(reason) {
    ended = true; clearInterval(timerHandle);
    closePeer();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (screenTrack) { const track = screenTrack; screenTrack = null; track.stop(); }
    $("ended-reason").textContent = endReasons[reason] || "";
    document.body.dataset.ended = reason || "ended";
    show("step-ended");
  }

  if (cfg.has_consent) { show("step-check"); systemCheck(); }
  else {
    show("step-consent");  // the camera stays off until the consent is recorded
    $("consent-form").hidden = !!cfg.needs_parent; $("consent-parent").hidden = !cfg.needs_parent;
  }
})();
