"""End-to-end tests with real Home Assistant, simulator and browser processes."""
