"""Sample data: realistic consignments, traders, goods and border crossings, reproducible from a seed.

Message families draw their generated instances from here; the demo, the
scenario runner and the Utility Block player draw whole consignments.
"""
