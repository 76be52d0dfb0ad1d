"""The report's charts: matplotlib (a bare Figure, no pyplot) drawn as SVG markup, embedded inline in the HTML/PDF.

matplotlib ≥ 3.11 shapes Arabic and lays it out right to left itself; glyphs are drawn as paths, so the PDF never
depends on a font for the charts. The font list falls back to an Arabic face for Arabic labels.
"""

from __future__ import annotations

import io
import re
import threading
from functools import lru_cache

import matplotlib
from matplotlib.figure import Figure  # drawn without pyplot: no backend, no global state

FONTS = ["Noto Sans", "DejaVu Sans", "Noto Sans Arabic", "Amiri"]
COLORS = ("#1f5f8b", "#e08a1e")
_lock = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe
_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    return _XML_DECL.sub("", buf.getvalue())


def _figure(height: float) -> Figure:
    fig = Figure(figsize=(6.2, height), dpi=72)
    return fig


def grouped_bars(labels: list[str], series: list[tuple[str, list[int]]], *, title: str, rtl: bool = False) -> str:
    """Horizontal bars, one group per label (e.g. registered and present per country)."""
    if not labels:
        return ""
    return _grouped_bars(tuple(labels), tuple((name, tuple(values)) for name, values in series), title, rtl)


@lru_cache(maxsize=64)  # regenerating an unchanged report redraws nothing (a chart costs about half a second)
def _grouped_bars(labels: tuple[str, ...], series: tuple[tuple[str, tuple[int, ...]], ...], title: str,
                  rtl: bool) -> str:
    labels = tuple(label if len(label) <= 40 else label[:39] + "…" for label in labels[:15])
    with _lock, matplotlib.rc_context({"font.family": FONTS, "svg.fonttype": "path", "font.size": 9}):
        fig = _figure(0.9 + 0.32 * len(labels) * max(1, len(series)))
        ax = fig.add_subplot()
        n = len(series)
        height = 0.8 / n
        positions = list(range(len(labels)))
        for i, (name, values) in enumerate(series):
            ax.barh([p + i * height for p in positions], values[:len(labels)], height=height, label=name,
                    color=COLORS[i % len(COLORS)])
        ax.set_yticks([p + height * (n - 1) / 2 for p in positions], labels)
        ax.invert_yaxis()
        if rtl:
            ax.invert_xaxis()
            ax.yaxis.tick_right()
        ax.set_title(title)
        ax.spines[["top", "right"] if not rtl else ["top", "left"]].set_visible(False)
        if n > 1:
            ax.legend(loc="lower right" if not rtl else "lower left", frameon=False)
        return _svg(fig)


def split(values: list[tuple[str, int]], *, title: str) -> str:
    """In the room vs online, as one stacked bar (pie charts read badly in print)."""
    if not any(v for _label, v in values):
        return ""
    return _split(tuple(values), title)


@lru_cache(maxsize=64)
def _split(values: tuple[tuple[str, int], ...], title: str) -> str:
    with _lock, matplotlib.rc_context({"font.family": FONTS, "svg.fonttype": "path", "font.size": 9}):
        fig = _figure(1.4)
        ax = fig.add_subplot()
        left = 0
        for i, (label, value) in enumerate(values):
            ax.barh([0], [value], left=left, color=COLORS[i % len(COLORS)], label=f"{label}: {value}")
            left += value
        ax.set_yticks([])
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=len(values), frameon=False)
        return _svg(fig)
