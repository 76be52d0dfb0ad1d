"""Sign in and out, password reset, an event's team and its API tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import selectinload

from eventhub.auth import services
from eventhub.auth.forms import ApiTokenForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, TeamMemberForm
from eventhub.auth.models import ApiToken, EventRole, Role, User
from eventhub.auth.permissions import event_role_required
from eventhub.core.routes import safe_next
from eventhub.core.text import normalise_email
from eventhub.core.urls import external_url
from eventhub.core.web import perform
from eventhub.events.home import home_url
from eventhub.extensions import db, limiter
from eventhub.mail.services import queue_mail

bp = Blueprint("auth", __name__)


def _login_email() -> str:
    return normalise_email(request.form.get("email") or "")[:254]


def _login_account_key() -> str:
    return "login-account:" + _login_email()


def _login_account_address_key() -> str:
    # request.remote_addr is the client's own address behind the configured proxies (PROXY_FIX_X_FOR).
    return f"login-account-address:{request.remote_addr}:{_login_email()}"


def _failed_login(response) -> bool:  # noqa: ANN001
    # Only failed attempts count against the limits (a success redirects).
    return response.status_code != 302


def _config_limit(name: str):  # noqa: ANN202
    return lambda: current_app.config[name]


# A wrong password counts against the address, against this account from this address (5 in 10 minutes), and
# against the account from anywhere with a much higher ceiling: guesses from a few addresses no longer lock
# the owner out everywhere, and a distributed guess still stops.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_config_limit("LOGIN_ADDRESS_LIMIT"), methods=["POST"], deduct_when=_failed_login)
@limiter.limit(_config_limit("LOGIN_ACCOUNT_ADDRESS_LIMIT"), methods=["POST"], key_func=_login_account_address_key,
               deduct_when=_failed_login)
@limiter.limit(_config_limit("LOGIN_ACCOUNT_LIMIT"), methods=["POST"], key_func=_login_account_key,
               deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            # Straight to what this person does today (dashboard, scanner, their sessions).
            return redirect(safe_next(request.args.get("next"), home_url(user)))
        form.password.errors.append(_("Wrong email or password."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # Bumping the version ends this account's other sessions and, within seconds, its live connections on every
    # server process (each checks it): signing out must end moderator rights everywhere.
    current_user.session_version += 1
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("core.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.get_user_by_email(form.email.data)
        if user is not None and user.is_active_account:
            send_password_link(user, kind="password_reset")
        # Same answer whether or not the account exists.
        flash(_("If an account exists for this address, a link to choose a new password is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def send_password_link(user: User, *, kind: str) -> None:
    link = external_url("auth.reset_password", token=services.make_reset_token(user))
    with force_locale(user.locale or "fr"):
        subject = _("Choose your EventHub password") if kind == "invitation" else _("Reset your EventHub password")
        text = render_template("mail/password.txt", user=user, link=link, kind=kind)
    queue_mail(kind=kind, to=user.email, subject=subject, text=text)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_from_reset_token(token)
    if user is None:
        return render_template("errors/error.html", status=404,
                               message=_("This link has expired or was already used.")), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        login_user(user)
        flash(_("Your password is set."), "success")
        return redirect(url_for("events.manage_index"))
    return render_template("auth/reset.html", form=form)


# --- team -----------------------------------------------------------------------------------------------------

@bp.route("/manage/events/<int:event_id>/team", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def team(event_id: int):
    event = g.event
    form = TeamMemberForm()
    if form.validate_on_submit():
        found = services.get_user_by_email(form.email.data)
        invited = found is None
        user = found if found is not None else services.create_user(form.email.data, form.name.data)
        services.grant_role(event, user, Role(form.role.data))
        if invited:
            send_password_link(user, kind="invitation")
        flash(_("%(name)s was added to the team.", name=user.name), "success")
        return redirect(url_for("auth.team", event_id=event.id))
    grants = db.session.scalars(
        db.select(EventRole).where(EventRole.event_id == event.id).join(User).order_by(User.name, EventRole.role)
    ).all()
    return render_template("auth/team.html", event=event, form=form, grants=grants)


@bp.post("/manage/events/<int:event_id>/team/<int:grant_id>/remove")
@event_role_required(Role.ORGANIZER)
def remove_team_member(event_id: int, grant_id: int):
    grant = db.get_or_404(EventRole, grant_id)
    if grant.event_id != event_id:
        return render_template("errors/error.html", status=404, message=_("This page does not exist.")), 404
    perform(lambda: services.revoke_role(g.event, grant.user, grant.role), _("Role removed."))
    return redirect(url_for("auth.team", event_id=event_id))


# --- API tokens -----------------------------------------------------------------------------------------------

@bp.route("/manage/events/<int:event_id>/tokens", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def api_tokens(event_id: int):
    event = g.event
    form = ApiTokenForm()
    plaintext = None
    if form.validate_on_submit():
        _token, plaintext = services.create_api_token(event, current_user, form.name.data)
        form = ApiTokenForm(formdata=None)
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.event_id == event.id).order_by(ApiToken.id.desc())
        .options(selectinload(ApiToken.created_by).selectinload(User.roles))
    ).all()
    inactive = {t.id: services.token_inactive_reason(t) for t in tokens}
    return render_template("auth/tokens.html", event=event, form=form, tokens=tokens, plaintext=plaintext,
                           inactive=inactive)


@bp.post("/manage/events/<int:event_id>/tokens/<int:token_id>/revoke")
@event_role_required(Role.ORGANIZER)
def revoke_api_token(event_id: int, token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.event_id != event_id:
        return render_template("errors/error.html", status=404, message=_("This page does not exist.")), 404
    services.revoke_api_token(token)
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.api_tokens", event_id=event_id))
