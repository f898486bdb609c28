"""/docs works in a room with no Internet: Swagger UI's assets are served by the node (issue 8, defect 13)."""

from __future__ import annotations

import re

import httpx
import pytest

from seedsim.bootstrap import make_agency_node
from seedsim.config import AgencyConfig
from seedsim.core.transport.memory import InMemoryBus
from tests.unit.node_api import client

#: every URL a page can make the browser load: src/href attributes and Swagger UI's spec url
REFERENCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl:\s*["']([^"']+)["']""")


async def docs_and_assets(node) -> tuple[str, dict[str, httpx.Response]]:
    async with client(node) as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        urls = [a or b for a, b in REFERENCES.findall(page.text)]
        return page.text, {u: await http.get(u) for u in urls}


@pytest.mark.parametrize("kind", ["customs", "agency"])
async def test_docs_references_nothing_outside_the_node_and_each_asset_is_served(kind, corridor, tmp_path):
    _, nodes = corridor
    if kind == "customs":
        node = nodes["RS"]
    else:
        node = make_agency_node(AgencyConfig(node="ME-CCI", db=tmp_path / "cci.db"), InMemoryBus())
    page, assets = await docs_and_assets(node)
    assert not re.search(r"https?://", page), "the page names a URL outside the node"
    assert {u.rsplit("/", 1)[-1] for u in assets} == {
        "swagger-ui.css",
        "favicon-32x32.png",
        "swagger-ui-bundle.js",
        "openapi.json",
    }
    for url, r in assets.items():
        assert r.status_code == 200, url
    assert "SwaggerUIBundle" in assets["/docs/assets/swagger-ui-bundle.js"].text
    assert assets["/docs/assets/swagger-ui.css"].headers["content-type"].startswith("text/css")
    # Swagger UI 5 reads the OpenAPI 3.1 document FastAPI writes; the public validator badge is off
    assert assets["/openapi.json"].json()["openapi"].startswith("3.1")
    assert '"validatorUrl": null' in page
