"""The final report to both governments (PDF, XLSX, API), rapporteurs' summaries and recommendations, and the
organizers' live dashboard."""

from __future__ import annotations

from flask import Flask

from eventhub.core.live import attach
from eventhub.report import live
from eventhub.report.sockets import ReportNamespace
from eventhub.signals import checkin_counters_changed, qa_activity


def register(app: Flask) -> None:
    attach(ReportNamespace(live.NAMESPACE))
    checkin_counters_changed.connect(live.on_checkin_changed)
    qa_activity.connect(live.on_qa_activity)
