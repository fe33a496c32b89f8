"""conductor/build.py: scheduling, guarded host assignment, casts with
alternates, reschedules, "No valid host" and orphaned builds."""

import datetime
from unittest import mock

import oslo_messaging as messaging
import pytest

from novalite.conductor import build
from novalite import exception
from novalite import objects
from tests.unit.compute import fakes


def _sel(host):
    return objects.Selection(service_host=host, nodename=host,
                             compute_node_uuid=None)


@pytest.fixture
def conductor(local_objects, flags):
    flags(host='conductor')
    flags(group='scheduler', max_attempts=3)
    return build.BuildConductor(mock.Mock(), mock.Mock(), host='conductor')


def _spec(flv=None):
    return objects.RequestSpec(flavor=flv or fakes.flavor(),
                               num_instances=1, scheduler_hints={},
                               retry_hosts=[], num_attempts=0)


def _row(ctxt, uuid):
    return objects.Instance.get_by_uuid(ctxt, uuid)


def test_schedules_assigns_and_casts_with_alternates(conductor):
    ctxt = fakes.ctxt()
    a, b = fakes.instance(ctxt), fakes.instance(ctxt)
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1'), _sel('cn2'), _sel('cn3')], [_sel('cn2'), _sel('cn1')]]
    conductor.build_instances(ctxt, [a, b], {'id': 'img'}, _spec())
    assert _row(ctxt, a.uuid).host == 'cn1'
    assert _row(ctxt, b.uuid).host == 'cn2'
    assert _row(ctxt, a.uuid).task_state == 'scheduling'
    casts = conductor.compute_rpcapi.build_and_run_instance.call_args_list
    first = casts[0]
    assert first.args[2] == 'cn1'
    assert [s.service_host for s in first.kwargs['host_list']] == [
        'cn2', 'cn3']
    assert first.kwargs['filter_properties']['retry'] == {
        'num_attempts': 1, 'hosts': [['cn1', 'cn1']]}
    assert first.args[4].instance_uuid == a.uuid
    assert first.args[4].num_instances == 1
    assert casts[1].kwargs['filter_properties']['retry']['hosts'] == [
        ['cn2', 'cn2']]
    assert fakes.events(ctxt, a.uuid) == [
        ('create', 'conductor_schedule_and_build_instances', 'Success')]


def test_no_valid_host_puts_every_instance_in_error(conductor):
    ctxt = fakes.ctxt()
    a, b = fakes.instance(ctxt), fakes.instance(ctxt)
    conductor.scheduler_client.select_destinations.side_effect = \
        exception.NoValidHost(reason='There are not enough hosts available.')
    conductor.build_instances(ctxt, [a, b], {}, _spec())
    for inst in (a, b):
        row = _row(ctxt, inst.uuid)
        assert (row.vm_state, row.task_state) == ('error', None)
        fault = fakes.faults(ctxt, inst.uuid)
        assert (fault.code, fault.message) == (
            500, 'No valid host was found. There are not enough hosts '
                 'available.')
        assert fakes.events(ctxt, inst.uuid) == [
            ('create', 'conductor_schedule_and_build_instances', 'Error')]
    assert not conductor.compute_rpcapi.build_and_run_instance.called


def test_reschedule_takes_the_next_alternate(conductor):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    props = {'retry': {'num_attempts': 1, 'hosts': [['cn1', 'cn1']],
                       'exc_reason': 'boom'}}
    conductor.build_instances(ctxt, [inst], {}, _spec(),
                              host_lists=[[_sel('cn2'), _sel('cn3')]],
                              filter_properties=props)
    assert not conductor.scheduler_client.select_destinations.called
    cast = conductor.compute_rpcapi.build_and_run_instance.call_args
    assert cast.args[2] == 'cn2'
    assert [s.service_host for s in cast.kwargs['host_list']] == ['cn3']
    retry = cast.kwargs['filter_properties']['retry']
    assert retry['num_attempts'] == 2
    assert retry['hosts'] == [['cn1', 'cn1'], ['cn2', 'cn2']]
    assert cast.args[4].retry_hosts == ['cn1', 'cn2']


def test_reschedule_without_alternates_asks_the_scheduler(conductor):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    props = {'retry': {'num_attempts': 1, 'hosts': [['cn1', 'cn1']]}}
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn4')]]
    conductor.build_instances(ctxt, [inst], {}, _spec(), host_lists=[[]],
                              filter_properties=props)
    spec = conductor.scheduler_client.select_destinations.call_args.args[1]
    assert spec.retry_hosts == ['cn1'] and spec.num_attempts == 2
    assert _row(ctxt, inst.uuid).host == 'cn4'


