"""QR images of ticket codes: inline SVG for pages, PNG for downloads and email."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from markupsafe import escape
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M


def _qr(data: str, border: int = 4, box_size: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=box_size)
    qr.add_data(data, optimize=0)  # one alphanumeric segment: ticket codes are base32 upper-case
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=4096)
def _matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The module matrix, quiet zone included. Choosing the best of the 8 masks is ~80% of the cost (~6 ms), and
    the email, the ticket page and the PNG all draw the same code, so it is computed once per code."""
    return tuple(tuple(row) for row in _qr(data).get_matrix())


def prepare(data: str) -> None:
    """Compute (and cache) the QR matrix now, outside whatever lock the caller is about to take."""
    _matrix(data)


def qr_version(data: str) -> int:
    return _qr(data).version


def svg(data: str, *, title: str = "") -> str:
    """A compact inline <svg>: one path of horizontal runs, black on white, sized by CSS.

    qrcode's own SVG factories draw every module separately (~14 kB for a ticket); runs make it ~4 kB.
    """
    matrix = _matrix(data)
    size = len(matrix)
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    label = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<svg class="qr" role="img" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges">{label}<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def png(data: str, *, box_size: int = 10) -> bytes:
    """A black-on-white PNG. Built from the module matrix with one resize: drawing module by module (qrcode's
    PIL factory) was ~40% of a registration's CPU in bench/registration.py."""
    matrix = _matrix(data)
    size = len(matrix)
    pixels = bytes(0 if cell else 255 for row in matrix for cell in row)
    side = size * box_size
    img = Image.frombytes("L", (size, size), pixels).resize((side, side), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.convert("1").save(buf, format="PNG", optimize=True)
    return buf.getvalue()
