"""The customs node: a national SEED+ node (declarations in, exit data out, matching on entry)."""
