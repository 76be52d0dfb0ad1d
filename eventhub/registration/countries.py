"""Country names in the reader's language, from CLDR (via Babel), ISO 3166-1 alpha-2 codes only."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from babel import Locale


@lru_cache(maxsize=8)
def _territories(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    # Alpha-2 codes only (CLDR also lists regions such as "001", and ZZ for unknown).
    pairs = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha() and code != "ZZ"]
    return tuple(sorted(pairs, key=lambda p: _sort_key(p[1])))


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def country_choices(locale: str) -> list[tuple[str, str]]:
    return list(_territories(locale))


def is_country(code: str) -> bool:
    return isinstance(code, str) and code in dict(_territories("en"))


def country_name(code: str, locale: str) -> str:
    return dict(_territories(locale)).get(code, code)
