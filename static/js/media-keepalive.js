// Janus keepalives over HTTP. janus.js sends keepalives only on WebSockets; over HTTP it relies on its long poll,
// which Janus answers after 30 s of silence — longer than our 15 s session timeout (kept short so a closed
// browser's publisher leaves the room quickly). So every page that talks to Janus over HTTP calls
// keepJanusAlive(janus, creds) once its session exists; it POSTs {"janus": "keepalive"} every `every` ms and
// stops when the session is gone. Works as a module (import) and as a plain script (window.keepJanusAlive).
export function keepJanusAlive(janus, { server, token, every = 5000 }) {
  const base = Array.isArray(server) ? server[0] : server;
  const timer = setInterval(() => {
    const sessionId = janus.getSessionId && janus.getSessionId();
    if (!sessionId || !janus.isConnected()) { clearInterval(timer); return; }
    const body = { janus: "keepalive", session_id: sessionId, transaction: Math.random().toString(36).slice(2) };
    if (token) body.token = token;
    fetch(`${base}/${sessionId}`, { method: "POST", body: JSON.stringify(body),
                                    headers: { "Content-Type": "application/json" } }).catch(() => {});
  }, every);
  return () => clearInterval(timer);
}
if (typeof window !== "undefined") window.keepJanusAlive = keepJanusAlive;
