// Summary autosave: every change is kept in localStorage at once (never lost, even offline) and sent to the
// server 1.5 s after typing stops, with the version it was based on. A 409 shows the other rapporteur's text
// and keeps ours in the box: nothing is overwritten on either side.
const form = document.getElementById("summary-form");
if (form) {
  const text = document.getElementById("summary-text");
  const version = form.querySelector("input[name=version]");
  const state = document.getElementById("save-state");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const key = `eventhub-summary-${form.dataset.sessionId}`;
  let timer = null;
  let inflight = false;
  let dirty = false;

  const stored = JSON.parse(localStorage.getItem(key) || "null");
  if (stored && stored.text !== text.value && stored.base === Number(version.value)) {
    text.value = stored.text; // an unsent draft from this browser, based on the version we still have
    dirty = true;
  }

  function show(kind) { state.textContent = state.dataset[kind] || ""; state.dataset.state = kind; }

  async function save() {
    if (inflight) { schedule(); return; }
    inflight = true;
    dirty = false;
    show("saving");
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ text: text.value, version: Number(version.value) }),
      });
      const body = await response.json();
      if (response.ok) {
        version.value = String(body.version);
        localStorage.removeItem(key);
        show("saved");
      } else if (response.status === 409 && body.current) {
        const box = document.getElementById("js-conflict");
        box.hidden = false;
        box.querySelector(".conflict-theirs").textContent = body.current.text;
        version.value = String(body.current.version); // saving again means "my merged text wins"
        show("conflict");
      } else {
        show("offline");
        dirty = true;
      }
    } catch (err) {
      show("offline");
      dirty = true;
      schedule(5000);
    } finally {
      inflight = false;
    }
  }

  function schedule(delay = 1500) {
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  text.addEventListener("input", () => {
    localStorage.setItem(key, JSON.stringify({ text: text.value, base: Number(version.value) }));
    dirty = true;
    schedule();
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); save(); });
  for (const pull of document.querySelectorAll("form.pull-question")) {
    pull.addEventListener("submit", (ev) => {
      ev.preventDefault();
      text.value = (text.value.trim() ? text.value.replace(/\s+$/, "") + "\n\n" : "") + pull.dataset.quote;
      text.dispatchEvent(new Event("input"));
    });
  }
  window.addEventListener("beforeunload", () => { if (dirty) save(); });
  if (dirty) schedule(0);
}
