"""Organizer forms for rooms, sessions and panelists (the services validate again for the API)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from eventhub.core.i18n import default_zone
from eventhub.core.text import EMAIL_MAX
from eventhub.core.timefmt import is_valid_zone
from eventhub.events.forms import LANGUAGE_LABELS, MultiCheckboxField
from eventhub.events.models import ZONE_MAX
from eventhub.schedule.models import ParticipationMode, SessionKind
from eventhub.schedule.panelists import BIO_MAX, TEXT_MAX
from eventhub.schedule.services import DESCRIPTION_MAX, ROOM_NAME_MAX, TITLE_MAX, URL_MAX

LENGTH = _l("At most %(max)d characters.")

# Labels per member of the models' enums (their one definition): a new kind without a label fails at import.
_KIND_LABELS = {SessionKind.OPENING: _l("Opening"), SessionKind.PANEL: _l("Panel"), SessionKind.PITCH: _l("Pitches"),
                SessionKind.BREAK: _l("Break"), SessionKind.NETWORKING: _l("Networking")}
KIND_CHOICES = [(kind.value, _KIND_LABELS[kind]) for kind in SessionKind]
_MODE_LABELS = {ParticipationMode.ON_STAGE: _l("On stage"), ParticipationMode.REMOTE: _l("Remote")}
MODE_CHOICES = [(mode.value, _MODE_LABELS[mode]) for mode in ParticipationMode]


class RoomForm(FlaskForm):
    name = StringField(_l("Name"),
                       validators=[DataRequired(_l("Required.")), Length(max=ROOM_NAME_MAX, message=LENGTH)])
    capacity = IntegerField(_l("Seats (optional)"), validators=[
        Optional(), NumberRange(0, 1_000_000, _l("Enter a number between 0 and 1,000,000."))])
    has_stream = BooleanField(_l("Stage video / streaming equipment"))


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Required.")), Length(max=TITLE_MAX, message=LENGTH)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="panel")
    room_id = SelectField(_l("Room"), coerce=int, validate_choice=True)
    starts_at = DateTimeLocalField(_l("Starts"), validators=[DataRequired(_l("Enter a date and time."))])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[DataRequired(_l("Enter a date and time."))])
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX, message=LENGTH)])
    languages = MultiCheckboxField(_l("Languages"), choices=LANGUAGE_LABELS, default=["fr"])
    panelists = MultiCheckboxField(_l("Panelists"), coerce=int)
    remote_panelists = MultiCheckboxField(_l("Taking part remotely in this session"), coerce=int,
                                          description=_l("Unticked: as set on the panelist."))
    moderators = MultiCheckboxField(_l("Moderators"), coerce=int)
    meeting_url = StringField(_l("External meeting link (for panelists, optional)"),
                              validators=[Length(max=URL_MAX, message=LENGTH)])
    livestream_url = StringField(_l("Livestream link (for remote attendees, optional)"),
                                 validators=[Length(max=URL_MAX, message=LENGTH)])

    def validate_languages(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one language."))


class PanelistForm(FlaskForm):
    name = StringField(_l("Full name"),
                       validators=[DataRequired(_l("Required.")), Length(max=TEXT_MAX, message=LENGTH)])
    email = EmailField(_l("Email (for the invitation)"), validators=[Length(max=EMAIL_MAX, message=LENGTH)])
    title = StringField(_l("Title"), validators=[Length(max=TEXT_MAX, message=LENGTH)],
                        description=_l("For example: Minister for the digital economy"))
    organization = StringField(_l("Organization"), validators=[Length(max=TEXT_MAX, message=LENGTH)])
    country = SelectField(_l("Country"), validate_choice=True)
    bio = TextAreaField(_l("Short bio"), validators=[Length(max=BIO_MAX, message=LENGTH)])
    mode = RadioField(_l("How they take part"), choices=MODE_CHOICES, default="on_stage")
    timezone = StringField(_l("Their time zone"), default=default_zone,
                           validators=[DataRequired(_l("Required.")), Length(max=ZONE_MAX)],
                           description=_l("IANA name, for example Africa/Algiers or America/Los_Angeles"),
                           render_kw={"list": "tz-list", "autocomplete": "off"})  # searchable list of zones
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 300 kB)"))

    def validate_timezone(self, field: StringField) -> None:
        if not is_valid_zone((field.data or "").strip()):
            raise ValidationError(_l("Unknown time zone."))
