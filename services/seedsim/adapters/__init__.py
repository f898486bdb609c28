"""Adapters: how a national system's own messages feed a SEED+ node.

Each adapter reads a national or EU format and produces the catalogue's models
(:mod:`seedsim.messages`), which the node then validates and exchanges like any
other message. They read with :func:`seedsim.core.xml_safety.parse_untrusted`.
"""
