from __future__ import annotations

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventhub.core.i18n import default_zone
from eventhub.core.timefmt import is_valid_zone
from eventhub.events.models import (
    DESCRIPTION_MAX,
    EVENT_DEFAULT_LOCALES,
    EVENT_LANGUAGES,
    PLACE_MAX,
    TITLE_MAX,
    ZONE_MAX,
)

_LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
LANGUAGE_LABELS = [(code, _LANGUAGE_NAMES[code]) for code in EVENT_LANGUAGES]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Required.")), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    venue = StringField(_l("Venue"), validators=[Length(max=PLACE_MAX)])
    room = StringField(_l("Room"), validators=[Length(max=PLACE_MAX)])
    timezone = StringField(_l("Time zone"), default=default_zone,
                           validators=[DataRequired(_l("Required.")), Length(max=ZONE_MAX)],
                           description=_l("IANA name, for example Africa/Bamako"),
                           render_kw={"list": "tz-list", "autocomplete": "off"})  # searchable list of zones
    starts_at = DateTimeLocalField(_l("Starts"), validators=[DataRequired(_l("Enter a date and time."))])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[DataRequired(_l("Enter a date and time."))])
    registration_opens_at = DateTimeLocalField(_l("Registration opens"), validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes"), validators=[Optional()])
    capacity = IntegerField(_l("Seats in the room"), default=100,
                            validators=[NumberRange(0, 1_000_000, _l("Enter a number between 0 and 1,000,000."))])
    remote_enabled = BooleanField(_l("Offer remote attendance"), default=True)
    remote_capacity = IntegerField(_l("Remote places (empty: no limit)"), validators=[
        Optional(), NumberRange(0, 1_000_000, _l("Enter a number between 0 and 1,000,000."))])
    languages = MultiCheckboxField(_l("Languages"), choices=LANGUAGE_LABELS, default=["fr"])
    # Each locale named in itself ("العربية (الجزائر)"), as language switchers do.
    default_locale = SelectField(
        _l("Default language of its pages"), default="",
        choices=[("", _l("The visitor's browser decides")),
                 *((code, Locale.parse(code).get_display_name(code)) for code in EVENT_DEFAULT_LOCALES)],
        description=_l("For visitors who have not chosen a language; the region sets how dates are written."))

    def validate_timezone(self, field: StringField) -> None:
        if not is_valid_zone(field.data or ""):
            raise ValidationError(_l("Unknown time zone."))

    def validate_languages(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one language."))
