"""Helpers for the test suite that the tests of the tests reuse (not test modules themselves)."""
