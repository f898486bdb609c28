"""The monitor's HTTP face: a JSON API (in OpenAPI at ``/docs``), Prometheus ``/metrics`` and the dashboard.

The dashboard is Jinja2 templates rendered here, and one small script (``static/dashboard.js``)
that listens to ``/api/events`` (server-sent events) and, when the monitor has read new records,
fetches the panels again as HTML. Everything is served from the package: no CDN, so it works in
an air-gapped lab. A consignment clicked in the list shows its timeline across nodes, with each
message's XML as received and its validation errors.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from seedsim.core.interop import Stage
from seedsim.runners.monitor.consignment_timeline import timeline
from seedsim.runners.monitor.dashboard_views import consignment_status, network_drawing
from seedsim.runners.monitor.monitor_aggregate import alert_entry, dead_letter_entry
from seedsim.runners.monitor.monitor_ingest import MonitorIngest
from seedsim.runners.monitor.monitor_metrics import CONTENT_TYPE
from seedsim.runners.monitor.monitor_store import MonitorStore
from seedsim.runners.monitor.monitored_records import DeadLetter, monitored
from seedsim.runners.monitor.workshop_board import WorkshopBoard

HERE = Path(__file__).parent
#: how often the event stream looks for new records (seconds): the dashboard refreshes at most this often
TICK_S = 0.5
LIST = 30


def _decoded(records: list[Any]) -> list[Any]:
    return [x for record in records for x in monitored(record)]


def create_app(ingest: MonitorIngest, store: MonitorStore, source: str, board: WorkshopBoard | None = None) -> FastAPI:
    app = FastAPI(
        title="seedsim interoperability monitor",
        description="What every node's interop records say: counters, the network, the interop matrix, "
        "Utility Block service levels, alerts, dead letters and each consignment's timeline.",
        version="1",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    state = {"version": 0}

    def changed(_rec: Any) -> None:
        state["version"] += 1

    ingest.listeners.append(changed)
    board = board or WorkshopBoard()
    board.listeners.append(changed)

    async def counters() -> dict[str, Any]:
        agg = ingest.aggregate
        return {
            "counters": agg.counters(),
            "by_stage": agg.by_stage(),
            "records": agg.records,
            "stored": await store.counts(),
            "unreadable": ingest.unreadable,
        }

    async def alerts(limit: int) -> list[dict[str, Any]]:
        return [alert_entry(r) for r in _decoded(await store.with_stages([Stage.ALERT, Stage.RISK_ALERT], limit))]

    async def dead_letters(limit: int) -> list[dict[str, Any]]:
        copies: dict[str, DeadLetter] = {}
        for record, _truncated in await store.dead_letter_copies(limit):
            for dl in monitored(record):
                if isinstance(dl, DeadLetter):
                    copies[dl.key] = dl
        out = []
        for rec in _decoded(await store.with_stages([Stage.DEAD_LETTERED], limit)):
            entry = dead_letter_entry(rec)
            copy = copies.get(rec.message_id or "")
            if copy is not None:
                entry.update(pointer=copy.pointer, error_class=copy.error_class, reason=copy.reason or entry["reason"])
            out.append(entry)
        return out

    async def consignments(limit: int, offset: int = 0, q: str | None = None) -> list[dict[str, Any]]:
        return [{**c, "status": consignment_status(c["stages"])} for c in await store.consignments(limit, offset, q)]

    async def panels() -> dict[str, Any]:
        agg, step = ingest.aggregate, board.step
        return {
            "source": source,
            **await counters(),
            "step": step,
            "network": network_drawing(agg.network(), (step.sender, step.receiver) if step else None),
            "feed": agg.feed()[:20],
            "alerts": await alerts(LIST),
            "dead_letters": await dead_letters(LIST),
            "service_levels": agg.service_levels(),
            "consignments": await consignments(LIST),
        }

    # -- the JSON API -----------------------------------------------------------------------

    @app.get("/api/counters", tags=["monitor"], summary="The run summary's counts, per stage, and what is stored")
    async def get_counters() -> dict[str, Any]:
        return await counters()

    @app.get(
        "/api/workshop",
        tags=["monitor"],
        summary="The Utility Block step a workshop is at (seedsim demo --ub ID --monitor); null outside workshop mode",
    )
    async def get_workshop_step() -> dict[str, Any] | None:
        return board.step.to_dict() if board.step else None

    @app.get("/api/network", tags=["monitor"], summary="Nodes, and one edge per sender -> receiver flow")
    async def get_network() -> dict[str, Any]:
        return ingest.aggregate.network()

    @app.get(
        "/api/matrix",
        tags=["monitor"],
        summary="The interop matrix: sender x receiver x message type (format=csv for a spreadsheet)",
        response_model=None,
    )
    async def get_matrix(format: Literal["json", "csv"] = "json") -> list[dict[str, Any]] | PlainTextResponse:
        matrix = ingest.aggregate.matrix
        if format == "csv":
            return PlainTextResponse(
                matrix.csv(),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="interop-matrix.csv"'},
            )
        return matrix.rows()

    @app.get("/api/service-levels", tags=["monitor"], summary="Each Utility Block against its governance section")
    async def get_service_levels() -> list[dict[str, Any]]:
        return ingest.aggregate.service_levels()

    @app.get("/api/alerts", tags=["monitor"], summary="Matching and risk alerts, newest first, with both values")
    async def get_alerts(limit: int = Query(200, ge=1, le=10000)) -> list[dict[str, Any]]:
        return await alerts(limit)

    @app.get("/api/dead-letters", tags=["monitor"], summary="Dead letters, newest first, with rule and reason")
    async def get_dead_letters(limit: int = Query(200, ge=1, le=10000)) -> list[dict[str, Any]]:
        return await dead_letters(limit)

    @app.get("/api/feed", tags=["monitor"], summary="The latest stages, newest first")
    async def get_feed() -> list[dict[str, Any]]:
        return ingest.aggregate.feed()

    @app.get("/api/consignments", tags=["monitor"], summary="Consignments seen, latest first")
    async def get_consignments(
        limit: int = Query(100, ge=1, le=10000), offset: int = Query(0, ge=0), q: str | None = None
    ) -> list[dict[str, Any]]:
        return await consignments(limit, offset, q)

    @app.get(
        "/api/consignments/{consignment}",
        tags=["monitor"],
        summary="One consignment's timeline across nodes, with each message's XML and validation errors",
    )
    async def get_consignment(consignment: str) -> dict[str, Any]:
        stored = await store.of_consignment(consignment)
        if not stored:
            raise HTTPException(404, f"no record of consignment {consignment!r}: see /api/consignments")
        return timeline(consignment, stored)

    @app.get("/api/events", tags=["monitor"], summary="Server-sent events: 'counters' whenever new records were read")
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> Any:
            seen = -1
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                if state["version"] != seen:
                    seen = state["version"]
                    yield f"event: counters\ndata: {json.dumps(ingest.aggregate.counters())}\n\n"
                await asyncio.sleep(TICK_S)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.get("/metrics", tags=["monitor"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(ingest.metrics.exposition(), media_type=CONTENT_TYPE)

    @app.get("/health", tags=["monitor"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "records": ingest.aggregate.records}

    # -- the dashboard ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "dashboard.html", await panels())

    @app.get("/fragments/panels", response_class=HTMLResponse, include_in_schema=False)
    async def panels_fragment(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "panels.html", await panels())

    @app.get("/fragments/consignments/{consignment}", response_class=HTMLResponse, include_in_schema=False)
    async def consignment_fragment(request: Request, consignment: str) -> HTMLResponse:
        stored = await store.of_consignment(consignment)
        if not stored:
            raise HTTPException(404, f"no record of consignment {consignment!r}")
        return templates.TemplateResponse(request, "consignment.html", timeline(consignment, stored))

    return app
