"""Fixtures shared by the unit tests."""

import pytest

from novalite import conf


@pytest.fixture
def flags():
    """``flags(group=None, **overrides)`` sets options for one test."""
    cfg = conf.CONF
    done = []

    def set_flags(group=None, **overrides):
        for name, value in overrides.items():
            cfg.set_override(name, value, group)
            done.append((name, group))
    yield set_flags
    for name, group in done:
        cfg.clear_override(name, group)
