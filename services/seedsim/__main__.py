"""``python -m seedsim``: the same command line as the ``seedsim`` script (see :mod:`seedsim.cli`)."""

from seedsim.cli import main

raise SystemExit(main())
