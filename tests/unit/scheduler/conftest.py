"""Fixtures for scheduler unit tests (``flags`` is in tests/unit/conftest.py)."""

import pytest

from novalite import objects


@pytest.fixture(autouse=True)
def _registered_objects():
    objects.register_all()


