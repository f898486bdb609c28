"""An agency node's HTTP API (FastAPI): the same inspection endpoints as a customs node, plus issuing."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import FastAPI, Path
from pydantic import BaseModel, Field

from seedsim.nodes import refusal
from seedsim.nodes.agency.agency_node import DESCRIPTIONS, ISSUES, AgencyNode
from seedsim.nodes.http_bounds import DocumentRefText, NodeText, UcrText
from seedsim.nodes.http_errors import error_responses
from seedsim.nodes.node_http import node_app
from seedsim.nodes.refusal import Refusal, Why


class IssueRequest(BaseModel):
    to: NodeText | None = Field(
        None,
        description="the node to send the certificate to, e.g. ME (none for the TIR chain: it registers the carnet)",
    )
    consignment: UcrText | None = Field(None, description="the consignment's reference (UCR), the message's subject")


class WithdrawRequest(BaseModel):
    replace: bool = Field(False, description="issue a replacement certificate for the same consignment and send it too")


class ChedRequest(BaseModel):
    to: NodeText = Field(description="the customs node at the border control post, e.g. ME")
    certificate: DocumentRefText = Field(description="the veterinary certificate the CHED's Part I names")
    consignment: UcrText | None = Field(None, description="the consignment's reference (UCR), the message's subject")
    decided: bool = Field(True, description="false: Part I only (notified, no Part II decision yet)")


def create_app(node: AgencyNode, manage_lifecycle: bool = True) -> FastAPI:
    app = node_app(
        node,
        f"seedsim agency node {node.node}",
        f"A {DESCRIPTIONS[node.kind]} on the SEED+ wire: issues and checks documents, acknowledges what it receives.",
        manage_lifecycle,
        health={"kind": node.kind.value},
    )

    @app.post(
        "/issue",
        summary="Issue a certificate (NPPO, CCI) and send it, or register a TIR carnet (TIR)",
        description=(
            "Repeat-safe per consignment: the same `to` and `consignment` again (a client retrying its request) "
            'issues nothing and sends nothing, and answers what the first request did with `"repeat": true`. '
            "A request naming no consignment issues a new document each time."
        ),
        responses=error_responses(400, 409, 413, 415),
    )
    async def issue(req: IssueRequest) -> dict[str, Any]:
        if node.kind not in ISSUES:
            raise Refusal(
                Why.CONFLICT,
                refusal.not_now(
                    f"a {DESCRIPTIONS[node.kind]} issues no documents: node {node.node} only receives them "
                    "(see GET /messages)",
                ),
            )
        if req.to and not node.accepts(req.to.upper()):
            raise Refusal(
                Why.CONFLICT,
                refusal.not_a_partner(
                    f"{req.to} is not a partner of {node.node}: it sends to {node.partners_text()}", "/to", req.to
                ),
            )
        return await node.issue_once(req.to.upper() if req.to else None, req.consignment)

    @app.get("/issued/{ref}", summary="A certificate or carnet this node issued", responses=error_responses(404))
    async def issued(
        ref: Annotated[DocumentRefText, Path(description="the certificate or carnet number")],
    ) -> dict[str, Any]:
        row = await node.store.read(node.store.issued, ref)
        if row is None:
            raise Refusal(
                Why.NOT_FOUND,
                refusal.not_held(
                    f"{node.node} issued no {ref}: see POST /issue's answer for the reference", "{ref}", ref
                ),
            )
        return {**dict(row), "data": json.loads(row["data"])}

    @app.post(
        "/issued/{ref}/withdraw",
        summary="Withdraw (or replace) a certificate this node issued (NPPO, VET, MED)",
        description=(
            "The certificate is sent again with StatusCode 40 (withdrawn) to the node that received it; with "
            '`"replace": true` a new certificate for the same consignment follows, and the withdrawn one names it. '
            'Repeat-safe: a certificate already withdrawn answers `"repeat": true` and sends nothing.'
        ),
        responses=error_responses(404),
    )
    async def withdraw(
        ref: Annotated[DocumentRefText, Path(description="the certificate number")], req: WithdrawRequest
    ) -> dict[str, Any]:
        return await node.withdraw(ref, req.replace)

    @app.post(
        "/ched",
        summary="Enter the CHED of a consignment a veterinary certificate covers, and send it (VET)",
        description="CHED-A for live animals, CHED-P for products of animal origin, numbered CHEDA/CHEDP.CC.YYYY.NNNNNNN.",
        responses=error_responses(404, 409),
    )
    async def ched(req: ChedRequest) -> dict[str, Any]:
        if not node.accepts(req.to.upper()):
            raise Refusal(
                Why.CONFLICT,
                refusal.not_a_partner(
                    f"{req.to} is not a partner of {node.node}: it sends to {node.partners_text()}", "/to", req.to
                ),
            )
        return await node.issue_ched(req.to.upper(), req.certificate, req.consignment, req.decided)

    return app
