// The pre-join device check shared by the panelist's page and an attendee given the floor: camera preview (when
// video is wanted), microphone level, device choice. Same element ids on both pages (#preview, #mic-level,
// #camera, #microphone). Returns the MediaStream to publish.
export async function preview(old = null, { video = true } = {}) {
  const cam = document.getElementById("camera"), mic = document.getElementById("microphone");
  old?.getTracks().forEach((x) => x.stop());
  const stream = await navigator.mediaDevices.getUserMedia({
    video: video ? (cam && cam.value ? { deviceId: { exact: cam.value } } : true) : false,
    audio: { echoCancellation: true, noiseSuppression: true, ...(mic && mic.value ? { deviceId: { exact: mic.value } } : {}) } });
  const view = document.getElementById("preview");
  if (view) { view.srcObject = stream; view.hidden = !video; }
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [id, kind] of [["camera", "videoinput"], ["microphone", "audioinput"]]) {
    const select = document.getElementById(id);
    if (!select) continue;
    const current = select.value;
    select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => {
      const o = document.createElement("option"); o.value = d.deviceId; o.textContent = d.label || `${kind} ${i + 1}`; return o; }));
    if (current) select.value = current;
  }
  levelMeter(stream, document.getElementById("mic-level"));
  return stream;
}

// Shows a microphone's peak level in `meter` while `stream` lives (the device check, the interpreter's booth).
export function levelMeter(stream, meter) {
  if (!meter || !stream.getAudioTracks().length) return;
  const ctx = new AudioContext(), analyser = ctx.createAnalyser();
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  const tick = () => {
    if (!stream.active) { ctx.close(); meter.value = 0; return; }
    analyser.getByteTimeDomainData(data); let peak = 0; for (const v of data) peak = Math.max(peak, Math.abs(v - 128) / 128);
    meter.value = peak; requestAnimationFrame(tick);
  };
  tick();
}
