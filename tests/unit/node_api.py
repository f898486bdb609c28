"""An HTTP client to a node's API, through the app itself (httpx's ASGI transport), for the HTTP tests."""

from __future__ import annotations

import httpx

from seedsim.nodes.agency.agency_api import create_app as agency_app
from seedsim.nodes.agency.agency_node import AgencyNode
from seedsim.nodes.customs.customs_api import create_app as customs_app

XML = {"content-type": "application/xml"}


def client(node, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    """A client to ``node``'s API (customs or agency); the test starts and stops the node itself."""
    app = agency_app(node, False) if isinstance(node, AgencyNode) else customs_app(node, manage_lifecycle=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions),
        base_url=f"http://{node.node.lower()}",
    )
