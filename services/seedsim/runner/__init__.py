"""The scenario runner: plays consignments through the nodes and reports what happened."""
