"""Tests of the ev.energy API simulator."""
