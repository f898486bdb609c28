"""The HTTP face every node has, customs or agency: lifecycle, /validate, /messages, /health.

Each node's own API (:mod:`.customs.customs_api`, :mod:`.agency.agency_api`) starts from
:func:`node_app` and adds what only it does.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Body, FastAPI, Query
from fastapi.responses import JSONResponse

from seedsim.conformance import validate_document
from seedsim.nodes.inbox_node import InboxNode


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

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)

    @app.post("/validate", summary="Validate any document seedsim knows, without lodging it")
    async def validate(xml: bytes = Body(..., media_type="application/xml")) -> JSONResponse:
        report = await asyncio.to_thread(validate_document, xml, "request", None, node.limits)
        return JSONResponse(report.to_dict(), status_code=200 if report.valid else 422)

    @app.get("/messages", summary="Messages this node sent and received")
    async def messages(consignment: str | None = None, limit: int = Query(100, le=10000)) -> list[dict[str, Any]]:
        return await node.store.read(node.store.messages, consignment, limit)

    @app.get("/health", summary="Liveness")
    async def alive() -> dict[str, Any]:
        return {"status": "ok", "node": node.node, **(health or {}), "transport": type(node.transport).__name__}

    return app
