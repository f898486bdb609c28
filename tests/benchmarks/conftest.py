"""The benchmark scripts here are run by hand (see README.md), never collected as tests."""

collect_ignore_glob = ["bench_*.py"]
