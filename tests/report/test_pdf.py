"""The PDF says what the database holds: every count is recomputed here with our own queries and found in the
text extracted from the PDF (pypdf and poppler's pdftotext); the Arabic edition is shaped, in logical order and
drawn with real glyphs (no .notdef "tofu"); the XLSX opens with openpyxl and its sums match."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream
from sqlalchemy import text
from sqlalchemy import text as sql

from eventhub.extensions import db
from eventhub.report import render, services
from eventhub.report.data import collect
from tests.report.conftest import CHECKED_IN, PEOPLE, SESSION_SCANS, TOOLS

needs_poppler = pytest.mark.skipif(not all(TOOLS.values()), reason="poppler-utils (pdftotext, pdftoppm, pdffonts)")


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _pdftotext(pdf: bytes, tmp_path, layout: bool = False) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True, text=True, timeout=60).stdout


def _row(text: str, label: str) -> list[int]:
    """The numbers on the line that starts with `label` (a table row: label then its figures)."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            rest = line.strip()[len(label):]
            return [int(n) for n in re.findall(r"(?<![\w])\d+(?![\w])", rest)]
    raise AssertionError(f"no line starting with {label!r}")


def _expected(rt):
    """Figures computed independently from the database (plain SQL, not the report's code)."""


    q = lambda sql, **kw: db.session.execute(text(sql), {"e": rt.event.id, **kw}).all()  # noqa: E731
    registered = q("SELECT mode, count(*) FROM registrations WHERE event_id=:e AND status='confirmed' GROUP BY mode")
    present = q("SELECT count(DISTINCT c.registration_id) FROM checkins c JOIN checkin_points p ON p.id=c.point_id "
                "WHERE c.event_id=:e AND c.undone_at IS NULL AND p.kind='entrance'")[0][0]
    by_country = q("SELECT r.country, count(*), sum(CASE WHEN r.mode='in_person' THEN 1 ELSE 0 END), "
                   "sum(CASE WHEN r.mode='remote' THEN 1 ELSE 0 END), "
                   "sum(CASE WHEN EXISTS (SELECT 1 FROM checkins c JOIN checkin_points p ON p.id=c.point_id "
                   "WHERE c.registration_id=r.id AND p.kind='entrance' AND c.undone_at IS NULL) THEN 1 ELSE 0 END) "
                   "FROM registrations r WHERE r.event_id=:e AND r.status='confirmed' GROUP BY r.country")
    door = q("SELECT count(DISTINCT c.registration_id) FROM checkins c JOIN checkin_points p ON p.id=c.point_id "
             "WHERE p.agenda_session_id=:s AND c.undone_at IS NULL", s=rt.s1.id)[0][0]
    questions = q("SELECT status, count(*), coalesce(sum(votes),0) FROM qa_questions WHERE session_id=:s "
                  "GROUP BY status", s=rt.s1.id)
    modes = dict(registered)
    return {"in_person": modes.get("in_person", 0), "remote": modes.get("remote", 0),
            "registered": sum(modes.values()), "present": present,
            "by_country": {c: (n, room, remote, p) for c, n, room, remote, p in by_country},
            "door": door, "questions": {s: (n, v) for s, n, v in questions}}


def test_every_count_in_the_french_pdf_matches_the_database(rt, tmp_path):
    expected = _expected(rt)
    # The fixture's own arithmetic agrees with the database (so the test is not comparing two copies of a bug).
    assert expected["registered"] == len(PEOPLE) and expected["present"] == len(CHECKED_IN)
    assert expected["door"] == len(SESSION_SCANS)
    rendered = render.pdf(collect(rt.event), "fr")
    text = _text(rendered.pdf)
    layout = _pdftotext(rendered.pdf, tmp_path, layout=True) if TOOLS["pdftotext"] else text
    assert _row(layout, "Inscrits")[:1] == [expected["registered"]]
    assert _row(layout, "En salle")[:1] == [expected["in_person"]]
    assert _row(layout, "En ligne")[:1] == [expected["remote"]]
    assert _row(layout, "Présents dans la salle")[:1] == [expected["present"]]
    for code, name in (("ML", "Mali"), ("DZ", "Algérie"), ("SN", "Sénégal"), ("FR", "France")):
        assert tuple(_row(layout, name)[:4]) == expected["by_country"][code], name
    assert _row(layout, "Passages au contrôle de la session")[:1] == [expected["door"]]
    qs = expected["questions"]
    asked = sum(n for n, _v in qs.values())
    approved = sum(qs.get(s, (0, 0))[0] for s in ("approved", "answered", "archived"))
    votes = sum(qs.get(s, (0, 0))[1] for s in ("approved", "answered", "archived"))
    assert _row(layout, "Questions posées")[:1] == [asked]
    assert _row(layout, "Questions approuvées")[:1] == [approved]
    assert _row(layout, "Questions traitées")[:1] == [qs.get("answered", (0, 0))[0]]
    assert _row(layout, "Votes sur les questions")[:1] == [votes]
    # The poll's result per option, as counted from the individual ballots.


    ballots = Counter(opt for (ids,) in db.session.execute(sql("SELECT option_ids FROM qa_poll_votes WHERE poll_id=:p"),
                                                            {"p": rt.poll.id}) for opt in ids.split(","))
    for option in rt.poll.options:
        assert _row(layout, option.label)[:1] == [ballots[str(option.id)]], option.label
    # Sections, summary, recommendations grouped, and the annex without emails, phones or unlisted names.
    for needle in ("L'événement", "Participation", "Panel 1 — Infrastructures", "Aïssata Diallo", "Modératrice",
                   "urgence de la dorsale", "Interconnecter les dorsales", "Fibre optique sur la dorsale africaine",
                   "Les deux pays", "Liste des participants", "Toutes les questions",
                   "Quel calendrier pour la fibre transsaharienne"):
        assert needle in text, needle
    assert "Question hors sujet" not in text  # rejected: never shown to the audience, not in the report
    for i, (name, *_rest, listed) in enumerate(PEOPLE):
        assert (name in text) == listed, name
        assert f"p{i}@example.org" not in text
    assert "2 participants ont demandé à ne pas figurer sur la liste" in text


