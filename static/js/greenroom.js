// Green room for organizers and moderators: panelists' arrival, live over Socket.IO (/greenroom).
// The server sends a snapshot when we (re)join and an upsert per panelist afterwards; state is kept by id.
const root = document.getElementById("green-room");
const state = document.getElementById("live-state");

function render(panelist) {
  for (const li of root.querySelectorAll(`[data-panelist="${panelist.panelist_id}"] .presence`)) {
    li.classList.toggle("arrived", panelist.arrived);
    li.classList.toggle("waiting", !panelist.arrived);
    li.textContent = panelist.arrived ? root.dataset.arrived : root.dataset.waiting;
  }
}

function start() {
  if (!root || !window.io) return;
  const socket = window.io("/greenroom", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    socket.emit("watch", { event_id: Number(root.dataset.event) }, (ack) => {
      if (!ack || !ack.ok) return;
      state.textContent = state.dataset.live;
      for (const session of ack.data.sessions) for (const p of session.panelists) render(p);
    });
  });
  socket.on("disconnect", () => { state.textContent = state.dataset.offline; });
  socket.on("presence", render);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
