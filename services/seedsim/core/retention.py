"""How long a node keeps what every message leaves behind: its handled id and its message-log entry.

A node remembers the id (``ce_id``) of every message it handled, so that a redelivery is recognised and its
effects are not applied twice (idempotency by id), and logs every message it sent and received with its XML
(``GET /messages``, the round trip's latency when the acknowledgement comes). Without a limit both grow by a row
per message, for ever. A node therefore keeps them for a retention and purges what is older, periodically
(:meth:`seedsim.nodes.inbox_node.InboxNode.purge`), in batches that let the inbox go on in between:

* the **idempotency window** (``idempotency_window_s``, default 7 days): how long a handled id is kept. The
  trade-off: a redelivery of a message handled longer ago than the window is no longer recognised and is handled
  again (a second acknowledgement, its effects applied twice). A redelivery comes from the broker (a consumer
  that did not commit, a producer's retry), so keep the window **longer than the broker's retention** of the
  inbox topics (Kafka's ``retention.ms``, 7 days by default): nothing older than that can be delivered again.
* the **message-log retention** (``message_log_retention_s``, default 7 days): how long a message sent or
  received stays in the log, with its payload. A message sent that still awaits its acknowledgement is kept
  beyond it, up to the idempotency window (when that is longer): its acknowledgement, delivered late, is still
  matched to it (latency, Utility Blocks) rather than called one for a message the node did not send.

What a conversation still needs beyond that is not in the log: a customs node's consignments, declarations,
pre-arrival data awaiting their match at entry, alerts, answers and lodged documents are its records (SEED's
storage for post-clearance audit) and are kept unless a **consignment retention** is set
(``consignment_retention_s``, default none: kept for ever): then a consignment nothing happened to for that long
goes with everything the node holds on it, matched or not (the operator decides when a crossing is over). Parked
records are kept on purpose until someone looks at them; outbox rows are deleted as soon as the transport took
them.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 86_400.0
#: the defaults: as long as Kafka keeps a topic's records by default (``retention.ms``, 7 days)
IDEMPOTENCY_WINDOW_S = 7 * DAY_S
MESSAGE_LOG_RETENTION_S = 7 * DAY_S
#: how often a node purges, and how many rows one purge transaction deletes at most
PURGE_EVERY_S = 60.0
PURGE_BATCH = 2000


@dataclass(frozen=True)
class Retention:
    """How long a node keeps handled ids and its message log, and how often it purges."""

    idempotency_window_s: float = IDEMPOTENCY_WINDOW_S
    message_log_s: float = MESSAGE_LOG_RETENTION_S
    every_s: float = PURGE_EVERY_S
    batch: int = PURGE_BATCH
    #: how long a consignment nothing happened to is kept, with what the node holds on it (None: for ever)
    consignments_s: float | None = None

    @property
    def awaiting_ack_s(self) -> float:
        """How long a message sent is kept while its acknowledgement has not come."""
        return max(self.message_log_s, self.idempotency_window_s)
