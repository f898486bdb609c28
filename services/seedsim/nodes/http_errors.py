"""One error body for every endpoint of every node, and OpenAPI that documents it as it is.

A lodging desk that refuses a declaration answers ``{"accepted": false,
"errors": [...]}``, each error an issue with its rule id. Everything else that
goes wrong at a node answers the same way: a request FastAPI cannot read
(empty or broken JSON, a missing field, an unknown event, a parameter out of
range), a body of the wrong content type, an unknown route, a refusal by the
node (:class:`seedsim.nodes.refusal.Refusal`) and an internal failure. The
status code says which kind it is:

* 400 -- the request cannot be read as the endpoint's input (``API100``, ``API101``);
* 404 -- no such thing at this node (``API201``) or no such endpoint (``API103``);
* 405 -- the endpoint does not take this method (``API103``);
* 409 -- the node cannot do it in the state it is in (``API202``, ``API301``);
* 413 -- the body is over the node's ``max_xml_bytes`` (``XML104`` for a document, ``API101`` for anything
  else), answered before it is read whole (:class:`BodyLimit`);
* 415 -- the body's content type is not one the endpoint reads (``API102``);
* 422 -- the request was read and refused by the node's rules (a document's
  rules, ``W2xx``, ``API104``); ``POST /validate`` answers 422 with its
  validation report when the document is invalid;
* 500 -- the node failed (``I403``).

:func:`install` sets the handlers on an app and rewrites its OpenAPI document
so that no route advertises FastAPI's own ``HTTPValidationError``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from seedsim.core.validation import Issue, shorten
from seedsim.nodes import refusal
from seedsim.nodes.http_bounds import BOUNDED_TEXT
from seedsim.nodes.refusal import Refusal, Why

log = logging.getLogger("seedsim.node")

STATUS = {
    Why.MALFORMED: 400,
    Why.NOT_FOUND: 404,
    Why.CONFLICT: 409,
    Why.TOO_LARGE: 413,
    Why.UNSUPPORTED: 415,
    Why.REFUSED: 422,
}

_SURROGATE = re.compile("[\ud800-\udfff]")


class NodeJSONResponse(JSONResponse):
    """JSON a node can always send: a lone surrogate (JSON can carry one in, UTF-8 cannot carry it out) in a value
    it quotes back is sent as U+FFFD instead of failing the answer with a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return _SURROGATE.sub("\ufffd", text).encode("utf-8")


class IssueBody(BaseModel):
    """One problem, as every seedsim report and negative acknowledgement states it."""

    model_config = ConfigDict(populate_by_name=True)

    rule: str = Field(description="the rule's id, e.g. R101, XSD100, API101", examples=["API101"])
    code: int = Field(description="eTIR-style code: 1xx validation, 2xx workflow, 3xx functional, 4xx internal")
    class_: Literal["validation", "workflow", "functional", "internal"] = Field(alias="class")
    severity: Literal["error", "warning"]
    message: str = Field(description="what is wrong and what to do")
    pointer: str | None = Field(
        None, description="where: an XPath in a document, a JSON pointer (/event) or a parameter (?limit)"
    )
    value: str | None = Field(None, description="the offending value")
    line: int | None = Field(None, description="the line in the document, where the parser gives one")


class ErrorBody(BaseModel):
    """What a node answers when it does not do what was asked: every endpoint, every node."""

    accepted: Literal[False] = False
    errors: list[IssueBody] = Field(description="every problem found, each with its rule id")


class DocumentRefusal(ErrorBody):
    """A lodged document refused: the error body, with the consignment and the type when they could be read."""

    consignment: str | None = None
    type: str | None = Field(None, description="the document's catalogue type, e.g. TIRCarnet")


class GroupedIssue(IssueBody):
    count: int = Field(description="how many times this rule said this")
    pointers: list[str]


class ValidationReportBody(BaseModel):
    """POST /validate's answer: the report ``seedsim validate --format json`` gives for one document."""

    source: str
    type: str | None = Field(description="the catalogue type the document was read as (null: unknown)")
    valid: bool
    errors: int = Field(description="how many issues are errors")
    warnings: int
    issues: list[GroupedIssue]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can answer these error statuses, all with :class:`ErrorBody`."""
    what = {
        400: "the request cannot be read as this endpoint's input",
        404: "not held by this node",
        409: "not possible in the state the node is in",
        413: "the body is over the node's size limit (max_xml_bytes)",
        415: "the body's content type is not one this endpoint reads",
        422: "read, and refused by the node's rules",
    }
    return {s: {"model": ErrorBody, "description": what[s]} for s in statuses}


def body(issues: Sequence[Issue], status: int, **extra: Any) -> JSONResponse:
    return NodeJSONResponse({"accepted": False, "errors": [i.to_dict() for i in issues], **extra}, status_code=status)


# -- request validation errors, in the user's terms -------------------------------------------------


def _where(loc: Sequence[Any]) -> tuple[str, str | None]:
    """(``body``/``query``/``path``/..., the JSON pointer or parameter name) of a FastAPI error location."""
    source = str(loc[0]) if loc else "body"
    rest = [str(p) for p in loc[1:]]
    if source == "body":
        return source, "/" + "/".join(rest)
    if source == "query":
        return source, "?" + ".".join(rest)
    if source == "path":
        return source, "{" + ".".join(rest) + "}"
    return source, ".".join(rest) or None


def _value(e: dict[str, Any]) -> str | None:
    if e.get("type") == "missing" or "input" not in e:
        return None
    v = e["input"]
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return shorten(v if isinstance(v, str) else json.dumps(v, default=str))


def request_issues(errors: Sequence[Any], fields: Sequence[str] = ()) -> list[Issue]:
    """FastAPI's validation errors as issues: what is wrong, where, and what to send instead."""
    issues = []
    for e in errors:
        source, pointer = _where(e.get("loc", ()))
        kind = e.get("type", "")
        name = (pointer or "").lstrip("/?{").rstrip("}")
        if kind == "json_invalid":
            issues.append(refusal.not_json(str(e.get("ctx", {}).get("error", e.get("msg", "")))))
        elif kind == "missing" and source == "body" and pointer == "/":
            wanted = f" with {', '.join(fields)}" if fields else ""
            issues.append(refusal.bad_field(f"the body is empty: send a JSON object{wanted}", "/"))
        elif kind == "missing":
            where = f"the {source} parameter" if source in ("query", "path", "header") else "the field"
            issues.append(refusal.bad_field(f"{where} {name} is required", pointer))
        elif kind == BOUNDED_TEXT:
            issues.append(refusal.bad_field(f"{name} {e.get('msg', '')}", pointer, _value(e)))
        elif kind in ("enum", "literal_error") and "expected" in e.get("ctx", {}):
            allowed = str(e["ctx"]["expected"]).replace("'", "")
            issues.append(refusal.bad_field(f"{name} must be one of {allowed}", pointer, _value(e)))
        elif source == "body" and pointer == "/":
            wanted = f" with {', '.join(fields)}" if fields else ""
            issues.append(refusal.bad_field(f"the body must be a JSON object{wanted}", "/", _value(e)))
        else:
            issues.append(
                refusal.bad_field(f"{name}: {e.get('msg', 'not a value this endpoint takes')}", pointer, _value(e))
            )
    return issues


