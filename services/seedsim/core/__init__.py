"""The shared core: envelope, message catalogue, validation, transport, interop log.

Nothing in here knows which service it runs in; services compose these pieces
in their own bootstrap.
"""
