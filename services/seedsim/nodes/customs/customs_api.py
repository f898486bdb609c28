"""The node's HTTP API (FastAPI): how national systems, traders and testers talk to a node.

Every error it answers has the shape of a refused lodging, ``{"accepted": false,
"errors": [...]}`` (:mod:`seedsim.nodes.http_errors`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from seedsim.core.declaration import Declaration
from seedsim.nodes import refusal
from seedsim.nodes.customs.customs_node import CustomsNode, Event, key_data
from seedsim.nodes.http_bounds import CountryText, MrnText, OfficeText, ReasonText, UcrText
from seedsim.nodes.http_errors import DocumentRefusal, ErrorBody, error_responses
from seedsim.nodes.node_http import XML_BODY, node_app, xml_body
from seedsim.nodes.refusal import Refusal, Why


class QueryRequest(BaseModel):
    to: CountryText = Field(description="the neighbour node to ask, e.g. RS")
    consignment: UcrText | None = Field(None, description="the consignment's UCR")
    mrn: MrnText | None = Field(None, description="or the declaration's MRN")
    reason: ReasonText | None = None


class ConsignmentEvent(BaseModel):
    event: Event = Field(description="PRE_ARRIVAL, EXIT or ENTRY")
    consignment: UcrText = Field(description="the consignment's UCR")
    office: OfficeText = Field(
        description="customs office reference number where the event happens, in this node's country: "
        "the office of exit for PRE_ARRIVAL and EXIT, the office of entry for ENTRY"
    )
    entry_office: OfficeText | None = Field(
        None, description="for PRE_ARRIVAL/EXIT: the neighbour's office of entry (else from the border crossing)"
    )
    at: datetime | None = None


def create_app(node: CustomsNode, manage_lifecycle: bool = True) -> FastAPI:
    app = node_app(
        node,
        f"seedsim customs node {node.node}",
        "A SEED+-style national customs node: lodge WCO DM declarations, fire consignment events, inspect exchanges. "
        'Every error is answered as `{"accepted": false, "errors": [...]}`, each error with its rule id.',
        manage_lifecycle,
    )

    @app.post(
        "/declarations",
        summary="Lodge a WCO DM declaration (XML)",
        description=f"A declaration lodged at one of node {node.node}'s offices: checked against the national schema "
        "and the lodging rules (POST /validate?as=lodging runs the same checks without lodging); "
        "FunctionCode 13 amends (COR) or cancels (INV) a held declaration.",
        openapi_extra=XML_BODY,
        responses={422: {"model": ErrorBody, "description": "refused: every error"}, **error_responses(413, 415)},
    )
    async def lodge(request: Request) -> JSONResponse:
        result = await node.lodge(await xml_body(request))
        return JSONResponse(result.to_dict(), status_code=200 if result.accepted else 422)

    @app.post(
        "/documents",
        summary="Lodge a document (TIR carnet, cash declaration...) to be sent on a consignment's events (XML)",
        openapi_extra=XML_BODY,
        responses={
            422: {"model": DocumentRefusal, "description": "refused: every error"},
            **error_responses(400, 413, 415),
        },
    )
    async def lodge_document(
        request: Request,
        consignment: Annotated[
            UcrText, Query(description="the consignment's UCR, or the reference used in POST /events")
        ],
    ) -> JSONResponse:
        result = await node.lodge_document(await xml_body(request), consignment)
        return JSONResponse(result.to_dict(), status_code=200 if result.accepted else 422)

    @app.post(
        "/events",
        summary="A consignment event at a customs office",
        responses=error_responses(400, 409, 413, 415, 422),
    )
    async def event(ev: ConsignmentEvent) -> dict[str, Any]:
        return await node.on_event(ev.event, ev.consignment, ev.office, ev.entry_office, ev.at)

    @app.post(
        "/queries",
        summary="Ask a neighbour what it holds on a consignment (the answer shows in GET /consignments/{ref})",
        responses=error_responses(400, 409, 413, 415, 422),
    )
    async def query(q: QueryRequest) -> dict[str, Any]:
        return await node.query(q.to.upper(), q.consignment, q.mrn, q.reason)

    @app.get(
        "/consignments/{ref}",
        summary="Where a consignment stands at this node, by its UCR or a declaration's MRN",
        responses=error_responses(404),
    )
    async def consignment(
        ref: Annotated[UcrText, Path(description="the consignment's UCR or an MRN")],
    ) -> dict[str, Any]:
        view = await node.store.read(node.store.consignment_view, ref)
        if (
            view.consignment is None
            and not view.declarations
            and view.prearrival is None
            and not (view.answers or view.documents)
        ):
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(
                    f"node {node.node} knows no consignment or declaration {ref}: give its UCR or an MRN",
                    "{ref}",
                    ref,
                ),
            )
        pre = view.prearrival
        return {
            "consignment": view.ucr,
            "status": view.consignment["status"] if view.consignment else None,
            "declarations": [
                {
                    "mrn": d["mrn"],
                    "lrn": d["lrn"],
                    "kind": d["kind"],
                    "status": d["status"],
                    "version": d["version"],
                    "key_data": key_data(Declaration.model_validate_json(d["data"])),
                }
                for d in view.declarations
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
            "documents": [
                {"type": d["type"], "document_id": d["doc_id"], "lodged_at": d["lodged_at"]} for d in view.documents
            ],
            "alerts": [dict(a) for a in view.alerts],
            "messages": [dict(m) for m in view.messages],
            "answers": [
                {
                    "from": a["peer"],
                    "found": bool(a["found"]),
                    "status": a["status"],
                    "at": a["at"],
                    "declarations": json.loads(a["data"])["declarations"],
                }
                for a in view.answers
            ],
        }

    return app
