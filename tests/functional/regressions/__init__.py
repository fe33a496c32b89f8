"""Regression tests against real daemons: one test per bug, named for it."""
