from tests.unit.db.conftest import db  # noqa: F401 (shared fixture)