def test_attempts_spent_is_no_valid_host(conductor):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    props = {'retry': {'num_attempts': 3, 'hosts': [['a', 'a'], ['b', 'b'],
                                                    ['c', 'c']],
                       'exc_reason': 'fake spawn failure on c'}}
    conductor.build_instances(ctxt, [inst], {}, _spec(),
                              host_lists=[[_sel('d')]],
                              filter_properties=props)
    fault = fakes.faults(ctxt, inst.uuid)
    assert fault.message == (
        'No valid host was found. Exceeded max scheduling attempts 3 for '
        'instance %s. Last exception: fake spawn failure on c' % inst.uuid)
    assert not conductor.compute_rpcapi.build_and_run_instance.called


def test_max_attempts_one_disables_retry(conductor, flags):
    flags(group='scheduler', max_attempts=1)
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1')]]
    conductor.build_instances(ctxt, [inst], {}, _spec())
    cast = conductor.compute_rpcapi.build_and_run_instance.call_args
    assert 'retry' not in cast.kwargs['filter_properties']


def test_scheduler_timeouts_are_retried(conductor):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    conductor.scheduler_client.select_destinations.side_effect = [
        messaging.MessagingTimeout(), [[_sel('cn1')]]]
    conductor.build_instances(ctxt, [inst], {}, _spec())
    assert _row(ctxt, inst.uuid).host == 'cn1'
    conductor.scheduler_client.select_destinations.side_effect = \
        messaging.MessagingTimeout()
    other = fakes.instance(ctxt)
    conductor.build_instances(ctxt, [other], {}, _spec())
    assert fakes.faults(ctxt, other.uuid).message == (
        'No valid host was found. The scheduler did not answer.')
    assert conductor.scheduler_client.select_destinations.call_count == \
        2 + build.SCHEDULER_CALL_ATTEMPTS


def test_instance_deleted_while_scheduling_is_not_built(conductor):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)

    def delete_meanwhile(*args, **kwargs):
        row = _row(ctxt, inst.uuid)
        row.task_state = 'deleting'
        row.save()
        return [[_sel('cn1')]]
    conductor.scheduler_client.select_destinations.side_effect = \
        delete_meanwhile
    conductor.build_instances(ctxt, [inst], {}, _spec())
    assert _row(ctxt, inst.uuid).host is None
    assert not conductor.compute_rpcapi.build_and_run_instance.called


def test_group_details_are_filled(conductor):
    ctxt = fakes.ctxt()
    placed = fakes.instance(ctxt, host='cn7', vm_state='active',
                            task_state=None)
    inst = fakes.instance(ctxt)
    group = mock.Mock(policy='anti-affinity',
                      members=[placed.uuid, inst.uuid])
    spec = _spec()
    spec.group_uuid = '33333333-3333-3333-3333-333333333333'
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1')]]
    with mock.patch.object(objects.InstanceGroup, 'get_by_uuid',
                           return_value=group):
        conductor.build_instances(ctxt, [inst], {}, spec)
    sent = conductor.scheduler_client.select_destinations.call_args.args[1]
    assert sent.group_policy == 'anti-affinity'
    assert sent.group_hosts == ['cn7']
    assert sent.group_members == [placed.uuid, inst.uuid]


def test_orphaned_builds_are_found_and_redriven(conductor):
    ctxt = fakes.ctxt()
    old = fakes.instance(ctxt, system_metadata={
        'image_architecture': 'x86_64'}, availability_zone='az1')
    assigned = fakes.instance(ctxt, host='cn1')
    in_flight = fakes.instance(ctxt)
    conductor.in_flight.add(in_flight.uuid)
    later = datetime.datetime.utcnow() + datetime.timedelta(seconds=5)
    orphans = conductor.orphaned_builds(ctxt, later)
    assert [o.uuid for o in orphans] == [old.uuid]
    assert conductor.orphaned_builds(
        ctxt, datetime.datetime(2000, 1, 1)) == []

    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn2')]]
    conductor.redrive_build(ctxt, orphans[0])
    spec = conductor.scheduler_client.select_destinations.call_args.args[1]
    assert spec.image_properties == {'architecture': 'x86_64'}
    assert spec.availability_zone == 'az1'
    assert spec.flavor.vcpus == 1
    assert _row(ctxt, old.uuid).host == 'cn2'
    assert _row(ctxt, assigned.uuid).host == 'cn1'


def test_accepting_a_request_records_its_create_actions(conductor):
    ctxt = fakes.ctxt()
    a, b = fakes.instance(ctxt, action=None), fakes.instance(ctxt,
                                                               action=None)
    assert conductor.accept_request(ctxt, [a, b])
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1')], [_sel('cn2')]]
    conductor.build_instances(ctxt, [a, b], {'id': 'img'}, _spec())
    for inst in (a, b):
        assert fakes.events(ctxt, inst.uuid) == [
            ('create', 'conductor_schedule_and_build_instances', 'Success')]


