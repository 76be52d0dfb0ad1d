from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from eventhub.auth.models import Role
from eventhub.auth.services import MIN_PASSWORD_LENGTH
from eventhub.core.text import EMAIL_MAX


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Required.")), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Required.")), Length(max=1000)])
    remember = BooleanField(_l("Stay signed in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Required.")), Email(_l("Enter a valid email address.")), Length(max=EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Required.")), Length(min=MIN_PASSWORD_LENGTH, max=1000,
                    message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))],
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[EqualTo("password", _l("The two passwords differ."))]
    )


ROLE_LABELS = {
    Role.ORGANIZER: _l("Organizer"),
    Role.MODERATOR: _l("Moderator"),
    Role.PANELIST: _l("Panelist"),
    Role.DOOR_STAFF: _l("Door staff"),
    Role.RAPPORTEUR: _l("Rapporteur"),
}


class TeamMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Required.")), Length(max=200)])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Required.")), Email(_l("Enter a valid email address.")), Length(max=EMAIL_MAX)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])


class ApiTokenForm(FlaskForm):
    name = StringField(_l("What is it for?"), validators=[DataRequired(_l("Required.")), Length(max=100)])
