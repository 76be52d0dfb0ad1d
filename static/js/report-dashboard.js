// Live dashboard: the /report namespace sends a whole snapshot on join and after every change; we re-render
// from it (no partial state to drift). Coarse viewer counts are refreshed by re-joining every 15 s.
const section = document.getElementById("dashboard");
const eventId = Number(section.dataset.eventId);
const share = section.dataset.share || null;
const labels = document.getElementById("dash-labels").dataset;

function cell(text, dirAuto) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (dirAuto) td.dir = "auto";
  return td;
}

function rows(id, items, make) {
  document.getElementById(id).replaceChildren(...items.map((item) => {
    const tr = document.createElement("tr");
    tr.append(...make(item, tr));
    return tr;
  }));
}

function get(data, path) {
  return path.split(".").reduce((v, k) => (v == null ? v : v[k]), data);
}

function render(data) {
  if (!data || data.event_id !== eventId) return;
  for (const el of section.querySelectorAll("[data-dash]")) {
    const v = get(data, el.dataset.dash);
    if (v !== undefined) el.textContent = String(v);
  }
  const names = new Intl.DisplayNames([document.documentElement.lang || "fr"], { type: "region" });
  rows("dash-countries", data.by_country, (r) => [
    cell(r.country ? names.of(r.country) : "?"), cell(r.registered), cell(r.in_person), cell(r.remote), cell(r.checked_in)]);
  document.getElementById("dash-points").replaceChildren(...data.points.map((p) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.dir = "auto";
    name.textContent = p.name;
    const n = document.createElement("strong");
    n.textContent = String(p.checked_in);
    li.append(name, ": ", n);
    return li;
  }));
  rows("dash-sessions", data.sessions, (s, tr) => {
    tr.dataset.sessionId = String(s.id);
    const q = cell(s.questions); q.dataset.col = "questions";
    const p = cell(s.pending); p.dataset.col = "pending";
    return [cell(s.title, true), cell(s.viewers), q, p, cell(s.poll_voters)];
  });
  rows("dash-scanners", data.scanners, (d) => [
    cell(d.device_id), cell(d.online ? labels.online : labels.offline), cell(d.scans), cell(d.synced_offline)]);
  document.getElementById("dash-provided").replaceChildren(...(data.provided || []).flatMap((part) => {
    const h = document.createElement("h2");
    h.dir = "auto";
    h.textContent = part.title;
    const table = document.createElement("table");
    table.className = "log";
    const body = document.createElement("tbody");
    body.append(...part.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.append(...row.map((c) => cell(c, true)));
      return tr;
    }));
    table.append(body);
    return [h, table];
  }));
  section.dataset.updated = String(Date.now());
}

function start() {
  if (!window.io) return;
  const auth = share ? { share } : { event_id: eventId };
  const socket = window.io("/report", { auth, transports: ["websocket", "polling"] });
  const join = () => socket.emit("join", {}, (ack) => ack && ack.ok && render(ack.data));
  socket.on("dashboard", render);
  socket.on("connect", () => { document.getElementById("dash-state").textContent = "●"; join(); });
  socket.on("disconnect", () => { document.getElementById("dash-state").textContent = "○"; });
  setInterval(() => { if (socket.connected) join(); }, 15000);
}
if (window.io) start(); else window.addEventListener("load", start);