def test_checksum_is_on_every_page(rt):
    rendered = render.pdf(collect(rt.event), "fr")
    pages = PdfReader(io.BytesIO(rendered.pdf)).pages
    assert len(pages) == rendered.pages > 1
    for n, page in enumerate(pages, 1):
        page_text = page.extract_text()
        assert rendered.checksum[:16] in page_text, f"page {n} has no checksum"
        assert f"{n} / {len(pages)}" in page_text


def _glyph_ids(pdf: bytes) -> list[int]:
    """Every glyph id shown by a text operator (WeasyPrint writes Identity-H CID fonts: 2 bytes per glyph)."""
    ids: list[int] = []
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            chunks = operands[0] if operator == b"TJ" else operands if operator == b"Tj" else []
            for chunk in chunks:
                raw = getattr(chunk, "original_bytes", None)
                if raw is None and isinstance(chunk, (bytes, str)):
                    raw = chunk.encode("latin-1") if isinstance(chunk, str) else chunk
                if raw:
                    ids += [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
    return ids


@needs_poppler
def test_arabic_edition_is_shaped_in_logical_order_and_without_tofu(rt, tmp_path):
    rendered = render.pdf(collect(rt.event), "ar")
    text = _pdftotext(rendered.pdf, tmp_path)
    # Logical order: pdftotext gives the words as typed (a reversed or unshaped run would not match).
    for words in ("التقرير النهائي", "الحضور", "المسجلون", "التوصيات", "قائمة المشاركين", "البصرية"):
        assert words in text, words
    assert "Final report" not in text and "Attendance" not in text  # the catalogue, not the English source
    (tmp_path / "ar.pdf").write_bytes(rendered.pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "ar.pdf")], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    assert re.search(r"(Arabic|Amiri|Kacst)", fonts), fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), "every font embedded"
    glyphs = _glyph_ids(rendered.pdf)
    assert glyphs, "no text operators found"
    assert 0 not in glyphs, "a .notdef glyph (tofu) was drawn"
    # And a page renders: poppler rasterises page 1 and it is not blank.
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", str(tmp_path / "ar.pdf"),
                    str(tmp_path / "p")], check=True, timeout=60)

    image = Image.open(next(tmp_path.glob("p*.pgm")))
    dark = sum(1 for px in image.getdata() if px < 128)
    assert dark > 500, "page 1 rendered blank"


def test_workbook_opens_and_its_sums_match(rt):
    expected = _expected(rt)
    wb = load_workbook(io.BytesIO(render.xlsx(collect(rt.event), "fr")), read_only=True)
    by_country = list(wb["Par pays"].iter_rows(min_row=2, values_only=True))
    assert sum(r[2] for r in by_country) == expected["registered"]
    assert sum(r[5] for r in by_country) == expected["present"]
    assert {r[0]: tuple(r[2:6]) for r in by_country} == expected["by_country"]
    by_type = list(wb["Par type d'organisation"].iter_rows(min_row=2, values_only=True))
    assert sum(r[1] for r in by_type) == expected["registered"]
    participants = list(wb["Participants"].iter_rows(min_row=2, values_only=True))
    assert len(participants) == sum(1 for p in PEOPLE if p[4])
    assert all("@" not in str(cell) for row in participants for cell in row)
    polls = list(wb["Sondages"].iter_rows(min_row=2, values_only=True))
    assert sum(r[4] for r in polls) == sum(o.votes for o in rt.poll.options)


def test_html_laden_and_huge_summaries_are_inert(rt):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:x">lien</a> ' + "long " * 19_000
    services.save_summary(rt.s1, evil, base_version=1, by=rt.rapporteur)
    data = collect(rt.event)
    html = render.html(data, "fr")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and 'href="javascript' not in html
    rendered = render.pdf(data, "fr")
    text = _text(rendered.pdf)
    assert "<script>alert(1)</script>" in text  # printed as text, not run or dropped
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert "/JavaScript" not in str(reader.trailer["/Root"].get_object())
    assert rendered.pages > 5  # the long text flows over pages instead of being cut or crashing


def test_an_event_with_no_data_gives_a_short_clear_report(make_event, ctx):
    event = make_event(title="Événement vide")
    data = collect(event)
    rendered = render.pdf(data, "fr")
    text = _text(rendered.pdf)
    assert rendered.pages == 1
    assert "Aucune inscription, session ni recommandation" in text
    for absent in ("Participation", "Sessions", "Recommandations", "Annexes"):
        assert absent not in text.replace("Participation par", ""), absent
    assert render.pdf(data, "ar").pages == 1

    wb = load_workbook(io.BytesIO(render.xlsx(data, "en")), read_only=True)
    assert list(wb["Participants"].iter_rows(values_only=True)) == [("Name", "Organization", "Country")]


def test_formula_like_text_stays_text_in_the_workbook(rt):
    data = collect(rt.event)
    data["participants"][0]["name"] = '=HYPERLINK("http://evil.example","x")'
    wb = load_workbook(io.BytesIO(render.xlsx(data, "fr")))
    cell = wb["Participants"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
