"""Text folded for search: case and accents ignored ("Traoré" and "TRAORE" both read "traore")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accents stripped (NFKD, combining marks dropped), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", str(text or "").casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def like_pattern(text: str) -> str:
    """A LIKE '%…%' pattern for folded `text`, with LIKE's wildcards escaped (use escape="\\")."""
    folded = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"
