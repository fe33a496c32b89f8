"""novalite-conductor: database proxy and build orchestration."""

from oslo_concurrency import processutils

from novalite.cmd import common
from novalite import conf

CONF = conf.CONF


def _check_database():
    # Imported here: the DB layer loads only in a process that runs it.
    from novalite.db import migration
    migration.check_database()


def main():
    common.serve_rpc(
        'novalite-conductor', 'conductor',
        'novalite.conductor.manager.ConductorManager',
        workers=lambda: CONF.conductor.workers or
        processutils.get_worker_count(),
        db_check=_check_database)
