"""Load benchmarks. Each module runs its own server process: `python -m bench.registration`."""
