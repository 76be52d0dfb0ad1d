from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventhub.core.ids import MAX_ID

KIND_CHOICES = [("entrance", _l("Entrance (admits to the event)")),
                ("session", _l("Session room (records attendance)"))]


class PointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Required.")),
                                               Length(max=100, message=_l("At most %(max)d characters."))])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, default="entrance")
    agenda_session_id = IntegerField(_l("Agenda session number (optional)"),
                                     validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    requires_entry = BooleanField(_l("Require check-in at the entrance first"))


class SettingsForm(FlaskForm):
    remote_upgrade = BooleanField(_l("Admit remote tickets at the door as an in-room upgrade while seats remain"))
