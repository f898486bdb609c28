"""Nodes: the customs administrations and border agencies of the network, and their HTTP faces.

:mod:`.inbox_node` holds the inbox mechanics every node shares (envelope checks,
de-duplication, validation, acknowledgements, dead letters, the outbox);
:mod:`.customs` and :mod:`.agency` add what each kind of node does, and
:mod:`.node_http` is the FastAPI face every node has. Nodes are built by
:mod:`seedsim.bootstrap`, which hands them their transport, store and message catalogue.
"""
