// The dashboard's "latest check-ins" and "latest scans" follow the live counters: checkin-dashboard.js stamps
// #live-counters[data-updated] on every counters message; this module then refetches both tables (in the
// reader's language, results in words) and redraws them. Kept apart from the scanner's modules.
const section = document.getElementById("live-counters");
const checkins = document.getElementById("latest-checkins");
const scans = document.getElementById("latest-scans");

function cell(text, dir) {
  const td = document.createElement("td");
  td.textContent = text;
  if (dir) td.dir = "auto";
  return td;
}

function header(table) {
  return table.querySelector("tr"); // the <th> row stays
}

function undoCell(row) {
  const td = document.createElement("td");
  if (row.undone) { td.textContent = `${checkins.dataset.undone} ${row.undone_at}`; return td; }
  const form = document.createElement("form");
  form.method = "post"; form.action = row.undo_url; form.className = "inline";
  const token = document.createElement("input");
  token.type = "hidden"; token.name = "csrf_token"; token.value = checkins.dataset.csrf;
  const button = document.createElement("button");
  button.type = "submit"; button.textContent = checkins.dataset.undo; button.dataset.confirm = checkins.dataset.confirm;
  form.append(token, button);
  td.append(form);
  return td;
}

function draw(data) {
  const rows = data.checkins.map((c) => {
    const tr = document.createElement("tr");
    tr.append(cell(c.when), cell(c.name, true), cell(c.point, true), cell(c.by, true), undoCell(c));
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell(checkins.dataset.none); td.colSpan = 5; tr.append(td); rows.push(tr);
  }
  checkins.replaceChildren(header(checkins), ...rows);
  scans.replaceChildren(header(scans), ...data.scans.map((s) => {
    const tr = document.createElement("tr");
    const result = cell(s.label);
    result.dataset.result = s.result;
    if (s.double_entry) {
      const flag = document.createElement("span");
      flag.className = "flag"; flag.textContent = ` ${scans.dataset.double}`;
      result.append(flag);
    }
    tr.append(cell(s.when), result, cell(s.name, true), cell(s.point, true), cell(s.by, true));
    return tr;
  }));
}

let pending = null;
async function refresh() {
  pending = null;
  try {
    const r = await fetch(checkins.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.ok) draw(await r.json());
  } catch { /* offline: the next counters message tries again */ }
}

if (section && checkins && scans) {
  new MutationObserver(() => { if (!pending) pending = setTimeout(refresh, 200); })
    .observe(section, { attributes: true, attributeFilter: ["data-updated"] });
}
