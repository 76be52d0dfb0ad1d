// The panelist's page: tells the green room they arrived (the personal link token authenticates the socket)
// and runs a camera/microphone check that stays in the browser.
const page = document.querySelector(".panelist-page");
const presence = document.getElementById("presence");

function connect() {
  if (!page || !window.io) return;
  const socket = window.io("/greenroom", { auth: { token: page.dataset.token }, transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    socket.emit("me", {}, (ack) => {
      if (ack && ack.ok && ack.data.arrived) {
        presence.textContent = presence.dataset.arrivedText;
        presence.hidden = false;
      }
    });
  });
}

const button = document.getElementById("device-check");
const status = document.getElementById("device-status");
const video = document.getElementById("preview");
const meter = document.getElementById("mic-level");

async function deviceCheck() {
  if (!navigator.mediaDevices?.getUserMedia) {
    status.textContent = status.dataset.unsupported;
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    status.textContent = status.dataset.ok;
    const audio = stream.getAudioTracks()[0];
    if (audio && window.AudioContext) {
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      ctx.createMediaStreamSource(stream).connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      meter.hidden = false;
      const tick = () => {
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const v of data) peak = Math.max(peak, Math.abs(v - 128) / 128);
        meter.value = peak;
        requestAnimationFrame(tick);
      };
      tick();
    }
  } catch {
    status.textContent = status.dataset.fail;
  }
}

if (button) button.addEventListener("click", deviceCheck);
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
else connect();
