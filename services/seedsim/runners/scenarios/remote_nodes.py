"""Playing a scenario against nodes that run elsewhere (``seedsim run --nodes``), and what that cannot do.

Against nodes in another process -- docker-compose's containers, an
integrator's own node -- the runner drives each customs node through its HTTP
API (:class:`seedsim.runners.node_clients.HttpClient`) and hears them only
through the Kafka broker they share: the interop records on the interop
topic. The nodes write their own driver records. So whatever a scenario does
by lodging declarations, firing events (traffic and timeline) and putting
records on an inbox topic (malformed messages, an unknown sender) plays the
same there.

What cannot: a transport fault (delay, reorder, a node down, duplicates) is
injected into the transport the run's own nodes send through, and nodes
elsewhere send through theirs; a Utility Block traffic is played by the UB
player on node objects in this process; risk profiles and matching
tolerances are settings of a node, fixed when it started. Such a scenario is
refused before anything is sent (:func:`refusal`), rather than played with
its faults or settings silently left out.

Nodes elsewhere outlive a run: references are tagged per run (:func:`run_tag`)
so a second run does not collide with the first, and the run counts only the
records of its own consignments and injected records.
"""

from __future__ import annotations

import uuid

from seedsim.runners.scenarios.scenario_model import Delay, Duplicates, NodeDown, Reorder, Scenario

#: faults injected into the transport of the nodes a run starts itself
TRANSPORT_FAULTS = (Delay, Reorder, NodeDown, Duplicates)


def refusal(scenario: Scenario, node_urls: dict[str, str]) -> str | None:
    """Why ``scenario`` cannot be played against the nodes at ``node_urls`` (one line), or None when it can."""
    missing = [n for n in scenario.nodes if n not in node_urls]
    if missing:
        return (
            f"--nodes has no URL for {', '.join(missing)}: scenario {scenario.name} drives"
            f" {', '.join(scenario.nodes)}; give each as COUNTRY=http://host:port"
        )
    why = []
    faults = sorted({f.kind for f in scenario.faults if isinstance(f, TRANSPORT_FAULTS)})
    if faults:
        why.append(f"its transport faults ({', '.join(faults)}) act on nodes this run starts")
    blocks = sorted({t.utility_block for t in scenario.traffic if t.utility_block})
    if blocks:
        why.append(f"its Utility Block traffic ({', '.join(blocks)}) is played on nodes in this process")
    if any(t.certificates for t in scenario.traffic):
        why.append("its certificates are issued by agency nodes in this process")
    settings = [
        name
        for name, value in (("risk_profiles", scenario.risk_profiles), ("matching", scenario.matching))
        if value is not None
    ]
    if settings:
        why.append(f"it sets {' and '.join(settings)}, which nodes elsewhere fixed when they started")
    if not why:
        return None
    return (
        f"scenario {scenario.name} cannot be played against nodes elsewhere (--nodes): {'; '.join(why)};"
        " play it without --nodes, which starts its nodes in this process"
    )


def run_tag() -> str:
    """Four characters that tag one run's references (LRN, UCR) and injected records' subjects."""
    return uuid.uuid4().hex[:4].upper()
