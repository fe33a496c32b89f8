from tests.unit.compute.fakes import compute  # noqa: F401
from tests.unit.compute.fakes import flags  # noqa: F401
from tests.unit.compute.fakes import local_objects  # noqa: F401
from tests.unit.db.conftest import db  # noqa: F401
