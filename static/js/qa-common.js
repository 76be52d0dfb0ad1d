// Live Q&A client shared by the attendee page, the moderators' console, the projector and the panelist page.
// Protocol: docs/qa-protocol.md. State is kept by id; every (re)connect joins with `since` = the last sequence
// number seen, so the server sends exactly what was missed (or a snapshot when too far behind).

// A JSON data attribute (`key` in camelCase), or `fallback` when it is missing or unreadable.
export function dataJSON(node, key, fallback = {}) {
  try { return JSON.parse(node.dataset[key] || "null") ?? fallback; } catch { return fallback; }
}

export function i18n(root) { return dataJSON(root, "i18n"); }

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function startQa({ sessionId, auth = {}, onChange = () => {}, onStatus = () => {}, onResults = () => {} }) {
  const state = { seq: null, questions: new Map(), polls: new Map(), settings: null, me: null, seen: new Map() };
  const socket = window.io("/qa", { auth, transports: ["websocket", "polling"] });

  function upsert(map, obj, seq) {
    const key = `${map === state.questions ? "q" : "p"}${obj.id}`;
    const previous = state.seen.get(key) ?? -1;
    if (seq < previous) return; // an older message arriving late: keep what we have
    state.seen.set(key, seq);
    const current = map.get(obj.id) || {};
    map.set(obj.id, { ...current, ...obj, mine: obj.mine ?? current.mine ?? false });
  }

  function apply(message) {
    if (message.session_id !== sessionId) return;
    if (message.kind === "question") upsert(state.questions, message.question, message.seq);
    else if (message.kind === "poll") upsert(state.polls, message.poll, message.seq);
    else if (message.kind === "settings") state.settings = message.settings;
    state.seq = Math.max(state.seq ?? 0, message.seq);
  }

  function applyCounts(counts) {
    for (const [id, votes] of Object.entries(counts || {})) {
      const q = state.questions.get(Number(id));
      if (q) q.votes = votes;
    }
  }

  function join() {
    socket.emit("join", { session_id: sessionId, since: state.seq }, (ack) => {
      if (!ack || !ack.ok) {
        // Too many joins at once (a whole room reconnecting): try again a little later, each at its own time.
        if (ack && ack.error && ack.error.code === "rate_limited") setTimeout(join, 2000 + Math.random() * 4000);
        onStatus("error", ack && ack.error);
        return;
      }
      const data = ack.data;
      if (data.snapshot) {
        const snap = data.snapshot;
        state.questions.clear(); state.polls.clear(); state.seen.clear();
        for (const q of snap.questions) { state.questions.set(q.id, q); state.seen.set(`q${q.id}`, data.seq); }
        for (const p of snap.polls) { state.polls.set(p.id, p); state.seen.set(`p${p.id}`, data.seq); }
        state.settings = snap.settings;
        state.me = snap.me;
      } else {
        for (const m of data.missed) apply(m);
        applyCounts(data.counts);
        for (const p of data.polls || []) { state.polls.set(p.id, p); state.seen.set(`p${p.id}`, data.seq); }
      }
      state.seq = Math.max(state.seq ?? 0, data.seq);
      onStatus("live");
      onChange(state);
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", (reason) => {
    onStatus("offline");
    // The server ends a connection whose ticket, role or sign-in died; it will not reconnect by itself.
    // Try once: the refusal that follows says why (and lets the page forget a stale ticket).
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (err) => onStatus("refused", err && err.data));
  socket.on("qa", (message) => { apply(message); onChange(state); });
  socket.on("votes", (message) => {
    if (message.session_id !== sessionId) return;
    applyCounts(message.counts);
    onChange(state);
  });
  socket.on("poll_results", (message) => {
    if (message.session_id !== sessionId) return;
    const poll = state.polls.get(message.poll_id);
    if (poll) {
      poll.voters = message.voters;
      poll.options = poll.options.map((o) => ({ ...o, votes: message.counts[String(o.id)] ?? o.votes }));
    }
    onResults(message);
    onChange(state);
  });

  function call(event, payload) {
    return new Promise((resolve) => {
      socket.timeout(10000).emit(event, payload, (err, ack) => {
        resolve(err ? { ok: false, error: { code: "timeout", message: "" } } : ack);
      });
    });
  }

  return { socket, state, call, upsertQuestion: (q) => { upsert(state.questions, q, state.seq ?? 0); onChange(state); } };
}

export function sortQuestions(list, order) {
  const byRecent = (a, b) => b.id - a.id;
  const byVotes = (a, b) => (b.votes - a.votes) || byRecent(a, b);
  return [...list].sort(order === "recent" ? byRecent : byVotes);
}

export function pollResults(poll, t) {
  if (!poll.options.some((o) => typeof o.votes === "number")) return null;
  const total = Math.max(1, poll.options.reduce((n, o) => n + (o.votes || 0), 0));
  return el("ul", { class: "qa-results" }, ...poll.options.map((o) => {
    const pct = Math.round(((o.votes || 0) * 100) / total);
    const bar = el("span", { class: "qa-bar" });
    bar.style.setProperty("--pct", `${pct}%`); // CSSOM, allowed by the CSP (no inline style attribute)
    return el("li", {}, el("span", { dir: "auto", text: o.label }), bar,
      el("strong", { text: `${o.votes || 0} (${pct}%)` }));
  }), el("p", { class: "small muted", text: `${t.voters || ""} ${poll.voters ?? ""}` }));
}
