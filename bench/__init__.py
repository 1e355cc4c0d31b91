"""Benchmarks: scripts that print a JSON line of figures (never timed tests)."""
