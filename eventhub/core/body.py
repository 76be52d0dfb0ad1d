"""The JSON body of a request, validated by a pydantic model: a refusal is a ValidationFailed with the fields."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from eventhub.core.errors import ValidationFailed


def parse_body(model: type[BaseModel]) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        message = _("The request body must be a JSON object.")
        raise ValidationFailed("invalid_body", message, fields={"_body": [message]})
    try:
        # JSON mode: strict models still take ISO 8601 strings for datetimes (Python mode would refuse them).
        return model.model_validate_json(json.dumps(body))
    except PydanticError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            name = ".".join(str(p) for p in error["loc"]) or "_body"
            fields.setdefault(name, []).append(error["msg"])
        raise ValidationFailed("validation_failed", _("Some fields are missing or invalid."), fields=fields) from None
