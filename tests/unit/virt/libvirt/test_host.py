"""Lifecycle events: libvirt's (event, detail) -> the contract's
transitions, and their delivery to the listener."""

from unittest import mock

import libvirt
import pytest

from novalite.virt import driver as virt_driver
from novalite.virt.libvirt import host

E = libvirt


@pytest.mark.parametrize('event,detail,expected', [
    (E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_BOOTED,
     virt_driver.EVENT_LIFECYCLE_STARTED),
    (E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_RESTORED,
     virt_driver.EVENT_LIFECYCLE_STARTED),
    (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN,
     virt_driver.EVENT_LIFECYCLE_STOPPED),
    (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
     virt_driver.EVENT_LIFECYCLE_STOPPED),
    (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_CRASHED,
     virt_driver.EVENT_LIFECYCLE_STOPPED),
    # a managed save ends the QEMU process: the guest is suspended
    (E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_SAVED,
     virt_driver.EVENT_LIFECYCLE_SUSPENDED),
    (E.VIR_DOMAIN_EVENT_SUSPENDED, E.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED,
     virt_driver.EVENT_LIFECYCLE_PAUSED),
    (E.VIR_DOMAIN_EVENT_RESUMED, E.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED,
     virt_driver.EVENT_LIFECYCLE_RESUMED),
    (E.VIR_DOMAIN_EVENT_PMSUSPENDED, 0,
     virt_driver.EVENT_LIFECYCLE_SUSPENDED),
    (E.VIR_DOMAIN_EVENT_CRASHED, 0, virt_driver.EVENT_LIFECYCLE_STOPPED),
    (E.VIR_DOMAIN_EVENT_DEFINED, 0, None),
    (E.VIR_DOMAIN_EVENT_UNDEFINED, 0, None),
    # the guest is shutting down but still runs
    (E.VIR_DOMAIN_EVENT_SHUTDOWN, 0, None),
])
def test_translate_event(event, detail, expected):
    assert host.translate_event(event, detail) == expected


def _dom(uuid):
    dom = mock.Mock()
    dom.UUIDString.return_value = uuid
    return dom


def test_queued_events_reach_the_handler_translated():
    seen = []
    h = host.Host('qemu:///system', seen.append)
    h._lifecycle(None, _dom('u1'), E.VIR_DOMAIN_EVENT_STOPPED,
                 E.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, None)
    h._lifecycle(None, _dom('u2'), E.VIR_DOMAIN_EVENT_DEFINED, 0, None)
    h._lifecycle(None, _dom('u3'), E.VIR_DOMAIN_EVENT_STARTED, 0, None)
    h.dispatch_pending()
    assert seen == [
        virt_driver.LifecycleEvent('u1', virt_driver.EVENT_LIFECYCLE_STOPPED),
        virt_driver.LifecycleEvent('u3', virt_driver.EVENT_LIFECYCLE_STARTED)]
    h.dispatch_pending()
    assert len(seen) == 2


def test_a_failing_handler_does_not_stop_delivery():
    seen = []

    def handler(event):
        seen.append(event)
        raise RuntimeError('boom')
    h = host.Host('qemu:///system', handler)
    for uuid in ('a', 'b'):
        h._lifecycle(None, _dom(uuid), E.VIR_DOMAIN_EVENT_STARTED, 0, None)
    h.dispatch_pending()
    assert [e.instance_uuid for e in seen] == ['a', 'b']


def test_closed_connection_is_reopened_on_next_use():
    conns = [mock.Mock(name='c1'), mock.Mock(name='c2')]
    h = host.Host('qemu:///system')
    with mock.patch.object(libvirt, 'open', side_effect=conns) as opened:
        assert h.get_connection() is conns[0]
        assert h.get_connection() is conns[0]
        h._closed(conns[0], 0, None)       # libvirtd went away
        assert h.get_connection() is conns[1]
    assert opened.call_count == 2
    conns[0].close.assert_called_once_with()


def test_unreachable_libvirtd_is_hypervisor_unavailable():
    from novalite import exception
    h = host.Host('qemu:///nowhere')
    with mock.patch.object(libvirt, 'open',
                           side_effect=libvirt.libvirtError('no')):
        with pytest.raises(exception.HypervisorUnavailable):
            h.get_connection()


def test_reconnect_reports_every_guests_state_once():
    """Events lost while libvirtd was away: after a reconnect each guest's
    current state is reported, so the manager re-checks it."""
    def dom(uuid, state):
        d = _dom(uuid)
        d.state.return_value = [state, 0]
        return d
    second = mock.Mock(name='c2')
    second.listAllDomains.return_value = [
        dom('run', E.VIR_DOMAIN_RUNNING), dom('off', E.VIR_DOMAIN_SHUTOFF),
        dom('paused', E.VIR_DOMAIN_PAUSED)]
    seen = []
    h = host.Host('qemu:///system', seen.append)
    with mock.patch.object(host, 'start_event_loop'), \
            mock.patch.object(h, '_start_dispatcher'), \
            mock.patch.object(libvirt, 'open',
                              side_effect=[mock.Mock(name='c1'), second]):
        h.get_connection()
        h.dispatch_pending()
        assert seen == []                   # first connection: nothing
        h._closed(None, 0, None)
        h.get_connection()
    h.dispatch_pending()
    assert seen == [
        virt_driver.LifecycleEvent('run', virt_driver.EVENT_LIFECYCLE_STARTED),
        virt_driver.LifecycleEvent('off', virt_driver.EVENT_LIFECYCLE_STOPPED),
        virt_driver.LifecycleEvent('paused',
                                   virt_driver.EVENT_LIFECYCLE_PAUSED)]
