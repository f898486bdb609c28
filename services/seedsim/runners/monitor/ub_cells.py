"""The counts each Utility Block's service level is measured from: per conversation, or per message type.

Every interop record about a message names the UBs whose conversations that message belongs to
(``ubs``: :mod:`seedsim.core.interop`). A record that names some is counted in each of those UBs'
cells (the columns and the round-trip latency of the interop matrix's cells,
:class:`.interop_matrix.MatrixCell`): an EntryConfirmation closing both an exit-data and a TIR
conversation counts for UB-SEED-EXIT and UB-SEED-TIR, one closing exit data alone for
UB-SEED-EXIT only. A record that names none (a trace recorded before records named them, a system
that does not send ``ce_seedsimubs``) is counted in a cell per message type instead, from which
:mod:`.service_levels` attributes it by type. Records about the acknowledgement message itself
(it arriving, or dead-lettered) are left out, as the matrix's business rows leave them out: an
acknowledgement is counted as the answer to the message it acknowledges.
"""

from __future__ import annotations

from seedsim.core.interop import InteropRecord
from seedsim.runners.interop_summary import ACK_TYPE
from seedsim.runners.monitor.interop_matrix import MatrixCell


class UbCells:
    def __init__(self) -> None:
        #: by UB id: the records that named it
        self.by_ub: dict[str, MatrixCell] = {}
        #: by message type: the records that named no UB
        self.by_type: dict[str, MatrixCell] = {}
        #: how many counted records named UBs, and how many named none
        self.named = 0
        self.unnamed = 0

    def add(self, rec: InteropRecord, message_type: str) -> None:
        """Count ``rec``, a record the matrix counted under ``message_type``."""
        if message_type == ACK_TYPE:
            return
        if rec.ubs:
            self.named += 1
            for ub in rec.ubs:
                cell = self.by_ub.get(ub)
                if cell is None:
                    cell = self.by_ub[ub] = MatrixCell()
                cell.count(rec.stage, rec.latency_ms)
        else:
            self.unnamed += 1
            cell = self.by_type.get(message_type)
            if cell is None:
                cell = self.by_type[message_type] = MatrixCell()
            cell.count(rec.stage, rec.latency_ms)
