"""Runners: what drives nodes and reports on them (the demo, scenarios, the Utility Block player, workshop mode).

They build their nodes through :mod:`seedsim.bootstrap`, drive them in process
or over HTTP, and read the interop records to tell what happened.
"""
