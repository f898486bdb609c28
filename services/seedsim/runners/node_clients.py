"""How the runner reaches nodes: in the same process, or over their HTTP API.

Both speak the node API's vocabulary and return its JSON, so a scenario plays
the same whether the nodes are coroutines here or containers elsewhere.
"""

from __future__ import annotations

from typing import Any, Protocol

from seedsim.nodes.customs.customs_node import CustomsNode, Event


class NodeClient(Protocol):
    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]: ...

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class RunnerError(RuntimeError):
    pass


class InProcessClient:
    def __init__(self, nodes: dict[str, CustomsNode]):
        self.nodes = nodes

    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]:
        result = await self.nodes[node].lodge(xml)
        if not result.accepted:
            raise RunnerError(f"node {node} rejected a generated declaration: {[str(i) for i in result.report.issues]}")
        return result.to_dict()

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]:
        return await self.nodes[node].on_event(event, consignment, office, entry_office)

    async def close(self) -> None:
        pass


class HttpClient:
    def __init__(self, urls: dict[str, str]):
        import httpx  # only the HTTP client needs it

        self.urls = urls
        self._http = httpx.AsyncClient(timeout=30)

    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]:
        r = await self._http.post(
            f"{self.urls[node]}/declarations", content=xml, headers={"content-type": "application/xml"}
        )
        if r.status_code != 200:
            raise RunnerError(f"node {node} rejected a generated declaration ({r.status_code}): {r.text[:500]}")
        return r.json()

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]:
        body = {"event": event.value, "consignment": consignment, "office": office, "entry_office": entry_office}
        r = await self._http.post(f"{self.urls[node]}/events", json=body)
        if r.status_code != 200:
            raise RunnerError(f"node {node} refused {event.value} for {consignment} ({r.status_code}): {r.text[:500]}")
        return r.json()

    async def wait_ready(self, timeout: float = 60) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for node, url in self.urls.items():
            while True:
                try:
                    if (await self._http.get(f"{url}/health")).status_code == 200:
                        break
                except Exception:
                    pass
                if loop.time() > deadline:
                    raise RunnerError(f"node {node} at {url} did not answer /health within {timeout:.0f}s")
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        await self._http.aclose()
