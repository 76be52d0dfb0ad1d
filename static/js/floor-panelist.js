// The panelist's own countdown: for each of their sessions, whether they have the floor, are next, and how long
// they have left (computed from the stored times, like every other screen).
import { i18n, showCountdown, startFloor } from "./floor-common.js";

const root = document.getElementById("floor-mine");
if (root) {
  const t = i18n(root);
  const me = Number(root.dataset.panelist);
  for (const box of root.querySelectorAll(".floor-mine-session")) {
    const sessionId = Number(box.dataset.session);
    const stateLine = box.querySelector(".floor-mine-state");
    const timer = box.querySelector(".floor-mine-timer");
    const live = startFloor({ sessionId, auth: { panelist_token: root.dataset.token }, onChange: render });

    function mine(speech) { return speech && speech.panelist_id === me; }

    function render() {
      const state = live.state;
      if (!state) return;
      const paused = state.paused.find(mine);
      if (mine(state.current)) stateLine.textContent = t.you_speak;
      else if (paused) stateLine.textContent = t.paused;
      else if (state.speakers.some((s) => s.panelist_id === me && s.state === "waiting")) stateLine.textContent = t.next;
      else stateLine.textContent = "";
    }

    setInterval(() => {
      const state = live.state;
      const speech = state && (mine(state.current) ? state.current : state.paused.find(mine));
      showCountdown(timer, speech || null, live.now(), t);
    }, 250);
  }
}
