"""Synthetic PBX records for the parser benchmarks (bench/)."""
