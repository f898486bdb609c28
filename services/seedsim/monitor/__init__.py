"""The interop monitor: reads the shared interop topic and tells what became of every message."""
