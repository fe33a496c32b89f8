"""novalite-scheduler: picks hosts for builds (``select_destinations``)."""

from oslo_concurrency import processutils

from novalite.cmd import common
from novalite import conf

CONF = conf.CONF


def main():
    common.serve_rpc(
        'novalite-scheduler', 'scheduler',
        'novalite.scheduler.manager.SchedulerManager',
        workers=lambda: CONF.scheduler.workers or
        processutils.get_worker_count())
