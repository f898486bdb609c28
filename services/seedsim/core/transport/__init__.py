"""The transport port and its adapters.

:class:`Transport` is all a node knows about moving bytes: send records,
subscribe a handler to topics as a consumer group. Two adapters implement it:
:mod:`.memory` (an in-process bus, the zero-setup default) and :mod:`.kafka`
(aiokafka, the product). Handlers never import aiokafka.

Contract for both adapters: a record's offset is committed only after its
handler returned; records of one key stay in order.
"""

from seedsim.core.transport.port import Handler, Record, Transport

__all__ = ["Handler", "Record", "Transport"]
