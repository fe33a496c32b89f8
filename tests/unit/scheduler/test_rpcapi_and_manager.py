"""The scheduler's RPC client and manager: method, arguments, call (not
cast), answers that survive the wire format, NoValidHost as expected."""

from unittest import mock

import oslo_messaging as messaging
import pytest

from novalite import context as nl_context
from novalite import exception
from novalite import objects
from novalite.objects import base as objects_base
from novalite import rpc
from novalite.scheduler import filter_scheduler
from novalite.scheduler import host_manager
from novalite.scheduler import manager as scheduler_manager
from novalite.scheduler import rpcapi
from tests.unit.scheduler import fakes

U1 = '11111111-1111-1111-1111-111111111111'


def test_select_destinations_is_a_call_on_topic_scheduler():
    with mock.patch.object(rpc, 'get_client') as get_client:
        api = rpcapi.SchedulerAPI()
    (target,), kwargs = get_client.call_args
    assert (target.topic, target.version) == ('scheduler', '1.0')
    assert isinstance(kwargs['serializer'],
                      objects_base.NovaliteObjectSerializer)
    client = get_client.return_value
    ctxt = nl_context.get_admin_context()
    spec = fakes.spec()
    answer = api.select_destinations(ctxt, spec, [U1])
    cctxt = client.prepare.return_value
    cctxt.call.assert_called_once_with(
        ctxt, 'select_destinations', request_spec=spec,
        instance_uuids=[U1], return_alternates=True)
    assert answer is cctxt.call.return_value
    assert not cctxt.cast.called

    api.select_destinations(ctxt, spec, (U1,), return_alternates=False,
                            timeout=7)
    client.prepare.assert_called_with(timeout=7)
    assert cctxt.call.call_args.kwargs['return_alternates'] is False


def _manager(flags, sizes=(4096, 2048)):
    flags(group='scheduler', host_state_refresh_seconds=3600)
    hosts = ['h%d' % i for i in range(len(sizes))]
    source = fakes.Source(
        [fakes.compute_node(h, node_id=i + 1, memory_mb=m)
         for i, (h, m) in enumerate(zip(hosts, sizes))],
        [fakes.service(h) for h in hosts])
    with mock.patch.object(rpc, 'get_client'):
        mgr = scheduler_manager.SchedulerManager(host='sched')
    mgr.driver = filter_scheduler.FilterScheduler(
        host_manager.HostManager(source))
    return mgr


def _wire(value):
    """What the RPC serializer makes of ``value`` on the other side."""
    ser = rpc.RequestContextSerializer(
        objects.base.NovaliteObjectSerializer())
    ctxt = nl_context.get_admin_context()
    return ser.deserialize_entity(ctxt, ser.serialize_entity(ctxt, value))


def test_manager_answers_selections_that_cross_the_wire(flags):
    mgr = _manager(flags)
    ctxt = nl_context.get_admin_context()
    result = mgr.select_destinations(ctxt, _wire(fakes.spec()), [U1])
    back = _wire(result)
    assert [[s.service_host for s in entry] for entry in back] == [
        ['h0', 'h1']]
    assert isinstance(back[0][0], objects.Selection)
    assert back[0][0].compute_node_uuid == result[0][0].compute_node_uuid


def test_manager_raises_no_valid_host_as_an_expected_exception(flags):
    mgr = _manager(flags)
    with pytest.raises(messaging.ExpectedException) as err:
        mgr.select_destinations(nl_context.get_admin_context(),
                                fakes.spec(memory_mb=100000), [U1])
    assert isinstance(err.value.exc_info[1], exception.NoValidHost)


def test_manager_prefetch_failure_is_not_fatal(flags):
    mgr = _manager(flags)

    def boom(ctxt):
        raise RuntimeError('no conductor')
    mgr.driver.host_manager.source.compute_nodes = boom
    mgr.post_start_hook()   # logs, does not raise


def test_manager_refreshes_in_the_background():
    with mock.patch.object(rpc, 'get_client'):
        mgr = scheduler_manager.SchedulerManager(host='sched')
    assert mgr.driver.host_manager.background_refresh
    assert isinstance(mgr.driver.host_manager.source,
                      host_manager.ConductorSource)
