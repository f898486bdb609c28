"""The Utility Block step a workshop is at, for the dashboard to show while the class watches.

In workshop mode (``seedsim demo --ub ID --monitor``) the trainer walks the room
through one Utility Block step by step. The terminal narrates each step; the
dashboard, on the projector, highlights it on the network: the sender and the
receiver, the arrow between them, and a line naming the step ("UB-SEED-EXIT
step 3 of 6: ExportData RS -> ME on EXIT"). The workshop tells the board each
step just before its message is sent (and each acknowledgement as it comes
back); the board tells its listeners (the dashboard's server-sent events), so
the page follows without a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class WorkshopStep:
    """One step of a Utility Block's business process, as the workshop plays it."""

    ub: str
    index: int
    of: int
    sender: str
    receiver: str
    message: str
    event: str | None = None

    @property
    def text(self) -> str:
        on = f" on {self.event}" if self.event else ""
        return f"{self.ub} step {self.index} of {self.of}: {self.message} {self.sender} -> {self.receiver}{on}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text}


class WorkshopBoard:
    """The step shown now (None outside workshop mode), and who is told when it changes."""

    def __init__(self) -> None:
        self.step: WorkshopStep | None = None
        self.listeners: list[Callable[[WorkshopStep], None]] = []

    def show(self, step: WorkshopStep) -> None:
        self.step = step
        for listener in self.listeners:
            listener(step)
