"""The node's HTTP API (FastAPI): how national systems, traders and testers talk to a node."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from seedsim.core.declaration import Declaration
from seedsim.nodes.customs.customs_node import CustomsNode, Event, EventRejected, key_data
from seedsim.nodes.node_http import node_app


class QueryRequest(BaseModel):
    to: str = Field(description="the neighbour node to ask, e.g. RS")
    consignment: str | None = Field(None, description="the consignment's UCR")
    mrn: str | None = Field(None, description="or the declaration's MRN")
    reason: str | None = None


class ConsignmentEvent(BaseModel):
    event: Event = Field(description="PRE_ARRIVAL, EXIT or ENTRY")
    consignment: str = Field(description="the consignment's UCR")
    office: str = Field(description="customs office reference number where the event happens")
    entry_office: str | None = Field(
        None, description="for PRE_ARRIVAL/EXIT: the neighbour's office of entry (else from the border crossing)"
    )
    at: datetime | None = None


def create_app(node: CustomsNode, manage_lifecycle: bool = True) -> FastAPI:
    app = node_app(
        node,
        f"seedsim customs node {node.node}",
        "A SEED+-style national customs node: lodge WCO DM declarations, fire consignment events, inspect exchanges.",
        manage_lifecycle,
    )

    @app.post("/declarations", summary="Lodge a WCO DM declaration (XML)")
    async def lodge(xml: bytes = Body(..., media_type="application/xml")) -> JSONResponse:
        result = await node.lodge(xml)
        return JSONResponse(result.to_dict(), status_code=200 if result.accepted else 422)

    @app.post(
        "/documents",
        summary="Lodge a document (TIR carnet, cash declaration...) to be sent on a consignment's events (XML)",
    )
    async def lodge_document(
        consignment: str = Query(..., description="the consignment's UCR, or the reference used in POST /events"),
        xml: bytes = Body(..., media_type="application/xml"),
    ) -> JSONResponse:
        result = await node.lodge_document(xml, consignment)
        return JSONResponse(result.to_dict(), status_code=200 if result.accepted else 422)

    @app.post("/events", summary="A consignment event at a customs office")
    async def event(ev: ConsignmentEvent) -> dict[str, Any]:
        try:
            return await node.on_event(ev.event, ev.consignment, ev.office, ev.entry_office, ev.at)
        except EventRejected as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None

    @app.post(
        "/queries",
        summary="Ask a neighbour what it holds on a consignment (the answer shows in GET /consignments/{ref})",
    )
    async def query(q: QueryRequest) -> dict[str, Any]:
        try:
            return await node.query(q.to.upper(), q.consignment, q.mrn, q.reason)
        except EventRejected as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None

    @app.get("/consignments/{ref}", summary="Where a consignment stands at this node")
    async def consignment(ref: str) -> dict[str, Any]:
        cons, decls, pre, alerts, msgs, answers, docs = await node.store.read(node.store.consignment_view, ref)
        if cons is None and not decls and pre is None and not answers and not docs:
            raise HTTPException(status_code=404, detail=f"node {node.node} knows no consignment {ref}")
        return {
            "consignment": ref,
            "status": cons["status"] if cons else None,
            "declarations": [
                {
                    "mrn": d["mrn"],
                    "lrn": d["lrn"],
                    "kind": d["kind"],
                    "status": d["status"],
                    "version": d["version"],
                    "key_data": key_data(Declaration.model_validate_json(d["data"])),
                }
                for d in decls
            ],
            "pre_arrival": None
            if pre is None
            else {
                "from": pre["sender"],
                "mrn": pre["mrn"],
                "trigger": pre["trigger"],
                "received_at": pre["received_at"],
                "key_data": key_data(Declaration.model_validate_json(pre["data"])),
            },
            "documents": [{"type": d["type"], "document_id": d["doc_id"], "lodged_at": d["lodged_at"]} for d in docs],
            "alerts": [dict(a) for a in alerts],
            "messages": [dict(m) for m in msgs],
            "answers": [
                {
                    "from": a["peer"],
                    "found": bool(a["found"]),
                    "status": a["status"],
                    "at": a["at"],
                    "declarations": json.loads(a["data"])["declarations"],
                }
                for a in answers
            ],
        }

    return app
