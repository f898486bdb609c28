"""Format converters: how a national or EU system's own messages feed a SEED+ node.

Each converter reads a national or EU format and produces the catalogue's models
(:mod:`seedsim.messages`), which the node then validates and exchanges like any
other message. They read with :func:`seedsim.core.xml_safety.parse_untrusted`.
(Not to be confused with the transport adapters in :mod:`seedsim.core.transport`.)
"""
