// The stage screen's speaking timer (templates/floor/_timer.html): the current speaker and their countdown,
// hidden when the moderator turns "show the timer on the stage screen" off.
import { countdown, i18n, startFloor } from "./floor-common.js";

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
    if (!cur) { timer.textContent = ""; return; }
    const c = countdown(cur, live.now(), t);
    timer.textContent = c.text;
    timer.dataset.level = c.level;
  }, 250);
}
