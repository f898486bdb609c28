"""Scenarios: YAML files that say which nodes run, what crosses which borders, what goes
wrong and what must hold at the end; played by ``seedsim run`` (see :mod:`.scenario_run`)."""
