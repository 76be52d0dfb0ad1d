// Adds the viewer's own local time next to event times when their device's zone differs from the event's.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const lang = document.documentElement.lang || "fr";
for (const el of document.querySelectorAll("time[data-event-zone]")) {
  if (!zone || zone === el.dataset.eventZone) continue;
  const when = new Date(el.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) continue;
  const text = new Intl.DateTimeFormat(lang, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  }).format(when);
  const out = (el.closest("bdi") || el).parentElement.querySelector(".local-time"); // a range sits in a <bdi>
  if (out) {
    // The label comes translated from the template (data-label); the time reads left to right inside it.
    const time = document.createElement("bdi");
    time.textContent = text;
    out.replaceChildren(` · ${out.dataset.label || ""} `, time);
    out.hidden = false;
  }
}
// Confirmation for destructive buttons (data-confirm), without inline script (CSP).
document.addEventListener("submit", (e) => {
  const button = e.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) e.preventDefault();
});
