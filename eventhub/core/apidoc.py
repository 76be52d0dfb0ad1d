"""JSON API operations declared once, on the route: the same declaration parses the request body, serializes the
response and builds the OpenAPI 3.1 document, so the document and the behaviour cannot drift apart.

    @bp.post("/events/<int:event_id>/rooms")
    @operation("createRoom", "Add a room", body=schemas.RoomIn, responses={201: schemas.RoomOut},
               errors=(401, 403, 404, 422))
    @token_required
    def create_room(event_id: int):
        body: schemas.RoomIn = request_body()       # parsed with the declared model (422 on a mismatch)
        ...
        return room_out(room), 201                  # dumped through the declared model for 201

Path parameters come from the URL rule, security from `token_required` (or `security=`), component schemas from
pydantic's JSON schema of the declared models. Written here rather than taken from flask-openapi3/spectree: those
replace the blueprint and the view signature, and every route of five blueprints would have to change shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Flask, Response, current_app, request
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from eventhub.core.body import parse_body

Security = Literal["token", "public", "public_or_token"]
ResponseSpec = type[BaseModel] | dict[str, Any] | None  # a model, a raw JSON schema (not validated) or no body

REF = "#/components/schemas/{model}"
ERROR_TEXT = {400: "Malformed request", 401: "Missing or invalid API token", 403: "Token not valid for this event",
              404: "Not found", 409: "Conflict with the current state (e.g. already registered)",
              422: "Validation failed; `error.fields` lists the problems per field", 429: "Rate limited"}
_RULE_ARG = re.compile(r"<(?:(?P<conv>[a-z_]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")
_JSON_TYPE = {"int": "integer", "float": "number"}
_UNDECLARED: Any = object()
log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `event_full`, `validation_failed`.")
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorBody(BaseModel):
    """The error envelope every JSON API answer with a 4xx/5xx status has."""

    error: ErrorDetail


@dataclass(frozen=True)
class Query:
    """A query-string parameter (the views read them leniently: a bad value falls back to the default)."""

    name: str
    type: Literal["string", "integer", "boolean"] = "string"
    description: str = ""


@dataclass
class Operation:
    operation_id: str
    summary: str
    body: type[BaseModel] | None = None
    responses: dict[int, ResponseSpec] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    security: Security | None = None  # None: "token" when the view is token_required, else "public"
    query: tuple[Query, ...] = ()
    descriptions: dict[int, str] = field(default_factory=dict)

    def security_of(self, view: Callable) -> Security:
        return self.security or ("token" if getattr(view, "token_required", False) else "public")


def operation(operation_id: str, summary: str, *, body: type[BaseModel] | None = None,
              responses: dict[int, ResponseSpec], errors: Iterable[int] = (), security: Security | None = None,
              query: Iterable[Query] = (), descriptions: dict[int, str] | None = None) -> Callable:
    """Declares a JSON API operation; place it right under the blueprint's route decorator."""
    op = Operation(operation_id, summary, body, dict(responses), tuple(sorted(set(errors))), security, tuple(query),
                   descriptions or {})

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            return serialize(op, view(*args, **kwargs))

        wrapped.__apidoc__ = op  # type: ignore[attr-defined]
        return wrapped

    return decorate


def operation_of(view: Callable) -> Operation | None:
    return getattr(view, "__apidoc__", None)


def request_body() -> Any:
    """The request's JSON body parsed with the model the current operation declares (ValidationFailed → 422)."""
    op = operation_of(current_app.view_functions[request.endpoint or ""])
    if op is None or op.body is None:
        raise LookupError(f"{request.endpoint} declares no request body")
    return parse_body(op.body)


