"""novalite-conductor: database proxy and build orchestration."""

from oslo_concurrency import processutils

from novalite.cmd import common
from novalite import conf

CONF = conf.CONF


def main():
    common.serve_rpc(
        'novalite-conductor', 'conductor',
        'novalite.conductor.manager.ConductorManager',
        workers=lambda: CONF.conductor.workers or
        processutils.get_worker_count(),
        uses_db=True)
