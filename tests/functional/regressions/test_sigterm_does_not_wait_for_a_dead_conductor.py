"""Regression: SIGTERM took up to ``rpc_response_timeout`` once the
conductor was gone.

The scheduler, consoleauth and computes logged "Stopping" and stayed alive
15-30 s more, each blocked in a heartbeat call to the dead conductor. A
stop abandons heartbeat and periodic calls at once; only in-flight RPC
work gets ``graceful_shutdown_timeout_seconds``.
"""

import signal
import time

from tests.functional import cloud as cloud_mod
from tests.functional.conftest import start_control_plane

# rpc_response_timeout is 30 s in the harness: a stop that waits on one
# call to the dead conductor takes about that long.
BOUND = 10.0


def test_sigterm_does_not_wait_for_a_dead_conductor(cloud_factory):
    cloud = start_control_plane(cloud_factory())
    cloud.start('compute', host='fake-1')
    cloud.wait_for_service(binary='novalite-compute', host='fake-1',
                           timeout=60)
    daemons = [d for d in cloud.daemons if d.name != 'conductor']
    conductor = [d for d in cloud.daemons if d.name == 'conductor'][0]
    conductor.kill()
    # report_interval is 2 s: by now every service has a heartbeat call
    # waiting for the conductor.
    time.sleep(3 * 2 + 1)

    took = {}
    for d in daemons:
        assert d.running(), d.log()[-3000:]
        started = time.monotonic()
        d._signal_group(signal.SIGTERM)
        cloud_mod.wait_for(lambda: not d.running(), 60, interval=0.05,
                           message='%r to exit' % d)
        took[d.binary] = time.monotonic() - started
    print('SIGTERM to exit with the conductor gone: %s' % ', '.join(
        '%s %.2f s' % item for item in sorted(took.items())))
    for binary, seconds in took.items():
        assert seconds < BOUND, (binary, seconds)
    for d in daemons:
        assert 'Stopping' in d.log()