def test_quota_recheck_failing_puts_the_request_in_error(conductor, flags):
    ctxt = fakes.ctxt()
    flags(group='quota', instances=1)
    a, b = fakes.instance(ctxt, action=None), fakes.instance(ctxt,
                                                               action=None)
    assert not conductor.accept_request(ctxt, [a, b])
    for inst in (a, b):
        row = _row(ctxt, inst.uuid)
        assert (row.vm_state, row.task_state) == ('error', None)
        fault = fakes.faults(ctxt, inst.uuid)
        assert fault.code == 403
        assert fault.message.startswith('Quota exceeded for instances')
    flags(group='quota', recheck_quota=False)
    c = fakes.instance(ctxt, action=None)
    assert conductor.accept_request(ctxt, [c])


def _tried_on(ctxt, inst, host):
    """The events a first attempt on ``host`` leaves in the create
    action: the conductor's scheduling pass and the compute's build."""
    objects.InstanceActionEvent.event_start(ctxt, inst.uuid, build.EVENT)
    objects.InstanceActionEvent.event_start(ctxt, inst.uuid,
                                            build.COMPUTE_EVENT, host=host)


def test_build_interrupted_by_a_compute_crash_is_rescheduled(conductor):
    """Regression: a compute killed mid-build put the build in ERROR
    ("... restarted during the build"); handed back, it is scheduled again
    on another host, counting the attempt made and excluding the hosts
    tried, and its events land in the user's create action."""
    ctxt = fakes.ctxt(request_id='req-create')
    inst = fakes.instance(ctxt)
    _tried_on(ctxt, inst, 'cn1')
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn2')]]
    restart_ctxt = fakes.ctxt(request_id='req-restart')
    conductor.redrive_build(restart_ctxt, inst, failed_host='cn1',
                            reason='novalite-compute on cn1 restarted '
                                   'during the build')
    spec = conductor.scheduler_client.select_destinations.call_args.args[1]
    assert spec.retry_hosts == ['cn1'] and spec.num_attempts == 2
    assert spec.flavor.vcpus == 1
    cast = conductor.compute_rpcapi.build_and_run_instance.call_args
    assert cast.args[0].request_id == 'req-create'
    assert cast.args[2] == 'cn2'
    assert cast.kwargs['filter_properties']['retry']['hosts'] == [
        ['cn1', 'cn1'], ['cn2', 'cn2']]
    assert _row(ctxt, inst.uuid).host == 'cn2'
    assert [e[1] for e in fakes.events(ctxt, inst.uuid)].count(
        build.EVENT) == 2


def test_interrupted_build_with_attempts_spent_is_error_naming_why(
        conductor):
    ctxt = fakes.ctxt(request_id='req-create')
    inst = fakes.instance(ctxt)
    for host in ('cn1', 'cn2', 'cn3'):
        _tried_on(ctxt, inst, host)
    conductor.redrive_build(ctxt, inst, failed_host='cn3',
                            reason='novalite-compute on cn3 restarted '
                                   'during the build')
    row = _row(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state) == ('error', None)
    fault = fakes.faults(ctxt, inst.uuid)
    assert fault.message.startswith('No valid host was found. Exceeded max '
                                    'scheduling attempts 3')
    assert fault.message.endswith('Last exception: novalite-compute on cn3 '
                                  'restarted during the build')
    assert not conductor.scheduler_client.select_destinations.called


def test_interrupted_build_without_rescheduling_is_error_naming_why(
        conductor, flags):
    flags(group='scheduler', max_attempts=1)
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt)
    conductor.redrive_build(ctxt, inst, failed_host='cn1',
                            reason='novalite-compute on cn1 restarted '
                                   'during the build')
    assert _row(ctxt, inst.uuid).vm_state == 'error'
    assert fakes.faults(ctxt, inst.uuid).message == (
        'Build of instance %s aborted: novalite-compute on cn1 restarted '
        'during the build' % inst.uuid)


def test_a_build_whose_request_never_arrived_gets_a_create_action(
        conductor):
    """A build whose api cast was lost has no create action yet: one is
    started so that its events (and any failure) are shown to the user."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, action=None)
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1')]]
    conductor.redrive_build(fakes.ctxt(), inst)
    assert fakes.events(ctxt, inst.uuid) == [
        ('create', build.EVENT, 'Success')]
    assert _row(ctxt, inst.uuid).host == 'cn1'


def test_a_failed_cast_does_not_stop_the_rest_of_the_request(conductor):
    """A cast refused by the broker leaves that build assigned (its
    compute hands it back); the other builds of the request go on."""
    ctxt = fakes.ctxt()
    a, b = fakes.instance(ctxt), fakes.instance(ctxt)
    conductor.scheduler_client.select_destinations.return_value = [
        [_sel('cn1')], [_sel('cn2')]]
    conductor.compute_rpcapi.build_and_run_instance.side_effect = [
        messaging.MessageDeliveryFailure('broker away'), None]
    conductor.build_instances(ctxt, [a, b], {}, _spec())
    assert conductor.compute_rpcapi.build_and_run_instance.call_count == 2
    assert (_row(ctxt, a.uuid).host, _row(ctxt, b.uuid).host) == (
        'cn1', 'cn2')
