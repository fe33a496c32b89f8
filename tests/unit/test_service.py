"""novalite.service.Service.stop: periodic calls are abandoned at once,
in-flight RPC work gets ``graceful_shutdown_timeout_seconds``."""

import threading
import time
from unittest import mock

from novalite import service


def _service():
    svc = service.Service('h1', 'novalite-test', 'test',
                          'novalite.manager.Manager')
    svc.tg = mock.Mock()
    return svc


def test_stop_does_not_wait_for_a_heartbeat_stuck_in_a_call():
    svc = _service()
    svc.stop()
    svc.tg.stop_timers.assert_called_once_with(wait=False)


def test_stop_waits_for_in_flight_rpc_work_up_to_the_timeout():
    svc = _service()
    release = threading.Event()
    svc.rpcserver = mock.Mock()
    svc.rpcserver.wait.side_effect = lambda: release.wait(10)
    started = time.monotonic()
    try:
        assert svc._stop_rpcserver(0.3) is False
    finally:
        release.set()
    assert time.monotonic() - started < 2
    svc.rpcserver.stop.assert_called_once_with()


def test_stop_returns_as_soon_as_in_flight_work_is_done():
    svc = _service()
    svc.rpcserver = mock.Mock()
    started = time.monotonic()
    assert svc._stop_rpcserver(30) is True
    assert time.monotonic() - started < 2
    svc.rpcserver.wait.assert_called_once_with()
