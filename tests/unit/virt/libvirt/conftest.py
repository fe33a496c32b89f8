"""Fixtures of the libvirt driver's unit tests."""

import pytest

from novalite import conf

CONF = conf.CONF


@pytest.fixture
def overrides():
    """``overrides(name=value, group=None)`` for one test."""
    done = []

    def set_overrides(group=None, **kwargs):
        for name, value in kwargs.items():
            CONF.set_override(name, value, group=group)
            done.append((name, group))
    try:
        yield set_overrides
    finally:
        for name, group in done:
            CONF.clear_override(name, group=group)
