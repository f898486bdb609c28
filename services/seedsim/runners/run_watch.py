"""How an observer (the monitor) is put next to a run: subscribed to its topics before its nodes start.

A run (the demo, a scenario, a workshop) starts its own nodes on its own transport; an observer
must subscribe before the transport starts, or it misses the first records. A run takes a
:data:`Watch` and calls it with its transport, its topics and the ids of the nodes it starts;
what the watch returns (if anything) is awaited once the run is over, before the transport
stops, so the observer catches up with the last records.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from seedsim.core.topics import Topics
from seedsim.core.transport import Transport

#: subscribes an observer to a run: (the run's transport, its topics, the ids of the nodes it starts); what it
#: returns (if anything) is awaited once the run is over, before the transport stops, for the observer to catch up
Watch = Callable[[Transport, Topics, list[str]], Callable[[], Awaitable[None]] | None]
