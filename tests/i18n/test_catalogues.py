"""Translations: the French and Arabic catalogues are complete and compiled, and pages follow the chosen language.

Refresh the catalogues after adding or changing strings (from the project root):

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-comments=TRANSLATORS: \
        --project=EventHub --version=0.1 --copyright-holder=EventHub -o eventhub/translations/messages.pot .
    .venv/bin/pybabel update -i eventhub/translations/messages.pot -d eventhub/translations -D messages \
        --no-fuzzy-matching --ignore-obsolete
    (translate the new entries of eventhub/translations/fr/LC_MESSAGES/messages.po and ar/…/messages.po)
    .venv/bin/pybabel compile -d eventhub/translations
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from gettext import GNUTranslations
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import ROOT

TRANSLATIONS = ROOT / "eventhub" / "translations"
LOCALES = ("fr", "en", "ar")
# Catalogues every message must be translated in (English msgids stand for themselves). Arabic has six plural
# forms (zero, one, two, few, many, other): a plural entry needs all six.
COMPLETE = ("fr", "ar")
PLURAL_FORMS = {"fr": 2, "ar": 6}
# Same keywords as the documented `pybabel extract` command (the defaults cover _, gettext, ngettext, pgettext…).
EXTRACT_KEYWORDS = ("_l", "lazy_gettext")

# printf-style conversions as Python's % operator reads them, including %% and named ones like %(title)s.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
# Jinja renders a translation as Markup (trusted HTML) and some land in attributes: a translation must not
# bring markup or quotes its source does not have.
HTML_SPECIAL = set('<>&"')


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read_po(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _label(message: Message) -> str:
    ident = message.id if isinstance(message.id, str) else " / ".join(message.id)
    return f"[{message.context}] {ident}" if message.context else ident


def _ids(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _strings(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module", params=COMPLETE)
def complete_catalog(request: pytest.FixtureRequest) -> Catalog:
    return _read_po(_po_path(request.param), request.param)


# --- (a) the French and Arabic catalogues are complete --------------------------------------------------------

def test_every_message_is_translated(complete_catalog: Catalog):
    locale = str(complete_catalog.locale)
    messages = _messages(complete_catalog)
    assert len(messages) > 100, f"the {locale} catalogue looks empty: was it extracted?"
    untranslated = [_label(m) for m in messages if not all(s.strip() for s in _strings(m))]
    assert not untranslated, f"untranslated in {locale}/LC_MESSAGES/messages.po:\n" + "\n".join(untranslated)


def test_every_plural_entry_has_all_forms(complete_catalog: Catalog):
    locale = str(complete_catalog.locale)
    assert complete_catalog.num_plurals == PLURAL_FORMS[locale], (
        f"the {locale} catalogue's Plural-Forms header says {complete_catalog.num_plurals} forms")
    short = [f"{_label(m)}: {sum(1 for s in _strings(m) if s.strip())} of {PLURAL_FORMS[locale]}"
             for m in _messages(complete_catalog) if m.pluralizable
             and (len(_strings(m)) != PLURAL_FORMS[locale] or not all(s.strip() for s in _strings(m)))]
    assert not short, f"plural entries missing forms in {locale}:\n" + "\n".join(short)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_entries(locale: str):
    catalog = _read_po(_po_path(locale), locale)
    assert not catalog.fuzzy, f"the {locale} catalogue header is marked fuzzy"
    fuzzy = [_label(m) for m in _messages(catalog) if m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {locale} (compiled catalogues skip them):\n" + "\n".join(fuzzy)


def test_placeholders_match_the_source(complete_catalog: Catalog):
    wrong = []
    for m in _messages(complete_catalog):
        # Each plural form is compared with the union of the ids'. It may leave out the number itself: Arabic
        # writes one, two (and often zero) in words ("مقعدان"), the number is a named placeholder.
        expected = sorted(set().union(*(_placeholders(i) for i in _ids(m))))
        for string in _strings(m):
            if not string:  # untranslated: reported by test_every_message_is_translated
                continue
            found = _placeholders(string)
            if m.pluralizable:
                missing = set(expected) - set(found)
                ok = set(found) <= set(expected) and all(p.startswith("%(") and p.endswith("d") for p in missing)
            else:
                ok = found == _placeholders(m.id)
            if not ok:
                wrong.append(f"{_label(m)!r}: {found} vs {expected}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_translations_bring_no_markup(complete_catalog: Catalog):
    wrong = [
        _label(m) for m in _messages(complete_catalog)
        if any((set(s) & HTML_SPECIAL) - set("".join(_ids(m))) for s in _strings(m))
    ]
    assert not wrong, "translations adding <, >, & or \" (unsafe in Markup and attributes):\n" + "\n".join(wrong)


# --- (b) every string in the sources is in the catalogue ------------------------------------------------------

def test_every_extracted_message_is_in_the_catalogue(tmp_path: Path, complete_catalog: Catalog):
    pot = tmp_path / "messages.pot"
    args = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg"]
    for keyword in EXTRACT_KEYWORDS:
        args += ["-k", keyword]
    result = subprocess.run([*args, "-o", str(pot), "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    extracted = _messages(_read_po(pot))
    files = {path for m in extracted for path, _line in m.locations}
    assert any(f.startswith("eventhub/") for f in files) and any(f.startswith("templates/") for f in files)
    assert not any(f.startswith((".venv", "tests/")) for f in files), "extraction scanned more than the app"

    translated = {(m.context, m.id) for m in _messages(complete_catalog) if all(_strings(m))}
    missing = [
        f"{_label(m)}  ({', '.join(f'{p}:{n}' for p, n in m.locations)})"
        for m in extracted if (m.context, m.id) not in translated
    ]
    assert not missing, (
        f"strings in the sources without a translation in {complete_catalog.locale} (extract, `pybabel update`, "
        "translate, compile):\n" + "\n".join(missing)
    )


# --- (c) the compiled catalogues match their sources ----------------------------------------------------------

def _gettext_catalog(mo: bytes) -> dict:
    translations = GNUTranslations(io.BytesIO(mo))
    entries = dict(translations._catalog)  # type: ignore[attr-defined]
    entries.pop("", None)  # the header (dates change on every `pybabel update`)
    return entries


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_is_up_to_date(locale: str):
    mo_path = _po_path(locale).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `pybabel compile -d eventhub/translations`"
    fresh = io.BytesIO()
    write_mo(fresh, _read_po(_po_path(locale), locale))
    assert _gettext_catalog(mo_path.read_bytes()) == _gettext_catalog(fresh.getvalue()), (
        f"{mo_path.relative_to(ROOT)} is stale: run `pybabel compile -d eventhub/translations`"
    )


# --- (d) the language of pages --------------------------------------------------------------------------------

def _lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def test_pages_are_french_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert _lang(html) == "fr"
    assert "Événements à venir" in html
    assert "Se connecter" in html
    assert "Upcoming events" not in html


def test_accept_language_english_gives_english(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert _lang(html) == "en"
    assert "Upcoming events" in html
    assert "Sign in" in html


def test_error_pages_are_translated(client):
    fr = client.get("/no-such-page").get_data(as_text=True)
    assert "Cette page n’existe pas." in fr
    en = client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This page does not exist." in en


def test_language_choice_sticks_over_accept_language(client):
    response = client.post("/lang", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    for _ in range(2):
        html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
        assert _lang(html) == "en"
        assert "Upcoming events" in html
    client.post("/lang", data={"lang": "fr", "next": "/"})
    assert _lang(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "fr"


def test_unsupported_language_is_ignored(client):
    response = client.post("/lang", data={"lang": "de", "next": "/"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "lang" not in session
    assert _lang(client.get("/").get_data(as_text=True)) == "fr"

    client.post("/lang", data={"lang": "en"})
    client.post("/lang", data={"lang": "xx-evil"})
    assert _lang(client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)) == "en"


@pytest.mark.parametrize("target", [
    "https://evil.example/phish", "//evil.example/phish", "http:/evil.example", "/\\evil.example",
    "javascript:alert(1)",
])
def test_language_switch_refuses_external_next(client, target: str):
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost"), response.headers["Location"]
    assert location.path == "/"


def test_language_switch_returns_to_a_same_site_page(client):
    response = client.post("/lang", data={"lang": "en", "next": "/e/some-event?ref=home"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert (location.path, location.query) == ("/e/some-event", "ref=home")


# --- (e) Arabic: negotiated from the browser, right to left ---------------------------------------------------

def _dir(html: str) -> str:
    match = re.search(r'<html lang="[^"]+" dir="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


@pytest.mark.parametrize(("header", "lang", "direction"), [
    ("ar-DZ,ar;q=0.9", "ar", "rtl"),
    ("ar-DZ", "ar", "rtl"),
    ("en-US", "en", "ltr"),
    ("de-DE,de;q=0.9", "fr", "ltr"),  # none of ours: the default
    ("", "fr", "ltr"),
])
def test_accept_language_picks_among_fr_en_ar(client, header: str, lang: str, direction: str):
    response = client.get("/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (_lang(html), _dir(html)) == (lang, direction)


def test_arabic_pages_are_arabic_and_offer_every_language(client):
    html = client.get("/", headers={"Accept-Language": "ar-DZ,ar;q=0.9"}).get_data(as_text=True)
    ar = _read_po(_po_path("ar"), "ar")
    assert ar.get("Skip to content") and ar.get("Skip to content").string, "ar: 'Skip to content' untranslated"
    assert ar.get("Skip to content").string in html
    for code, name in (("fr", "Français"), ("en", "English"), ("ar", "العربية")):
        assert re.search(rf'name="lang" value="{code}" lang="{code}"[^>]*>{name}</button>', html), code


def test_arabic_choice_sticks_over_accept_language(client):
    assert client.post("/lang", data={"lang": "ar", "next": "/"}).status_code == 302
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert (_lang(html), _dir(html)) == ("ar", "rtl")
    assert re.search(r'value="ar" lang="ar" class="link"\s+aria-current="true"', html)
