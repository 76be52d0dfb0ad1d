"""The report's part of the OpenAPI document (paths and component models), merged by eventhub.api.openapi."""

from __future__ import annotations

from collections.abc import Callable

from eventhub.report import schemas

MODELS = schemas.MODELS


def paths(ref: Callable, json: Callable, errors: Callable, event_id: dict, bearer: list) -> dict:
    def get(summary: str, op: str, model: str) -> dict:
        return {"parameters": [event_id], "get": {"summary": summary, "operationId": op, "security": bearer,
                                                   "responses": {"200": json(model), **errors(401, 403, 404)}}}

    return {
        "/events/{event_id}/report/attendance": get(
            "Attendance behind the final report: registered and present, by mode, country, kind of organization "
            "and session", "getReportAttendance", "ReportAttendance"),
        "/events/{event_id}/report/questions": get(
            "Questions the audience saw (approved, answered, archived), with votes", "getReportQuestions",
            "ReportQuestionList"),
        "/events/{event_id}/report/polls": get("Poll results (opened or closed polls)", "getReportPolls",
                                               "ReportPollList"),
        "/events/{event_id}/report/speaking-times": get(
            "Speaking time per delegation, when the floor provides it (empty otherwise)", "getReportSpeakingTimes",
            "ProvidedSectionList"),
    }