def _json_fields(request: Request) -> list[str]:
    """The fields of the JSON body the matched route reads (for a sentence saying what to send)."""
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    fields = getattr(model, "model_fields", None)
    if not fields:
        return []
    return [f"{n} (required)" if f.is_required() else n for n, f in fields.items()]


def _is_json(content_type: str) -> bool:
    main = content_type.split(";")[0].strip().lower()
    return main == "application/json" or main.endswith("+json")


async def on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    content_type = request.headers.get("content-type", "")
    fields = _json_fields(request)
    errors = list(exc.errors())
    body_unread = any(
        e.get("loc", ())[:1] == ("body",) and isinstance(e.get("input"), bytes | str) and len(e.get("loc", ())) == 1
        for e in errors
    )
    if fields and content_type and not _is_json(content_type) and body_unread:
        issue = refusal.unsupported_content(
            f"{request.method} {request.url.path} reads a JSON object (Content-Type: application/json), "
            f"not {content_type.split(';')[0]}",
            content_type,
        )
        return body([issue], 415)
    return body(request_issues(errors, fields), 400)


async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    """The framework's own HTTP errors (no route, no such method, a body it cannot parse), by status code."""
    status: int = getattr(exc, "status_code", 500)
    where = f"{request.method} {request.url.path}"
    if status == 404:
        issue = refusal.no_endpoint(f"this node has no endpoint {where}: see /docs for its endpoints", where)
    elif status == 405:
        issue = refusal.no_endpoint(f"{request.url.path} does not take {request.method}: see /docs", where)
    else:
        issue = refusal.bad_field(str(getattr(exc, "detail", "")), None, where)
    return body([issue], status)


async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return body(exc.issues, STATUS[exc.why])


async def on_failure(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    issue = Issue(
        "I403",
        403,
        f"the node failed to answer {request.method} {request.url.path} ({type(exc).__name__}): see its log",
    )
    return body([issue], 500)


def is_xml(content_type: str) -> bool:
    """Whether a Content-Type names an XML document: application/xml, text/xml or a +xml type (RFC 7303)."""
    main = content_type.split(";")[0].strip().lower()
    return main in ("application/xml", "text/xml") or main.endswith("+xml")


def too_large(content_type: str, size: int | None, max_bytes: int) -> Issue:
    """The refusal of a body over ``max_bytes`` (``size``: its length when the request declared it)."""
    how_big = f"{size} bytes" if size is not None else f"over {max_bytes} bytes"
    if not content_type or is_xml(content_type):
        return Issue(
            "XML104",
            104,
            f"the document is {how_big}, over the limit of {max_bytes}: split it or raise the node's max_xml_bytes",
            "Content-Length",
            str(size) if size is not None else None,
        )
    return refusal.bad_field(
        f"the body is {how_big}, over the node's limit of {max_bytes} bytes: a request to this node is smaller",
        "Content-Length",
        str(size) if size is not None else None,
    )


class BodyTooLarge(Refusal):
    """A body that grew over the limit while it was read (no Content-Length, or a wrong one)."""


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is answered 413 without being read whole.

    A Content-Length over the limit is answered before a byte of the body is read; a body sent without one
    (chunked) is counted as it arrives, and refused as soon as it passes the limit."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type", "")
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = body([too_large(content_type, int(declared), self.max_bytes)], 413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(Why.TOO_LARGE, too_large(content_type, None, self.max_bytes))
            return message

        await self.app(scope, counted, send)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` with :class:`ErrorBody`, and document it so."""
    app.add_exception_handler(RequestValidationError, on_request_validation)
    for status in range(400, 600):  # the framework's HTTP errors, by status code (its 404, 405, 400...)
        app.add_exception_handler(status, on_http_exception)
    app.add_exception_handler(Refusal, on_refusal)
    app.add_exception_handler(Exception, on_failure)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = without_fastapi_validation_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def without_fastapi_validation_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the 422 ``HTTPValidationError`` FastAPI adds to routes that declare no 422: a node answers those
    requests with 400 and :class:`ErrorBody`, which each route declares itself."""
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            responses = op.get("responses", {})
            if "HTTPValidationError" in json.dumps(responses.get("422", {})):
                del responses["422"]
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return schema
