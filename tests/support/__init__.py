"""Helpers shared by the test suites (e.g. the Azurite storage emulator)."""
