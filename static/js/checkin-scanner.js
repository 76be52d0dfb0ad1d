// Door scanner: camera (BarcodeDetector or jsQR), handheld scanner (types the code + Enter), search.
// Works offline: a local copy of the event's tickets (no emails), Ed25519 verification on the device
// (WebCrypto), scans queued in IndexedDB and uploaded when the network is back.
import { judge, parseCode, ticketKey, importKey, recordAdmission } from "./checkin-judge.js";

const root = document.getElementById("scanner");
const T = document.getElementById("i18n").dataset;
const EVENT_ID = Number(root.dataset.eventId);
const $ = (id) => document.getElementById(id);
const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_m, k) => (k in values ? values[k] : ""));

// --- device identity and storage --------------------------------------------------------------------------------
const DEVICE_KEY = "eventhub-checkin-device";
let deviceId = localStorage.getItem(DEVICE_KEY);
if (!deviceId) {
  deviceId = "dev-" + crypto.randomUUID();
  localStorage.setItem(DEVICE_KEY, deviceId);
}
const POINT_KEY = `eventhub-checkin-point-${EVENT_ID}`;
const pointSelect = $("point");
if (localStorage.getItem(POINT_KEY) && [...pointSelect.options].some((o) => o.value === localStorage.getItem(POINT_KEY))) {
  pointSelect.value = localStorage.getItem(POINT_KEY);
}
pointSelect.addEventListener("change", () => localStorage.setItem(POINT_KEY, pointSelect.value));
const pointId = () => Number(pointSelect.value);

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("eventhub-checkin", 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore("snapshots");
      req.result.createObjectStore("queue", { keyPath: "nonce" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
const dbReady = openDb();
async function idb(store, mode, fn) {
  const db = await dbReady;
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = fn(tx.objectStore(store));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}
const queueAll = async () => (await idb("queue", "readonly", (s) => s.getAll())).filter((q) => q.event_id === EVENT_ID);
const queuePut = (item) => idb("queue", "readwrite", (s) => s.put(item));
const queueDelete = (nonce) => idb("queue", "readwrite", (s) => s.delete(nonce));

// --- the event's public key: offline verification needs WebCrypto Ed25519 -------------------------------------------
let publicKey = null;
async function useKey(b64) {
  publicKey = await importKey(b64);
  // No Ed25519 in this browser: offline scans cannot tell a forged ticket; say so on screen.
  $("verify-state").hidden = Boolean(publicKey);
}

// --- the snapshot (only what door staff need to see) --------------------------------------------------------------
let snapshot = null;
let snapshotEtag = null;
let snapshotAt = null;
function showSnapshotState() {
  $("snapshot-state").textContent = snapshot
    ? fmt(T.snapshot, { n: Object.keys(snapshot.tickets).length, when: snapshotAt ? snapshotAt.toLocaleTimeString(document.documentElement.lang || undefined) : "" })
    : T.noSnapshot;
}
async function loadSnapshot() {
  const saved = await idb("snapshots", "readonly", (s) => s.get(EVENT_ID));
  if (saved) {
    snapshot = saved.data;
    snapshotEtag = saved.etag;
    snapshotAt = new Date(saved.at);
    await useKey(snapshot.public_key);
  }
  showSnapshotState();
}
async function refreshSnapshot() {
  try {
    const headers = snapshotEtag ? { "If-None-Match": snapshotEtag } : {};
    const r = await fetch(root.dataset.snapshotUrl, { headers, credentials: "same-origin" });
    if (r.status === 200) {
      snapshot = await r.json();
      snapshotEtag = r.headers.get("ETag");
      await useKey(snapshot.public_key);
    } else if (r.status !== 304) {
      return;
    }
    snapshotAt = new Date();
    await idb("snapshots", "readwrite", (s) => s.put({ data: snapshot, etag: snapshotEtag, at: snapshotAt.toISOString() }, EVENT_ID));
    showSnapshotState();
  } catch (e) { /* offline: keep the copy we have */ }
}

function judgeLocally(code) {
  return judge(code, { snapshot, eventId: EVENT_ID, pointId: pointId(), publicKey });
}

// --- answer on screen: full-screen colour, sound, then back to scanning ---------------------------------------------
let audio = null;
function beep(color) {
  try {
    audio = audio || new AudioContext();
    const tones = { green: [[880, 0, 0.15]], amber: [[520, 0, 0.15], [520, 0.22, 0.15]], red: [[200, 0, 0.5]] }[color];
    for (const [freq, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = color === "red" ? "square" : "sine";
      osc.frequency.value = freq;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch (e) { /* no sound available */ }
}
const overlay = $("result");
let overlayTimer = null;
let busy = false;
function hideResult() {
  overlay.hidden = true;
  clearTimeout(overlayTimer);
  busy = false;
  lastCode.until = Date.now() + 2500; // the same code still in front of the camera: not at once again
  $("code").focus();
}
overlay.addEventListener("click", hideResult);
function showResult(res, extraWhy) {
  overlay.className = "result " + res.color;
  overlay.dataset.result = res.result;
  $("result-title").textContent = T[res.color];
  const a = res.attendee;
  $("result-name").textContent = a ? a.name : (res.unknown ? T.unknownName : "");
  $("result-org").textContent = a ? a.organization : "";
  $("result-mode").textContent = a ? (a.mode === "remote" ? T.remote : T.inPerson) : "";
  let why = res.message || T["msg-" + res.result] || "";
  if (res.first) {
    const when = new Date(res.first.at);
    why += " " + fmt(T.first, { when: isNaN(when) ? res.first.at : when.toLocaleString(document.documentElement.lang || undefined), point: res.first.point, by: res.first.by || "—" });
  }
  if (extraWhy) why += " " + extraWhy;
  $("result-why").textContent = why;
  overlay.hidden = false;
  beep(res.color);
  clearTimeout(overlayTimer);
  overlayTimer = setTimeout(hideResult, res.color === "green" ? 1500 : 3500);
}

// --- network --------------------------------------------------------------------------------------------------------
async function postJson(url, body, timeoutMs = 5000) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    return await fetch(url, {
      method: "POST", credentials: "same-origin", signal: ctrl.signal,
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body),
    });
  } finally {
    clearTimeout(timer);
  }
}
let offline = !navigator.onLine;
async function showBanner() {
  const waiting = (await queueAll()).length;
  const banner = $("net-banner");
  banner.dataset.waiting = String(waiting);
  banner.dataset.state = offline ? "offline" : "online";
  if (offline) {
    banner.textContent = waiting ? fmt(T.offline, { n: waiting }) : T.offlineNone;
    banner.className = "net-banner";
    banner.hidden = false;
  } else if (waiting) {
    banner.textContent = fmt(T.pending, { n: waiting });
    banner.className = "net-banner";
    banner.hidden = false;
  } else {
    banner.textContent = T.synced;
    banner.className = "net-banner online";
  }
}
function setOffline(value) {
  if (offline === value) return;
  offline = value;
  showBanner();
  if (!offline) syncQueue();
}
window.addEventListener("online", () => setOffline(false));
window.addEventListener("offline", () => setOffline(true));

let syncing = false;
async function syncQueue() {
  if (syncing) return;
  const items = await queueAll();
  if (!items.length) return showBanner();
  syncing = true;
  try {
    const batch = items.slice(0, 200).map(({ code, nonce, at, point_id, device_id, local_result }) =>
      ({ code, nonce, at, point_id, device_id, local_result }));
    const r = await postJson(root.dataset.syncUrl, { scans: batch }, 15000);
    if (!r.ok) return;
    const body = await r.json();
    for (const item of body.results) await queueDelete(item.nonce);
    setOffline(false);
    refreshSnapshot();
  } catch (e) {
    setOffline(true);
  } finally {
    syncing = false;
    showBanner();
  }
}

// --- one scan -------------------------------------------------------------------------------------------------------
const lastCode = { code: "", until: 0 };
async function submitCode(raw, { source = "handheld" } = {}) {
  const code = (raw || "").trim();
  if (busy) return;
  busy = true;
  const nonce = crypto.randomUUID();
  if (!offline) {
    try {
      const r = await postJson(root.dataset.scanUrl, { code: code.slice(0, 20000), point_id: pointId(), nonce, device_id: deviceId });
      if (r.status === 200) {
        const res = await r.json();
        rememberLocally(code, res);
        showResult(res);
        return;
      }
      if (r.status >= 400 && r.status < 500) {
        const body = await r.json().catch(() => ({}));
        showResult({ result: "error", color: "red", message: (body.error && body.error.message) || T.error });
        return;
      }
    } catch (e) {
      setOffline(true);
    }
  }
  // Offline: decide on the device, queue for upload.
  const local = await judgeLocally(code);
  await queuePut({ event_id: EVENT_ID, code: code.slice(0, 1000), nonce, at: new Date().toISOString(), point_id: pointId(),
    device_id: deviceId, local_result: local.result });
  if (local.key) recordAdmission(snapshot, local.key, local.result, pointId(), new Date().toISOString());
  await showBanner();
  showResult(local, T.checkedOffline);
}
async function rememberLocally(code, res) {
  if (!snapshot || (res.result !== "admitted" && res.result !== "admitted_upgrade")) return;
  const parsed = parseCode(code);
  if (parsed) recordAdmission(snapshot, await ticketKey(parsed.secret), res.result, pointId(), new Date().toISOString());
}

$("code-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("code");
  const value = input.value;
  input.value = "";
  submitCode(value);
});

// --- camera -----------------------------------------------------------------------------------------------------------
const video = $("camera");
const canvas = $("frame");
let stream = null;
let detector = null;
async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (e) {
    $("camera-state").textContent = T.cameraError;
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) { detector = null; }
  }
  $("camera-state").textContent = T.cameraOn;
  $("camera-toggle").textContent = T.cameraStop;
  requestAnimationFrame(tick);
}
function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.hidden = true;
  $("camera-state").textContent = "";
  $("camera-toggle").textContent = T.cameraStart;
}
$("camera-toggle").addEventListener("click", () => (stream ? stopCamera() : startCamera()));

