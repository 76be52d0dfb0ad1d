// The door scanner's offline judge: the same rules, in the same order, as the server's check-in service
// (eventhub/checkin/services.py: `_judge`, then `_admit`). Pure: it reads the snapshot and returns a result, it writes nothing.
// tests/checkin/test_judge_contract.py runs it in Chromium over the server's matrix of cases.

// --- ticket codes: base32, version 1, Ed25519 -------------------------------------------------------------------
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MAX_CODE_INPUT = 512; // eventhub/tickets/codes.py: longer input is garbage
export const GREEN = ["admitted", "admitted_upgrade"];
export const AMBER = ["already_checked_in", "waitlisted", "remote_only", "not_entered"];

export function colorOf(result) {
  return GREEN.includes(result) ? "green" : AMBER.includes(result) ? "amber" : "red";
}

function base32Decode(text) {
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text) {
    const idx = B32.indexOf(ch);
    if (idx < 0) return null;
    value = ((value << 5) | idx) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

export function parseCode(code) {
  if (typeof code !== "string" || !code || code.length > MAX_CODE_INPUT) return null;
  const text = code.replace(/\s+/g, "").toUpperCase();
  if (text.length !== 122) return null;
  const raw = base32Decode(text);
  if (!raw || raw.length !== 76 || raw[0] !== 1) return null;
  const eventId = (raw[1] << 16) | (raw[2] << 8) | raw[3];
  if (!eventId) return null;
  return { eventId, signed: raw.slice(0, 12), secret: raw.slice(4, 12), signature: raw.slice(12) };
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
export async function ticketKey(secret) {
  return hex(await crypto.subtle.digest("SHA-256", secret)).slice(0, 24);
}

function b64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// The event's public key, or null when this browser's WebCrypto has no Ed25519 (offline verification is off).
export async function importKey(b64) {
  try {
    return await crypto.subtle.importKey("raw", b64urlDecode(b64), { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    return null;
  }
}

// `snapshot`: what GET /checkin/events/<id>/snapshot returned (plus this device's own offline admissions).
// `pointId`: where the device stands. `publicKey`: from importKey (null: signatures are not checked).
export async function judge(code, { snapshot, eventId, pointId, publicKey }) {
  const done = (result, detail = "", extra = {}) => ({ result, color: colorOf(result), detail, ...extra });
  if (typeof code !== "string" || !code.trim()) return done("unreadable", "empty");
  const parsed = parseCode(code);
  if (!parsed) return done("unreadable");
  if (parsed.eventId !== eventId) return done("wrong_event");
  if (publicKey) {
    let good = false;
    try {
      good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, parsed.signature, parsed.signed);
    } catch (e) { good = false; }
    if (!good) return done("forged");
  }
  const key = await ticketKey(parsed.secret);
  const entry = snapshot && snapshot.tickets[key];
  // A genuine ticket issued after the last refresh: admitted, confirmed (or not) by the server on upload.
  if (!entry) return done("admitted", "", { attendee: null, unknown: true, key });
  const attendee = { name: entry.n, organization: entry.o, mode: entry.m };
  if (entry.s === "cancelled") return done("revoked", "cancelled", { attendee, key });
  if (entry.s === "revoked" || entry.s === "reissued") return done("revoked", entry.s, { attendee, key });
  if (entry.s === "waitlisted") return done("waitlisted", "", { attendee, key });
  const point = (snapshot.points || []).find((p) => p.id === pointId);
  if (point && point.kind === "session" && point.requires_entry && !entry.e) {
    return done("not_entered", "", { attendee, key });
  }
  const here = entry.c[String(pointId)];
  if (here) {
    return done("already_checked_in", "", { attendee, key, first: { at: here, point: point ? point.name : "", by: "" } });
  }
  if (entry.m === "remote") {
    if (!snapshot.remote_upgrade) return done("remote_only", "upgrade_off", { attendee, key });
    if (!(snapshot.seats_left > 0)) return done("remote_only", "no_seats", { attendee, key });
    return done("admitted_upgrade", "", { attendee, key });
  }
  return done("admitted", "", { attendee, key });
}

// What the device remembers after it admitted someone offline, so the next scan is judged as the server would.
export function recordAdmission(snapshot, key, result, pointId, at) {
  const entry = snapshot && snapshot.tickets[key];
  if (!entry || !GREEN.includes(result)) return;
  entry.c[String(pointId)] = at;
  const point = (snapshot.points || []).find((p) => p.id === pointId);
  if (point && point.kind === "entrance") entry.e = true;
  if (result === "admitted_upgrade") {
    entry.m = "in_person";
    snapshot.seats_left = Math.max(0, (snapshot.seats_left || 0) - 1);
  }
}
