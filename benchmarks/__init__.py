"""Benchmarks: figures printed by scripts/benchmark."""
