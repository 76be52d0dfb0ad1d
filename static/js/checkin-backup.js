// The backup code form of the scanner (online only): POST the 8 characters, show the answer in the result overlay
// the scanner uses (same colours and words). Kept apart from checkin-scanner.js, which owns the QR/offline path.
const root = document.getElementById("scanner");
const form = document.getElementById("backup-form");
const T = document.getElementById("i18n").dataset;
const overlay = document.getElementById("result");
const $ = (id) => document.getElementById(id);

function show(res) {
  overlay.className = "result " + (res.color || "red");
  overlay.dataset.result = res.result || (res.error && res.error.code) || "";
  $("result-title").textContent = T[res.color || "red"];
  const a = res.attendee;
  $("result-name").textContent = a ? a.name : "";
  $("result-org").textContent = a ? a.organization : "";
  $("result-mode").textContent = a ? (a.mode === "remote" ? T.remote : T.inPerson) : "";
  $("result-why").textContent = res.message || (res.error && res.error.message) || "";
  overlay.hidden = false;
}

if (form && root) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("backup");
    const state = $("backup-state");
    if (!navigator.onLine) { state.textContent = form.dataset.offline; return; }
    state.textContent = "";
    try {
      const r = await fetch(form.dataset.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ code: input.value, point_id: Number($("point").value), nonce: crypto.randomUUID() }),
      });
      const body = await r.json();
      if (r.ok) { show(body); input.value = ""; } else { state.textContent = body.error.message; }
    } catch {
      state.textContent = form.dataset.offline;
    }
  });
}
