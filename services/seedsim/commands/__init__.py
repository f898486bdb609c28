"""The ``seedsim`` sub-commands: each turns options into a runner's settings, checks them, runs, reports.

:mod:`seedsim.cli` assembles them into one typer app. Modules here share the
terminal (:mod:`.terminal`: what is printed, how, and what happens when nobody
reads it any more), the Ctrl-C rule (:mod:`.interrupts`), the checks made
before anything starts (:mod:`.preflight`) and the options several commands
have (:mod:`.shared_options`).
"""
