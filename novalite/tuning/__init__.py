"""Speed-ups that rely on private internals of the libraries novalite uses.

Each was measured and kept for speed. They live here, one module per
library, so an upgrade of that library has one place to check: every
module names the library version it was checked against, and
tests/unit/tuning/ fails when an upgrade renames a private name or changes
the behaviour relied on. setup.cfg caps those libraries below their next
minor release.
"""
