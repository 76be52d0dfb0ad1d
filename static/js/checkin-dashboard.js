// Live check-in counters: the /checkin namespace sends a snapshot on join and after every change.
const section = document.getElementById("live-counters");
const eventId = Number(section.dataset.eventId);

function render(data) {
  if (!data || data.event_id !== eventId) return;
  for (const el of section.querySelectorAll("[data-counter]")) {
    if (el.dataset.counter in data) el.textContent = String(data[el.dataset.counter]);
  }
  const list = document.getElementById("point-counters");
  list.replaceChildren(...data.points.map((p) => {
    const li = document.createElement("li");
    li.dataset.pointId = String(p.id);
    const name = document.createElement("span");
    name.dir = "auto";
    name.textContent = p.name;
    const n = document.createElement("strong");
    n.textContent = String(p.checked_in);
    li.append(name, ": ", n);
    return li;
  }));
  section.dataset.updated = String(Date.now());
}

function start() {
  if (!window.io) return;
  const socket = window.io("/checkin", { auth: { event_id: eventId }, transports: ["websocket", "polling"] });
  socket.on("counters", render);
  socket.on("connect", () => {
    document.getElementById("live-state").textContent = "●";
    socket.emit("join", { event_id: eventId }, (ack) => ack && ack.ok && render(ack.data));
  });
  socket.on("disconnect", () => { document.getElementById("live-state").textContent = "○"; });
}
if (window.io) start(); else window.addEventListener("load", start);
