"""The border crossings the demo and the samples use.

Names are real road crossings; the office codes are well-formed customs office
reference numbers (country + 6 characters) but illustrative, as SEED+ office
lists are not public.
"""

from __future__ import annotations

from seedsim.config import BorderCrossing

#: the Gostun - Dobrakovo road crossing between Serbia and Montenegro, both ways
DEMO_CROSSINGS = [
    BorderCrossing(name="Gostun (RS) - Dobrakovo (ME)", exit_office="RS015070", entry_office="ME200012"),
    BorderCrossing(name="Dobrakovo (ME) - Gostun (RS)", exit_office="ME200012", entry_office="RS015070"),
]

#: the Horgoš (RS) - Röszke (HU) road crossing, where the RS -> HU corridor enters the EU, both ways
#: (illustrative office codes, as the scenario rs-hu-horgos-roszke uses)
HORGOS_ROSZKE = [
    BorderCrossing(name="Horgoš (RS) - Röszke (HU)", exit_office="RS011030", entry_office="HU403000"),
    BorderCrossing(name="Röszke (HU) - Horgoš (RS)", exit_office="HU403000", entry_office="RS011030"),
]

#: the crossings a node started from the command line knows (``seedsim node``): the demo's and the EU one
NODE_CROSSINGS = [*DEMO_CROSSINGS, *HORGOS_ROSZKE]
