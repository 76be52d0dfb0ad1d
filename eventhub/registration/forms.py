from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from eventhub.core.text import EMAIL_MAX
from eventhub.registration.countries import country_choices
from eventhub.registration.models import NAME_MAX, TEXT_MAX, AttendanceMode


def _strip(value: object) -> object:
    # Phone keyboards add a trailing space after an autocompleted address; the service strips it too.
    return value.strip() if isinstance(value, str) else value


# Field limits match the service; the service validates again for the API and the CLI.
ORG_TYPE_CHOICES = [
    ("", _l("Choose…")), ("government", _l("Government or public institution")), ("operator", _l("Telecom operator")),
    ("startup", _l("Start-up")), ("company", _l("Company")), ("academic", _l("University or research")),
    ("association", _l("Association")), ("international", _l("International organization")),
    ("press", _l("Press")), ("other", _l("Other")),
]
_MODE_LABELS = {AttendanceMode.IN_PERSON: _l("In the room"), AttendanceMode.REMOTE: _l("Remote (online)")}
MODE_CHOICES = [(mode.value, _MODE_LABELS[mode]) for mode in AttendanceMode]


class RegistrationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Your name is required.")),
                                                    Length(max=NAME_MAX, message=_l("At most %(max)d characters."))])
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(_l("Required.")), Length(max=EMAIL_MAX),
                                                Email(_l("Enter a valid email address."))])
    organization = StringField(_l("Organization"),
                               validators=[Length(max=TEXT_MAX, message=_l("At most %(max)d characters."))])
    job_title = StringField(_l("Job title"),
                            validators=[Length(max=TEXT_MAX, message=_l("At most %(max)d characters."))])
    organization_type = SelectField(_l("Kind of organization"), choices=ORG_TYPE_CHOICES, default="")
    unlisted = BooleanField(_l("Do not name me in the final report's list of participants (I am only counted)"))
    country = SelectField(_l("Country"), validate_choice=True)
    mode = RadioField(_l("How will you attend?"), choices=MODE_CHOICES, default="in_person")
    consent = BooleanField(
        _l("I accept that my details are used to organise this event, as described in the privacy notice."),
        validators=[DataRequired(_l("Please accept the privacy notice to register."))])

    def __init__(self, *args, remote_enabled: bool = True, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Choose…")), *country_choices(str(get_locale() or "fr"))]
        if not remote_enabled:
            self.mode.choices = MODE_CHOICES[:1]

    def validate_country(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a country from the list."))


class ResendForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(_l("Required.")), Length(max=EMAIL_MAX),
                                                Email(_l("Enter a valid email address."))])


class ManualRegistrationForm(RegistrationForm):
    consent = BooleanField(_l("The person agreed to the privacy notice"))
