from tests.unit.compute.fakes import flags  # noqa: F401
