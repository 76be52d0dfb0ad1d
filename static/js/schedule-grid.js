// The organizer's day grid: drag a session to another slot or room, drag its lower edge to resize.
// The server decides: a refused move (room or person already busy, outside the event…) snaps back with the
// server's message. Without JavaScript the grid still links to the plain forms.
const grid = document.getElementById("sched-grid");
const message = document.getElementById("grid-message");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

if (grid) {
  const slotMinutes = Number(grid.dataset.slot) || 15;
  const gridStart = new Date(grid.dataset.start);
  const moveUrl = (id) => grid.dataset.moveUrl.replace(/\/0\/move$/, `/${id}/move`);
  const cells = () => [...grid.querySelectorAll(".cell")];

  const setClass = (el, prefix, n) => {
    for (const c of [...el.classList]) if (new RegExp(`^${prefix}\\d+$`).test(c)) el.classList.remove(c);
    el.classList.add(`${prefix}${n}`);
  };

  const cellAt = (x, y) => {
    for (const cell of cells()) {
      const r = cell.getBoundingClientRect();
      if (x >= r.left && x < r.right && y >= r.top && y < r.bottom) return cell;
    }
    return null;
  };

  const show = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };

  async function send(block, startsAt, endsAt, roomId) {
    const response = await fetch(moveUrl(block.dataset.session), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ starts_at: startsAt.toISOString(), ends_at: endsAt.toISOString(),
                             room_id: roomId ? Number(roomId) : null }),
      credentials: "same-origin",
    });
    let body = {};
    try { body = await response.json(); } catch { /* not JSON */ }
    if (!response.ok) throw new Error(body?.error?.message || response.statusText);
    return body;
  }

  function place(block, row, span, col, room) {
    setClass(block, "r", row);
    setClass(block, "s", Math.max(1, span));
    setClass(block, "c", col);
    block.dataset.row = row; block.dataset.span = span; block.dataset.col = col; block.dataset.room = room || "";
  }

  grid.addEventListener("pointerdown", (down) => {
    const block = down.target.closest(".block");
    if (!block || block.classList.contains("is-cancelled") || down.button !== 0) return;
    const resizing = down.target.classList.contains("resize");
    down.preventDefault(); // no text selection or native link drag; a plain click still opens the form
    const origin = { row: +block.dataset.row, span: +block.dataset.span, col: +block.dataset.col,
                     room: block.dataset.room };
    const starts = new Date(block.dataset.starts), ends = new Date(block.dataset.ends);
    const lengthMs = ends - starts;
    let target = null, moved = false;
    block.setPointerCapture(down.pointerId);

    const onMove = (ev) => {
      if (!moved && Math.abs(ev.clientY - down.clientY) + Math.abs(ev.clientX - down.clientX) < 6) return;
      moved = true;
      block.classList.add("dragging");
      const cell = cellAt(ev.clientX, ev.clientY);
      if (!cell) return;
      const row = +cell.dataset.row;
      if (resizing) {
        const span = Math.max(1, row - origin.row + 1);
        place(block, origin.row, span, origin.col, origin.room);
        target = { resize: true, span };
      } else {
        place(block, row, origin.span, +cell.dataset.col, cell.dataset.room);
        target = { at: new Date(cell.dataset.at), room: cell.dataset.room, row, col: +cell.dataset.col };
      }
    };

    const onUp = async () => {
      block.removeEventListener("pointermove", onMove);
      block.removeEventListener("pointerup", onUp);
      block.classList.remove("dragging");
      if (!moved || !target) return;
      block.addEventListener("click", (e) => e.preventDefault(), { once: true, capture: true });
      let newStart = starts, newEnd = ends, room = origin.room;
      if (target.resize) {
        const slotStart = new Date(gridStart.getTime() + (origin.row - 2) * slotMinutes * 60000);
        newEnd = new Date(slotStart.getTime() + target.span * slotMinutes * 60000);
        // keep the original start (it may sit between slot lines)
      } else {
        newStart = target.at; newEnd = new Date(target.at.getTime() + lengthMs); room = target.room;
      }
      try {
        const saved = await send(block, newStart, newEnd, room);
        block.dataset.starts = saved.starts_at; block.dataset.ends = saved.ends_at;
        block.classList.remove("refused");
        show("");
        window.location.reload();
      } catch (err) {
        place(block, origin.row, origin.span, origin.col, origin.room);
        block.classList.add("refused");
        show(err.message);
      }
    };
    block.addEventListener("pointermove", onMove);
    block.addEventListener("pointerup", onUp);
  });
}
