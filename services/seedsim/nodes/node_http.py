"""The HTTP face every node has, customs or agency: lifecycle, /validate, /messages, /health, /docs.

Each node's own API (:mod:`.customs.customs_api`, :mod:`.agency.agency_api`) starts from
:func:`node_app` and adds what only it does. Every error any of them answers has
one shape (:mod:`.http_errors`). ``/docs`` is Swagger UI served from the node
itself (the assets ship in the ``swagger-ui-bundle-v2`` package), so it works
in a room with no Internet.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from seedsim.conformance import Desk
from seedsim.nodes import refusal
from seedsim.nodes.http_bounds import EventText, MessageIdText, NodeText, UcrText
from seedsim.nodes.http_errors import (
    BodyLimit,
    NodeJSONResponse,
    ValidationReportBody,
    error_responses,
    install,
    is_xml,
)
from seedsim.nodes.inbox_node import InboxNode
from seedsim.nodes.node_metrics import CONTENT_TYPE
from seedsim.nodes.refusal import Refusal, Why

DOCS_ASSETS = "/docs/assets"
#: the most rows GET /messages answers at once
MAX_LIMIT = 10000

#: the request body of an endpoint that reads an XML document, for OpenAPI (the body is read raw, see xml_body)
XML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the XML document (Content-Type: application/xml)",
        "content": {"application/xml": {"schema": {"type": "string"}}},
    }
}


async def xml_body(request: Request) -> bytes:
    """The request body, read as the XML document it should be.

    A body that says it is something else (JSON, form data, text/plain...) is refused (415): only
    application/xml, text/xml and +xml types (RFC 7303) are read, or a body that names no type at all. Its
    size is bounded before it is read (:class:`~.http_errors.BodyLimit`, 413). An empty or broken body goes on
    to the hardened parser, which names the problem with its rule (XML100...).
    """
    content_type = request.headers.get("content-type", "")
    main = content_type.split(";")[0].strip().lower()
    if content_type.strip() and not is_xml(content_type):
        raise Refusal(
            Why.UNSUPPORTED,
            refusal.unsupported_content(
                f"{request.method} {request.url.path} reads an XML document (Content-Type: application/xml), "
                f"not {main or content_type}: send the file itself, e.g. curl --data-binary @file.xml "
                "-H 'Content-Type: application/xml'",
                content_type,
            ),
        )
    return await request.body()


def node_app(
    node: InboxNode, title: str, description: str, manage_lifecycle: bool = True, health: dict[str, Any] | None = None
) -> FastAPI:
    """A FastAPI app that starts and stops ``node`` with its transport (unless the caller manages them)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if manage_lifecycle:
            await node.transport.start()
            await node.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await node.transport.stop()
                await node.stop()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=NodeJSONResponse,
    )
    app.add_middleware(BodyLimit, max_bytes=node.limits.max_bytes)
    install(app)
    _serve_docs(app)

    @app.post(
        "/validate",
        summary="Validate any document seedsim knows, without lodging it",
        description=(
            "Answers with the report `seedsim validate --format json` gives for one document: 200 when it is valid, "
            "422 when it is not. `as` says whose judgement: `document` (the default) judges the document on its own, "
            "as `seedsim validate` does; `lodging` answers whether this node's lodging desk would accept it "
            "(POST /declarations for a declaration, POST /documents for any other document); `exchange` whether "
            "this node's inbox would accept it from `sender` (default: the country the document's MetaData names) "
            "on `event` (default: any)."
        ),
        openapi_extra=XML_BODY,
        responses={
            200: {"model": ValidationReportBody, "description": "the document is valid"},
            422: {"model": ValidationReportBody, "description": "the document is invalid: the report says why"},
            **error_responses(400, 413, 415),
        },
    )
    async def validate(
        request: Request,
        desk: Desk = Query(Desk.DOCUMENT, alias="as", description="whose judgement: document, lodging or exchange"),
        sender: Annotated[NodeText | None, Query(description="with as=exchange: the sending node, e.g. RS")] = None,
        event: Annotated[
            EventText | None, Query(description="with as=exchange: PRE_ARRIVAL, EXIT or ENTRY (default: any)")
        ] = None,
    ) -> JSONResponse:
        data = await xml_body(request)
        report = await node.validate_at(desk, data, sender.upper() if sender else None, event)
        return JSONResponse(report.to_dict(), status_code=200 if report.valid else 422)

    @app.get("/messages", summary="Messages this node sent and received", responses=error_responses(400))
    async def messages(
        consignment: Annotated[UcrText | None, Query(description="only this consignment's messages (its UCR)")] = None,
        limit: int = Query(100, ge=1, le=MAX_LIMIT, description=f"how many messages at most: 1 to {MAX_LIMIT}"),
    ) -> list[dict[str, Any]]:
        return await node.store.read(node.store.messages, consignment, limit)

    @app.get(
        "/messages/{message_id}",
        summary="The XML of a message this node sent or received",
        response_class=Response,
        responses={
            200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "the message"},
            **error_responses(404),
        },
    )
    async def message(message_id: Annotated[MessageIdText, Path()]) -> Response:
        row = await node.store.read(node.store.message_payload, message_id)
        if row is None:
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(
                    f"node {node.node} neither sent nor received a message {message_id}: see GET /messages",
                    "{message_id}",
                    message_id,
                ),
            )
        if row["payload"] is None:
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(
                    f"message {message_id} was logged by an older seedsim that did not keep payloads: its XML is not stored",
                    "{message_id}",
                    message_id,
                ),
            )
        return Response(bytes(row["payload"]), media_type="application/xml")

    @app.get(
        "/health",
        summary="Liveness",
        description=(
            "200 and `status: ok` while the node works; 503 and `status: unhealthy` when it is stuck: its store "
            "cannot write (the inbox is paused, nothing committed), sending has kept failing, or its trust list file has "
            "become unreadable or invalid (the last good list stays in use). `problems` says why. "
            "`parked` (records set aside since start, kept in the store's parking table) and `outbox_draining` "
            "(what a crash left unsent still going out) appear when there is something to say."
        ),
    )
    async def alive() -> JSONResponse:
        state = {k: v for k, v in node.health().items() if v}
        body = {
            "status": "unhealthy" if state.get("problems") else "ok",
            "node": node.node,
            **(health or {}),
            "transport": type(node.transport).__name__,
            **state,
        }
        return JSONResponse(body, status_code=503 if state.get("problems") else 200)

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        description=(
            "`seedsim_records_parked_total{node,reason}`: records parked since start (reason: dead_letter_failed, "
            "too_large, illegal_topic, transport_refused); `seedsim_parked_records{node,kind}`: records the parking "
            "table holds now (kind: inbox, outbox)."
        ),
        response_class=Response,
    )
    async def metrics() -> Response:
        held = await node.store.parked_counts()
        return Response(node.metrics.exposition(held), media_type=CONTENT_TYPE)

    return app


def _serve_docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its JavaScript, CSS and icon served by the node (no CDN); ReDoc is off."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
            # no badge from the public validator service: the page must not reach outside the node
            swagger_ui_parameters={"validatorUrl": None},
        )
