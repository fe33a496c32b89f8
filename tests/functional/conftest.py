"""pytest fixtures for functional tests: real daemons, RabbitMQ and MariaDB.

``cloud_factory`` (function scope) hands out :class:`~tests.functional.cloud.Cloud`
objects and cleans every one of them up after the test, pass or fail.
``cloud`` (module scope) is a synced cloud with novalite-conductor,
novalite-scheduler and novalite-consoleauth already up; add computes with
``cloud.start('compute', host=...)``. When a test fails, the tail of every
daemon's log is attached to its report.
"""

import pytest

from tests.functional import cloud as cloud_mod
from tests.functional.cloud import Cloud
from tests.functional.cloud import RabbitNode

# Everything under tests/functional starts real processes.
pytestmark = pytest.mark.functional


@pytest.fixture(scope='session', autouse=True)
def _sweep_leftovers():
    """Remove clouds of test runs that died (their owner process is gone);
    those of runs still going, anyone's, are left alone. (A fixture, not a
    sessionstart hook: this conftest loads after the session started when
    pytest is pointed at ``tests/``.)"""
    cloud_mod.sweep_leftovers(log=lambda msg: None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if '/tests/functional/' in str(item.fspath):
            item.add_marker(pytest.mark.functional)


class CloudFactory:
    """Creates clouds and remembers them for clean-up."""

    def __init__(self):
        self.clouds = []

    def __call__(self, conf_overrides=None, **kwargs):
        cloud = Cloud(conf_overrides=conf_overrides, **kwargs)
        self.clouds.append(cloud)
        return cloud

    def cleanup(self):
        errors = []
        while self.clouds:
            cloud = self.clouds.pop()
            try:
                cloud.cleanup()
            except Exception as exc:  # clean the others anyway
                errors.append(str(exc))
        if errors:
            raise RuntimeError('; '.join(errors))


def start_control_plane(cloud, timeout=60):
    """db sync, then conductor, scheduler and consoleauth, all ``up``."""
    cloud.sync_db()
    # The conductor first: a daemon's first ping to a conductor whose queue
    # does not exist yet is lost and only retried after its timeout.
    cloud.start('conductor', wait=True, timeout=timeout)
    cloud.start('scheduler')
    cloud.start('consoleauth')
    for binary in ('scheduler', 'consoleauth'):
        cloud.wait_for_service(binary='novalite-' + binary, host=binary,
                               timeout=timeout)
    return cloud


@pytest.fixture
def cloud_factory():
    """``cloud_factory(conf_overrides=..., rabbit=...)`` -> a fresh Cloud."""
    factory = CloudFactory()
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def rabbit_node():
    """A private, started RabbitMQ node (see ``RabbitNode``), removed after
    the test. Request it before ``cloud_factory`` so that the clouds on it
    are cleaned up while it still runs."""
    node = RabbitNode()
    try:
        yield node.start()
    finally:
        node.cleanup()


@pytest.fixture(scope='module')
def cloud():
    """A module-wide cloud with conductor, scheduler and consoleauth up."""
    factory = CloudFactory()
    try:
        yield start_control_plane(factory())
    finally:
        factory.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == 'teardown' or not report.failed:
        return
    clouds = []
    for value in getattr(item, 'funcargs', {}).values():
        if isinstance(value, Cloud):
            clouds.append(value)
        elif isinstance(value, CloudFactory):
            clouds.extend(value.clouds)
    for cloud in clouds:
        report.sections.append(('novalite logs of %s' % cloud.name,
                                cloud.dump_logs()))