async function decodeFrame() {
  if (detector) {
    const found = await detector.detect(video);
    if (found.length) return found[0].rawValue;
  }
  if (!window.jsQR || !video.videoWidth) return null;
  const w = video.videoWidth, h = video.videoHeight;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, w, h);
  const found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
  return found ? found.data : null;
}
async function tick() {
  if (!stream) return;
  if (!busy && video.readyState >= 2) {
    try {
      const code = await decodeFrame();
      const now = Date.now();
      if (code && !(code === lastCode.code && now < lastCode.until)) {
        lastCode.code = code;
        lastCode.until = now + 2500;
        await submitCode(code, { source: "camera" });
      }
    } catch (e) { /* a bad frame */ }
  }
  setTimeout(() => requestAnimationFrame(tick), 120);
}

// --- search (forgotten ticket) --------------------------------------------------------------------------------------
let searchTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
});
async function runSearch() {
  const q = $("search").value.trim();
  const list = $("search-results");
  if (q.length < 2) {
    list.replaceChildren();
    return;
  }
  let items = [];
  try {
    const r = await fetch(`${root.dataset.searchUrl}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
    items = (await r.json()).items;
  } catch (e) {
    // Offline: search the local copy (names and organizations only).
    const needle = q.toLowerCase();
    items = snapshot ? Object.values(snapshot.tickets).filter((t) => (t.n + " " + t.o).toLowerCase().includes(needle))
      .slice(0, 20).map((t) => ({ registration_id: t.r, name: t.n, organization: t.o, mode: t.m, status: t.s, checked_in: t.c, offline: true })) : [];
  }
  list.replaceChildren(...(items.length ? items.map(searchRow) : [Object.assign(document.createElement("li"), { textContent: T.noMatch })]));
}
function searchRow(item) {
  const li = document.createElement("li");
  const who = document.createElement("span");
  // Names and organizations in either script, each isolated so the line keeps the page's direction.
  const bdi = (text) => Object.assign(document.createElement("bdi"), { textContent: text });
  who.append(bdi(item.name), " — ", bdi(item.organization), ` (${item.mode === "remote" ? T.remote : T.inPerson})`);
  li.append(who);
  if (item.checked_in && item.checked_in[String(pointId())]) {
    const done = document.createElement("span");
    done.textContent = T.checkedIn;
    li.append(done);
  } else if (!item.offline) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.textContent = T.checkIn;
    button.addEventListener("click", () => checkInRegistration(item.registration_id));
    li.append(button);
  }
  return li;
}
async function checkInRegistration(registrationId) {
  if (busy) return;
  busy = true;
  const url = root.dataset.checkinUrl.replace(/\/0\/checkin$/, `/${registrationId}/checkin`);
  try {
    const r = await postJson(url, { point_id: pointId(), nonce: crypto.randomUUID() });
    const body = await r.json();
    showResult(r.ok ? body : { result: "error", color: "red", message: (body.error && body.error.message) || T.error });
    runSearch();
  } catch (e) {
    busy = false;
    setOffline(true);
  }
}

// --- start ------------------------------------------------------------------------------------------------------------
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/checkin/" }).catch(() => {});
}
await loadSnapshot();
await showBanner();
refreshSnapshot();
syncQueue();
setInterval(() => { if (!offline) { refreshSnapshot(); syncQueue(); } }, 30000);
setInterval(() => { if (offline) syncQueue(); }, 5000); // probe: the first upload that works brings us back online
root.dataset.ready = "1";
