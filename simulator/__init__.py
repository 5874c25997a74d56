"""A local ev.energy API server for tests, benchmarks and the demo."""
