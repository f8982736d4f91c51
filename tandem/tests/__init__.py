"""Tests that cross many apps (the URL walk, bad input on every form) and shared test support."""