def serialize(op: Operation, rv: Any) -> Any:
    """The view's return value with its body passed through the model declared for its status."""
    if isinstance(rv, Response):
        return rv
    body, rest = (rv[0], rv[1:]) if isinstance(rv, tuple) else (rv, ())
    status = next((r for r in rest if isinstance(r, int)), 200)
    spec: ResponseSpec = ErrorBody if status >= 400 else op.responses.get(status, _UNDECLARED)
    if spec is _UNDECLARED:
        raise TypeError(f"{op.operation_id} answered {status}, which it does not declare")
    if isinstance(spec, type):
        if isinstance(body, BaseModel) and not isinstance(body, spec):
            raise TypeError(f"{op.operation_id} answered a {type(body).__name__} for {status}, not a {spec.__name__}")
        model = body if isinstance(body, spec) else spec.model_validate(body)
        dumped = model.model_dump(mode="json")
        lost = [] if body is model else list(_dropped(body, dumped))
        if lost:  # the view answers more than the model (and so the document) says: they have drifted apart
            message = f"{op.operation_id} answered keys its {spec.__name__} does not declare: {lost[:5]}"
            if current_app.testing or current_app.debug:
                raise TypeError(message)
            log.error(message)
        body = dumped
    return (body, *rest) if rest else body


def _dropped(raw: Any, dumped: Any, where: str = "") -> Iterator[str]:
    """Keys of the view's dict that the model's dump no longer has (the model ignores undeclared keys)."""
    if isinstance(raw, dict) and isinstance(dumped, dict):
        for key, value in raw.items():
            if key not in dumped:
                yield f"{where}.{key}"
            else:
                yield from _dropped(value, dumped[key], f"{where}.{key}")
    elif isinstance(raw, list | tuple) and isinstance(dumped, list):
        for i, (a, b) in enumerate(zip(raw, dumped, strict=False)):
            yield from _dropped(a, b, f"{where}[{i}]")


# --- the document ---------------------------------------------------------------------------------------------

def operations(app: Flask, prefix: str) -> Iterable[tuple[str, str, Callable, Operation]]:
    """(URL rule, method, view, operation) of every declared operation under `prefix`."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = operation_of(view)
        if op is not None and rule.rule.startswith(prefix):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.rule, method, view, op


def _path(rule: str, prefix: str) -> tuple[str, list[dict]]:
    params = [{"name": m["name"], "in": "path", "required": True,
               "schema": {"type": _JSON_TYPE.get(m["conv"] or "", "string")}} for m in _RULE_ARG.finditer(rule)]
    return _RULE_ARG.sub(lambda m: "{" + m["name"] + "}", rule[len(prefix):]), params


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_document(app: Flask, *, prefix: str, info: dict, security_schemes: dict) -> dict:
    """The OpenAPI 3.1 document of every operation declared under `prefix` (paths relative to it)."""
    ops = list(operations(app, prefix))
    inputs = {op.body for *_, op in ops if op.body is not None}
    outputs = {spec for *_, op in ops for spec in op.responses.values() if isinstance(spec, type)} | {ErrorBody}
    keys = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    keys += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    refs, defs = models_json_schema(keys, ref_template=REF)  # type: ignore[arg-type]
    paths: dict[str, dict] = {}
    for rule, method, view, op in ops:
        path, params = _path(rule, prefix)
        item = paths.setdefault(path, {"parameters": params} if params else {})
        responses = {}
        for status, spec in sorted(op.responses.items()):
            text = op.descriptions.get(status, "OK" if status < 300 else "No content")
            if spec is None:
                responses[str(status)] = {"description": text}
            else:
                schema = refs[(spec, "serialization")] if isinstance(spec, type) else spec
                responses[str(status)] = _json(schema, text)
        for status in op.errors:
            responses[str(status)] = _json(refs[(ErrorBody, "serialization")], ERROR_TEXT.get(status, "Error"))
        entry: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id, "responses": responses}
        security = op.security_of(view)
        if security != "public":
            entry["security"] = [{"bearerAuth": []}] if security == "token" else [{}, {"bearerAuth": []}]
        if op.query:
            entry["parameters"] = [{"name": q.name, "in": "query", "required": False, "schema": {"type": q.type},
                                    **({"description": q.description} if q.description else {})} for q in op.query]
        if op.body is not None:
            entry["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": refs[(op.body, "validation")]}}}
        item[method.lower()] = entry
    return {"openapi": "3.1.0", "info": info, "servers": [{"url": prefix}], "paths": dict(sorted(paths.items())),
            "components": {"schemas": defs.get("$defs", {}), "securitySchemes": security_schemes}}
