// The room feed: publishes the hall's camera and PA mix (device choice, echo cancellation on), rejoins by itself.
import { connectJanus, credentials, i18n, pcOf, publish, startStage, watchStats } from "./stage-common.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};

async function join(state) {
  const status = document.getElementById("stage-status");
  try {
    const cam = document.getElementById("camera").value, mic = document.getElementById("microphone").value;
    const stream = await navigator.mediaDevices.getUserMedia({ video: cam ? { deviceId: { exact: cam } } : true,
      audio: { echoCancellation: true, ...(mic ? { deviceId: { exact: mic } } : {}) } });
    document.getElementById("preview").srcObject = stream;
    const creds = await credentials(state, { publish: true, role: "room_feed" });
    await connectJanus(state, creds);
    await publish(state, { stream, display: creds.display, feedId: creds.feed_id });
    state.joined = true; status.textContent = t.live;
    state.emit("report", { token: creds.token, connection: "joined" });
    clearInterval(state.statsTimer);
    state.statsTimer = watchStats(state, () => pcOf(state.publisher),
      (q) => state.emit("report", { token: state.creds.token, connection: "joined", quality: q }));
  } catch (e) {
    status.textContent = (e.ack && e.ack.error && e.ack.error.message) || t.reconnecting;
    setTimeout(() => join(state), 3000);
  }
}

function start() {
  if (!root || !window.io) return;
  const state = startStage({ sessionId: Number(root.dataset.session), auth: { key: root.dataset.key }, role: "room_feed" });
  state.onJanusLost = () => setTimeout(() => join(state), 1000);
  if (root.dataset.media !== "1") { document.getElementById("stage-status").textContent = t.no_media; return; }
  navigator.mediaDevices.enumerateDevices().then((devices) => {
    for (const [id, kind] of [["camera", "videoinput"], ["microphone", "audioinput"]]) {
      document.getElementById(id).append(...devices.filter((d) => d.kind === kind).map((d, i) => {
        const o = document.createElement("option"); o.value = d.deviceId; o.textContent = d.label || `${kind} ${i + 1}`; return o; }));
    }
  });
  document.getElementById("join").addEventListener("click", () => join(state));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
