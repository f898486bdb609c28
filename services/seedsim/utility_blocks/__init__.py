"""GNC Utility Blocks as data: one YAML file per customs-to-customs exchange.

A Utility Block (UB) describes an exchange the way the WCO GNC template does, so
that two administrations implement it the same way. seedsim keeps them in
``schemas/utility-blocks/``, checks them against ``schemas/utility-block.schema.json``
and against the message catalogue, and derives documentation and an AsyncAPI
document from them.
"""

from seedsim.utility_blocks.loader import UtilityBlockError, load_all, load_file  # noqa: F401
from seedsim.utility_blocks.model import UtilityBlock  # noqa: F401
