"""From the report's data to HTML (preview and PDF source), PDF (WeasyPrint) and XLSX (openpyxl).

One template (`report/_body.html`), the language chosen at generation with `force_locale`; Arabic is right to
left (`dir="rtl"`) and shaped by WeasyPrint (HarfBuzz via Pango) with an Arabic font.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from weasyprint import CSS, HTML

from eventhub.core.timefmt import format_in_zone
from eventhub.registration.countries import country_name
from eventhub.report import charts
from eventhub.report.data import by_key, checksum
from eventhub.report.labels import ACTORS, DOMAINS, MODES, ORG_TYPES, PRIORITIES, label

LOCALES = ("fr", "ar", "en")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _text_cell(ws: Any, value: Any) -> Any:
    """User text starting with "=" would become a formula: stored as plain text instead."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value
RTL = {"ar"}


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    checksum: str

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def _css_path() -> Path:
    return Path(current_app.static_folder or "static") / "css" / "report.css"


def _when(iso: str, zone: str, fmt: str = "full") -> str:
    return format_in_zone(datetime.fromisoformat(iso), zone, fmt)


def context(data: dict[str, Any], locale: str, *, version: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the template needs, in the current (forced) locale. Call inside `force_locale(locale)`."""
    rtl = locale in RTL
    att = data["attendance"]
    zone = data["event"]["timezone"]

    def country(code: str) -> str:
        return country_name(code, locale) if code else _("Not stated")

    chart_country = charts.grouped_bars(
        [country(r["country"]) for r in att["by_country"]],
        [(_("Registered"), [r["registered"] for r in att["by_country"]]),
         (_("Present in the room"), [r["present"] for r in att["by_country"]])],
        title=_("Attendance by country"), rtl=rtl)
    chart_type = charts.grouped_bars(
        [label(ORG_TYPES, r["type"]) for r in att["by_org_type"]],
        [(_("Registered"), [r["registered"] for r in att["by_org_type"]])],
        title=_("Registrations by kind of organization"), rtl=rtl)
    chart_mode = charts.split([(_("In the room"), att["in_person"]), (_("Online"), att["remote"])],
                              title=_("Registered: in the room and online"))
    recs = data["recommendations"]
    domains, actors = by_key(recs, "domain"), by_key(recs, "actor")
    return {
        "data": data, "locale": locale, "rtl": rtl, "version": version,
        "when": lambda iso, fmt="full": _when(iso, zone, fmt), "country": country,
        "domain_label": lambda c: label(DOMAINS, c), "actor_label": lambda c: label(ACTORS, c),
        "priority_label": lambda c: label(PRIORITIES, c), "org_type_label": lambda c: label(ORG_TYPES, c),
        "mode_label": lambda c: label(MODES, c),
        "charts": {"country": chart_country, "type": chart_type, "mode": chart_mode},
        "recs_by_domain": [(d.value, domains[d.value]) for d in DOMAINS if d.value in domains],
        "recs_by_actor": [(a.value, actors[a.value]) for a in ACTORS if a.value in actors],
        "all_questions": [(s, q) for s in data["sessions"] for q in s["questions"]],
        "has_activity": bool(att["registered"] or data["sessions"] or recs),
    }


def html(data: dict[str, Any], locale: str, *, version: dict[str, Any] | None = None,
         template: str = "report/document.html") -> str:
    with force_locale(locale):
        return render_template(template, **context(data, locale, version=version))


def _page_css(data_checksum: str, locale: str, version: dict[str, Any] | None) -> str:
    with force_locale(locale):
        if version:
            left = _("Version %(n)s issued %(date)s", n=version["number"], date=version["date"])
        else:
            left = _("Draft, not issued")
        footer = f"{left} · {_('Checksum')} {data_checksum[:16]}"
    footer = footer.replace("\\", "\\\\").replace('"', '\\"')
    side = "left" if locale not in RTL else "right"
    other = "right" if side == "left" else "left"
    return (f'@page {{ size: A4; margin: 18mm 16mm 20mm; '
            f'@bottom-{side} {{ content: "{footer}"; font-size: 7.5pt; color: #555; }} '
            f'@bottom-{other} {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}')


def pdf(data: dict[str, Any], locale: str, *, version: dict[str, Any] | None = None) -> Rendered:
    data_checksum = checksum(data)
    source = html(data, locale, version=version)
    document = HTML(string=source, base_url=str(_css_path().parent)).render(
        stylesheets=[CSS(filename=str(_css_path())), CSS(string=_page_css(data_checksum, locale, version))])
    out = io.BytesIO()
    document.write_pdf(out)
    return Rendered(pdf=out.getvalue(), pages=len(document.pages), checksum=data_checksum)


def xlsx(data: dict[str, Any], locale: str) -> bytes:
    """The tables behind the report, one sheet each, in the edition's language (write-only: fast and small)."""
    with force_locale(locale):
        wb = Workbook(write_only=True)
        att = data["attendance"]

        names: set[str] = set()

        def sheet(title: str, header: list[str], rows: list[list[Any]]) -> None:
            name = _SHEET_BAD.sub(" ", title).strip()[:28] or "Sheet"
            base, n = name, 2
            while name.lower() in names:
                name, n = f"{base} {n}", n + 1
            names.add(name.lower())
            ws = wb.create_sheet(name)
            if locale in RTL:
                ws.sheet_view.rightToLeft = True
            ws.append(header)
            for row in rows:
                ws.append([_text_cell(ws, v) for v in row])

        sheet(_("Attendance"), [_("Figure"), _("Number")], [
            [_("Registered"), att["registered"]], [_("In the room"), att["in_person"]], [_("Online"), att["remote"]],
            [_("Present in the room"), att["present"]], [_("Waiting list"), att["waitlisted"]]])
        sheet(_("By country"), [_("Country code"), _("Country"), _("Registered"), _("In the room"), _("Online"),
                                _("Present in the room")],
              [[r["country"], country_name(r["country"], locale), r["registered"], r["in_person"], r["remote"],
                r["present"]] for r in att["by_country"]])
        sheet(_("By kind of organization"), [_("Kind of organization"), _("Registered"), _("Present in the room")],
              [[label(ORG_TYPES, r["type"]), r["registered"], r["present"]] for r in att["by_org_type"]])
        sheet(_("Sessions"), [_("Session"), _("Starts"), _("Door scans"), _("Online participants"),
                              _("Questions asked"), _("Questions approved"), _("Questions answered"), _("Votes")],
              [[s["title"], _when(s["starts_at"], data["event"]["timezone"], "short"), s["door_scans"],
                s["online_participants"], s["question_totals"]["asked"], s["question_totals"]["approved"],
                s["question_totals"]["answered"], s["question_totals"]["votes"]] for s in data["sessions"]])
        sheet(_("Questions"), [_("Session"), _("Question"), _("Votes"), _("Answered")],
              [[s["title"], q["text"], q["votes"], _("yes") if q["answered"] else _("no")]
               for s in data["sessions"] for q in s["questions"]])
        sheet(_("Polls"), [_("Session"), _("Poll"), _("Voters"), _("Option"), _("Votes")],
              [[s["title"], p["question"], p["voters"], o["label"], o["votes"]]
               for s in data["sessions"] for p in s["polls"] for o in p["options"]])
        sheet(_("Recommendations"), [_("Title"), _("Domain"), _("Who should act"), _("Priority"), _("Session"),
                                     _("Text")],
              [[r["title"], label(DOMAINS, r["domain"]), label(ACTORS, r["actor"]), label(PRIORITIES, r["priority"]),
                r["session"], r["text"]] for r in data["recommendations"]])
        for section in data["sections"] + [p for s in data["sessions"] for p in s["sections"]]:
            sheet(section["title"] or section["key"], section["columns"], section["rows"])
        sheet(_("Participants"), [_("Name"), _("Organization"), _("Country")],
              [[p["name"], p["organization"], country_name(p["country"], locale)] for p in data["participants"]])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
