"""Money in generated documents: the home currency of each SEED country and approximate EUR rates.

The rates only make generated values plausible in each currency (they are not
reference rates); the convertible mark (BAM) is pegged to the euro at 1.95583,
Montenegro and Kosovo use the euro.
"""

from __future__ import annotations

from decimal import Decimal

#: ISO 3166 country -> ISO 4217 currency its traders declare in
HOME_CURRENCY = {"RS": "RSD", "MK": "MKD", "AL": "ALL", "BA": "BAM", "ME": "EUR", "XK": "EUR"}

#: units of each currency per euro
EUR_RATES = {
    "EUR": Decimal("1"),
    "RSD": Decimal("117.2"),
    "MKD": Decimal("61.5"),
    "ALL": Decimal("98.5"),
    "BAM": Decimal("1.95583"),
    "USD": Decimal("1.08"),
    "CHF": Decimal("0.95"),
}
