"""Console tokens against a throw-away SQLite database, through the same
serialising conductor proxy the object tests use."""

import pytest

from novalite.objects import base
from tests.unit.db.conftest import db  # noqa: F401 (shared fixture)
from tests.unit.objects.test_indirection import LocalIndirection


@pytest.fixture
def remote(db):  # noqa: F811
    """Remotable calls cross a serialising stand-in of the conductor RPC."""
    indirection = LocalIndirection()
    base.NovaliteObject.indirection_api = indirection
    yield indirection
    base.NovaliteObject.indirection_api = None
