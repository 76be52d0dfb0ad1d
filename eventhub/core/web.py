"""Small helpers shared by the HTML views of every feature package: a refused form action, declared once.

The request pipeline (eventhub/core/pipeline.py) commits; these only turn a `DomainError` into what a person
filling a form should see, and end the unit of work without a commit:

    if form.validate_on_submit():
        with form_errors(form):
            room = services.create_room(event, data)
            flash(_("Room added."), "success")
            return redirect(...)
    return render_template(...), 422 if form.errors else 200

`form_errors` puts each refused field's messages on the form's field (or flashes the message when no field takes
it) and rolls back; the view then shows the form again. `perform` is the same for a button POST that redirects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from flask import flash

from eventhub.core import pipeline
from eventhub.core.errors import DomainError


class FormErrors:
    """Context manager: a DomainError inside becomes errors on `form`'s fields or a flash; the block is left.

    `fields` maps a service's field name onto the form's (e.g. {"moderator_ids": "moderators"}); codes in `flash`
    are always flashed too (refusals about the whole form); codes in `quiet` are neither placed nor flashed (the
    view reads `.error` and shows something of its own); `catch` narrows which refusals are the form's (the
    others reach the error page)."""

    def __init__(self, form: Any, *, fields: Mapping[str, str] | None = None, flash: Iterable[str] = (),
                 quiet: Iterable[str] = (), catch: tuple[type[DomainError], ...] = (DomainError,)) -> None:
        self.form = form
        self.catch = catch
        self.aliases = dict(fields or {})
        self.flash_codes = frozenset(flash)
        self.quiet = frozenset(quiet)
        self.error: DomainError | None = None

    def __enter__(self) -> FormErrors:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 _tb: TracebackType | None) -> bool:
        if not isinstance(exc, self.catch):
            return False
        pipeline.discard()
        assert isinstance(exc, DomainError)
        self.error = exc
        if exc.code not in self.quiet and (not place_field_errors(self.form, exc, self.aliases)
                                           or exc.code in self.flash_codes):
            flash(str(exc.message), "error")
        return True


def form_errors(form: Any, **options: Any) -> FormErrors:
    return FormErrors(form, **options)


def flash_refusals() -> FormErrors:
    """A DomainError inside is flashed and the block left (a button POST whose inputs may be refused)."""
    return FormErrors(None)


def place_field_errors(form: Any, exc: DomainError, aliases: Mapping[str, str] | None = None) -> bool:
    """Append the refusal's field messages to the form's fields; True when at least one field took some."""
    placed = False
    for name, messages in exc.fields.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            placed = True
    return placed


def perform(action: Callable[[], object], done: str) -> bool:
    """Run a service call as one button POST: flash `done`, or roll back and flash the refusal."""
    try:
        action()
    except DomainError as exc:
        pipeline.discard()
        flash(str(exc.message), "error")
        return False
    flash(done, "success")
    return True
