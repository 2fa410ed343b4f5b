"""The API's documentation page, drawn on the server from the live OpenAPI schema: every operation
with its parameters, body and answers, and every shape with its fields, so the page can never
describe another API than the one that answers. No script: it is a page like the others, and ninja's
own page (which loads its scripts from another site) stays off.

The schema's texts (summaries, field descriptions) are in English; the page around them is
translated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from undersigned.api.api import RETRY_AFTER_SECONDS, api
from undersigned.api.middleware import MAX_AGE_SECONDS
from undersigned.api.schemas import MAX_ID
from undersigned.core import process_caches
from undersigned.core.ratelimit import RULES

# Every stable error code the API answers with, the status it comes with, and when.
ERROR_CODES: list[tuple[str, int, Any]] = [
    ("invalid", 422, gettext_lazy("A value has the wrong type or is out of range; `detail.fields` names them.")),
    ("invalid_cursor", 400, gettext_lazy("The `cursor` was altered, or belongs to another list.")),
    ("invalid_field", 400, gettext_lazy("A field breaks one of the form's rules; `detail.field` names it.")),
    ("too_fast", 400, gettext_lazy("`started` is missing, forged, too old or too recent: fetch the statement again.")),
    ("wrong_revision", 400, gettext_lazy("`revision` is not a published text of this statement.")),
    ("proof_of_work_required", 400, gettext_lazy("The statement asks for a proof of work that is missing or wrong.")),
    ("not_found", 404, gettext_lazy("No published statement (or address) by that name.")),
    ("method_not_allowed", 405, gettext_lazy("The address does not take this method.")),
    ("already_signed_on", 409, gettext_lazy("The organisation has signed on already, or its sign-on is pending.")),
    ("not_open", 410, gettext_lazy("The statement does not take signatures or sign-ons now.")),
    ("too_large", 413, gettext_lazy("The request body is larger than the site accepts.")),
    ("too_many", 429, gettext_lazy("A rate limit is reached: wait the seconds in `Retry-After`.")),
    ("no_trustee", 503, gettext_lazy("The issuing body has no key to seal personal data to: try later.")),
    ("server_error", 500, gettext_lazy("Something failed on our side; it is logged and should never happen.")),
]
STATUS_WORDS = {
    "200": "OK",
    "202": "Accepted",
    "304": "Not Modified",
    "400": "Bad Request",
    "404": "Not Found",
    "409": "Conflict",
    "410": "Gone",
    "413": "Content Too Large",
    "422": "Unprocessable Content",
    "429": "Too Many Requests",
    "503": "Service Unavailable",
}
REF = "#/components/schemas/"


def inline_code(text: str) -> SafeString:
    """The schema's descriptions mark code with backticks, as Markdown does; nothing else of
    Markdown is used."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))  # noqa: S308  (escaped first)


@dataclass(frozen=True)
class TypeLabel:
    """A field's type as the page shows it: words around at most one linked shape."""

    before: str = ""
    model: str = ""
    after: str = ""


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: TypeLabel
    required: bool
    description: SafeString
    constraints: list[SafeString]
    location: str = ""


@dataclass(frozen=True)
class Model:
    name: str
    description: SafeString
    fields: list[FieldRow]


@dataclass(frozen=True)
class Answer:
    status: str
    words: str
    type: TypeLabel


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: SafeString
    tag: str
    parameters: list[FieldRow]
    body: TypeLabel | None
    answers: list[Answer]
    errors: list[Answer] = field(default_factory=list)


