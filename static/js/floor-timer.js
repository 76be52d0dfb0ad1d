// The stage screen's speaking timer (templates/floor/_timer.html): the current speaker and their countdown,
// hidden when the moderator turns "show the timer on the stage screen" off.
import { i18n, showCountdown, startFloor } from "./floor-common.js";

const root = document.getElementById("floor-stage-timer");
if (root) {
  const t = i18n(root);
  const live = startFloor({ sessionId: Number(root.dataset.session), onChange: () => {} });
  const name = root.querySelector(".floor-stage-name");
  const timer = root.querySelector(".floor-timer");
  setInterval(() => {
    const state = live.state;
    const show = state && state.settings && state.settings.show_timer_on_screen;
    root.hidden = !show;
    const cur = state && state.current;
    name.textContent = cur ? cur.name : "";
    showCountdown(timer, cur || null, live.now(), t, { label: false });
  }, 250);
}
