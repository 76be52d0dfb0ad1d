"""Payloads of the report's API (also the OpenAPI component models)."""

from __future__ import annotations

from pydantic import BaseModel


class CountryRow(BaseModel):
    country: str
    registered: int
    in_person: int
    remote: int
    present: int


class OrgTypeRow(BaseModel):
    type: str
    registered: int
    present: int


class SessionAttendance(BaseModel):
    session_id: int
    title: str
    door_scans: int
    online_participants: int


class ReportAttendance(BaseModel):
    event_id: int
    registered: int
    in_person: int
    remote: int
    present: int
    waitlisted: int
    unlisted: int
    by_country: list[CountryRow]
    by_org_type: list[OrgTypeRow]
    sessions: list[SessionAttendance]


class ReportQuestion(BaseModel):
    id: int
    session_id: int
    text: str
    votes: int
    answered: bool


class ReportQuestionList(BaseModel):
    items: list[ReportQuestion]


class ReportPollOption(BaseModel):
    label: str
    votes: int


class ReportPoll(BaseModel):
    id: int
    session_id: int
    question: str
    voters: int
    options: list[ReportPollOption]


class ReportPollList(BaseModel):
    items: list[ReportPoll]


class ProvidedSection(BaseModel):
    key: str
    title: str
    session_id: int | None
    columns: list[str]
    rows: list[list[str | int]]


class ProvidedSectionList(BaseModel):
    items: list[ProvidedSection]


MODELS = [CountryRow, OrgTypeRow, SessionAttendance, ReportAttendance, ReportQuestion, ReportQuestionList,
          ReportPollOption, ReportPoll, ReportPollList, ProvidedSection, ProvidedSectionList]
