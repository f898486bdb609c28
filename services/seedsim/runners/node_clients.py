"""How the runner reaches nodes: in the same process, or over their HTTP API.

Both speak the node API's vocabulary and return its JSON, so a scenario plays
the same whether the nodes are coroutines here or containers elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from seedsim.nodes.customs.customs_node import CustomsNode, Event


class NodeClient(Protocol):
    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]: ...

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]: ...

    async def alive(self, node: str) -> None: ...

    async def close(self) -> None: ...


class RunnerError(RuntimeError):
    pass


class NodeUnreachable(RunnerError):
    """A node the runner was told to drive does not answer."""


class NodeStopped(RunnerError):
    """A node that answered when the run started stopped answering during it (killed, crashed, its host gone)."""


def _why(exc: Exception) -> str:
    """An HTTP client error in a few words (connection refused, unknown host, time-out)."""
    cause: BaseException = exc
    for _ in range(10):  # down the chain to the socket's own error
        below = cause.__cause__ or cause.__context__
        if below is None:
            break
        cause = below
    if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
        return "no answer in time"
    if isinstance(cause, OSError) and cause.errno:
        return os.strerror(cause.errno).lower()  # "connection refused", not "[Errno 111] Connect call failed (...)"
    return (str(cause) or type(exc).__name__).lower()


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

    async def alive(self, node: str) -> None:
        """A node in this process answers as long as the run does."""

    async def close(self) -> None:
        pass


class HttpClient:
    def __init__(self, urls: dict[str, str]):
        import httpx  # only the HTTP client needs it

        self.urls = urls
        self._http = httpx.AsyncClient(timeout=30)

    async def _request(self, method: str, node: str, path: str, **kwargs: Any) -> Any:
        """A request to a node; a node that does not answer (any more) raises :class:`NodeStopped`, naming it."""
        import httpx

        try:
            return await self._http.request(method, f"{self.urls[node]}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise NodeStopped(
                f"node {node} at {self.urls[node]} stopped answering during the run ({method} {path}: {_why(exc)}):"
                " is it still running?"
            ) from None

    async def alive(self, node: str) -> None:
        """Raise :class:`NodeStopped` unless ``node`` answers ``GET /health``."""
        r = await self._request("GET", node, "/health", timeout=5)
        if r.status_code != 200:
            raise NodeStopped(f"node {node} at {self.urls[node]} answered /health with {r.status_code} during the run")

    async def lodge(self, node: str, xml: bytes) -> dict[str, Any]:
        r = await self._request("POST", node, "/declarations", content=xml, headers={"content-type": "application/xml"})
        if r.status_code != 200:
            raise RunnerError(f"node {node} rejected a generated declaration ({r.status_code}): {r.text[:500]}")
        return r.json()

    async def event(
        self, node: str, event: Event, consignment: str, office: str, entry_office: str | None = None
    ) -> dict[str, Any]:
        body = {"event": event.value, "consignment": consignment, "office": office, "entry_office": entry_office}
        r = await self._request("POST", node, "/events", json=body)
        if r.status_code != 200:
            raise RunnerError(f"node {node} refused {event.value} for {consignment} ({r.status_code}): {r.text[:500]}")
        return r.json()

    async def wait_ready(self, timeout: float = 60, waiting: Callable[[str], None] | None = None) -> None:
        """Wait until every node answers ``GET /health``, ``timeout`` seconds in all.

        A node that does not answer at once is said (``waiting``), once; one that has not answered when
        the time is up raises :class:`NodeUnreachable`, naming it, its URL and why.
        """
        import asyncio

        import httpx

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for node, url in self.urls.items():
            said = False
            while True:
                remaining = deadline - loop.time()
                try:
                    r = await self._http.get(f"{url}/health", timeout=max(0.1, min(5.0, remaining)))
                    if r.status_code == 200:
                        break
                    why = f"/health answered {r.status_code}"
                except httpx.HTTPError as exc:
                    why = _why(exc)
                if loop.time() + 0.5 > deadline:
                    raise NodeUnreachable(
                        f"node {node} at {url} did not answer /health within {timeout:g} s ({why}):"
                        " is it running, and is that its address?"
                    )
                if not said and waiting is not None:
                    waiting(f"waiting for node {node} at {url} ({why}), up to {timeout:g} s")
                    said = True
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        await self._http.aclose()