def _type(schema: dict[str, Any]) -> TypeLabel:
    if "$ref" in schema:
        return TypeLabel(model=schema["$ref"].removeprefix(REF))
    if "anyOf" in schema:
        options = [option for option in schema["anyOf"] if option.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        inner = (
            _type(options[0]) if len(options) == 1 else TypeLabel(before=" | ".join(o.get("type", "") for o in options))
        )
        return TypeLabel(inner.before, inner.model, inner.after + (" | null" if nullable else ""))
    kind = schema.get("type", "object")
    if kind == "array":
        inner = _type(schema.get("items", {}))
        return TypeLabel("array of " + inner.before, inner.model, inner.after)
    if kind == "object" and "additionalProperties" in schema:
        return TypeLabel(before="object")
    return TypeLabel(before=f"{kind} ({schema['format']})" if "format" in schema else kind)


def _value(value: object) -> SafeString:
    # Isolated left to right: a pattern or a number keeps its order on a right-to-left page.
    return format_html('<code dir="ltr">{}</code>', str(value).lower() if isinstance(value, bool) else value)


def _constraint(template: str, **values: object) -> SafeString:
    return mark_safe(escape(template) % {name: _value(value) for name, value in values.items()})  # noqa: S308


def _constraints(schema: dict[str, Any]) -> list[SafeString]:
    found = []
    if schema.get("default") not in (None, ""):
        found.append(_constraint(_("default %(value)s"), value=schema["default"]))
    elif schema.get("default") == "":
        found.append(_constraint(_("default empty")))
    if "minimum" in schema:
        found.append(_constraint(_("at least %(value)s"), value=schema["minimum"]))
    if "maximum" in schema and schema["maximum"] != MAX_ID:
        found.append(_constraint(_("at most %(value)s"), value=schema["maximum"]))
    if "maxLength" in schema:
        found.append(
            _constraint(
                ngettext("at most %(count)s character", "at most %(count)s characters", schema["maxLength"]),
                count=schema["maxLength"],
            )
        )
    if "pattern" in schema:
        found.append(_constraint(_("matches %(pattern)s"), pattern=schema["pattern"]))
    return found


def _fields(schema: dict[str, Any]) -> list[FieldRow]:
    required = set(schema.get("required", []))
    return [
        FieldRow(
            name=name,
            type=_type(prop),
            required=name in required,
            description=inline_code(prop.get("description", "")),
            constraints=_constraints(prop),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _answers(responses: dict[str, Any]) -> list[Answer]:
    answers = []
    for status, answer in sorted(responses.items()):
        content = answer.get("content", {}).get("application/json", {})
        answers.append(Answer(status=status, words=STATUS_WORDS.get(status, ""), type=_type(content.get("schema", {}))))
    return answers


@process_caches.register_function(never_stale="the schema is made from the code, which a running process never changes")
@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return api.get_openapi_schema()


def _anchor(method: str, path: str) -> str:
    """``get-statements-slug-counts``: readable, and stable while the address is."""
    words = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-").removeprefix("api-v1").strip("-")
    return f"{method.lower()}-{words or 'root'}"


def _operations(schema: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            parameters = [
                FieldRow(
                    name=parameter["name"],
                    location=parameter["in"],
                    type=_type(parameter["schema"]),
                    required=parameter.get("required", False),
                    description=inline_code(
                        parameter.get("description")
                        or parameter["schema"].get("description")
                        or (
                            _("The statement's slug: the last part of its address on the site.")
                            if parameter["name"] == "slug"
                            else ""
                        )
                    ),
                    constraints=_constraints(parameter["schema"]),
                )
                for parameter in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            answers = _answers(operation["responses"])
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=_anchor(method, path),
                    summary=operation.get("summary", ""),
                    description=inline_code(operation.get("description", "")),
                    tag=(operation.get("tags") or [""])[0],
                    parameters=parameters,
                    body=_type(body["schema"]) if body else None,
                    answers=[answer for answer in answers if answer.type.model != "Error"],
                    errors=[answer for answer in answers if answer.type.model == "Error"],
                )
            )
    return operations


def _models(schema: dict[str, Any]) -> list[Model]:
    shapes = schema["components"]["schemas"]
    # The query shapes are shown as each operation's parameters instead.
    query_shapes = {"StatementFilters", "PageQuery"}
    return [
        Model(name=name, description=inline_code(shape.get("description", "")), fields=_fields(shape))
        for name, shape in sorted(shapes.items())
        if name not in query_shapes
    ]


def api_documentation(request: HttpRequest) -> HttpResponse:
    schema = _schema()
    sign_rules = [
        (rule.counts, rule.limit, rule.window_seconds // 60)
        for name, rule in RULES.items()
        if name.startswith(("sign.", "sign_on."))
    ]
    return render(
        request,
        "api/documentation.html",
        {
            "schema": schema,
            "operations": _operations(schema),
            "models": _models(schema),
            "error_codes": [(code, status, inline_code(str(text))) for code, status, text in ERROR_CODES],
            "sign_rules": sign_rules,
            "retry_after": RETRY_AFTER_SECONDS["too_many"],
            "max_age": MAX_AGE_SECONDS,
            "base_url": request.build_absolute_uri(reverse("api:api-root")),
            "openapi_url": reverse("api:openapi-json"),
        },
    )
