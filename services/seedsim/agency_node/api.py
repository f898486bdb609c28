"""An agency node's HTTP API (FastAPI): the same inspection endpoints as a customs node, plus issuing."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .service import DESCRIPTIONS, ISSUES, AgencyNode


class IssueRequest(BaseModel):
    to: str | None = Field(None, description="the node to send the certificate to, e.g. ME (none for the TIR chain: it registers the carnet)")
    consignment: str | None = Field(None, description="the consignment's reference (UCR), the message's subject")


def create_app(node: AgencyNode, manage_lifecycle: bool = True) -> FastAPI:
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

    app = FastAPI(title=f"seedsim agency node {node.node}",
                  description=f"A {DESCRIPTIONS[node.kind]} on the SEED+ wire: issues and checks documents, acknowledges what it receives.",
                  version="0.1.0", lifespan=lifespan)

    @app.get("/health", summary="Liveness")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "node": node.node, "kind": node.kind.value, "transport": type(node.transport).__name__}

    @app.post("/validate", summary="Validate any document seedsim knows")
    async def validate(xml: bytes = Body(..., media_type="application/xml")) -> JSONResponse:
        from ..validator import validate_document

        report = await asyncio.to_thread(validate_document, xml, "request", None, node.limits)
        return JSONResponse(report.to_dict(), status_code=200 if report.valid else 422)

    @app.get("/messages", summary="Messages this node sent and received")
    async def messages(limit: int = Query(100, le=10000)) -> list[dict[str, Any]]:
        return await node.store.read(lambda c: [dict(r) for r in c.execute("SELECT * FROM messages ORDER BY at DESC LIMIT ?", (limit,))])

    @app.post("/issue", summary="Issue a certificate (NPPO, CCI) and send it, or register a TIR carnet (TIR)")
    async def issue(req: IssueRequest) -> dict[str, Any]:
        if node.kind not in ISSUES:
            raise HTTPException(status_code=409, detail=f"a {DESCRIPTIONS[node.kind]} issues no documents")
        if req.to and not node.accepts(req.to.upper()):
            raise HTTPException(status_code=409, detail=f"{req.to} is not a partner of {node.node}")
        return await node.issue(req.to.upper() if req.to else None, req.consignment)

    @app.get("/issued/{ref}", summary="A certificate or carnet this node issued")
    async def issued(ref: str) -> dict[str, Any]:
        row = await node.store.read(lambda c: c.execute("SELECT * FROM issued WHERE ref = ?", (ref,)).fetchone())
        if row is None:
            raise HTTPException(status_code=404, detail=f"{node.node} issued no {ref}")
        return {**dict(row), "data": json.loads(row["data"])}

    return app
