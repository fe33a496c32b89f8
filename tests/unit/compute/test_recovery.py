"""compute/recovery.py: init_host after a restart, power sync, timeouts."""

import datetime
import time
from unittest import mock

from novalite.compute import build
from novalite.compute import manager as compute_manager
from novalite.compute import power_state as ps
from novalite.compute import recovery
from novalite import objects
from tests.unit.compute import fakes


def _restart(compute):
    """A fresh manager on the same host: the fake guests are gone."""
    with mock.patch('novalite.green.spawn_n',
                    side_effect=lambda f, *a, **k: f(*a, **k)):
        mgr = compute_manager.ComputeManager(host='cn1')
        mgr.compute_task_api = mock.Mock()
        mgr.consoleauth_api = mock.Mock()
        mgr.init_host()
    return mgr


def _row(ctxt, uuid):
    return objects.Instance.get_by_uuid(ctxt, uuid)


def test_restart_settles_every_transient_state(compute):
    ctxt = fakes.ctxt()
    make = lambda **kw: fakes.instance(ctxt, host='cn1', action=None, **kw)
    building = make(task_state='spawning')
    scheduling = make(task_state='scheduling')
    active = make(vm_state='active', task_state=None, power_state=ps.RUNNING)
    stopping = make(vm_state='active', task_state='powering-off',
                    power_state=ps.RUNNING)
    starting = make(vm_state='stopped', task_state='powering-on',
                    power_state=ps.SHUTDOWN)
    rebooting = make(vm_state='active', task_state='reboot_started',
                     power_state=ps.RUNNING)
    pausing = make(vm_state='active', task_state='pausing',
                   power_state=ps.RUNNING)
    resuming = make(vm_state='suspended', task_state='resuming',
                    power_state=ps.SUSPENDED)
    paused = make(vm_state='paused', task_state=None, power_state=ps.PAUSED)
    deleting = make(vm_state='active', task_state='deleting',
                    power_state=ps.RUNNING)

    mgr = _restart(compute)

    expect = {
        building: ('building', 'scheduling'),
        scheduling: ('building', 'scheduling'),
        active: ('active', None), stopping: ('stopped', None),
        starting: ('active', None), rebooting: ('active', None),
        pausing: ('paused', None), resuming: ('active', None),
        paused: ('paused', None),
    }
    for inst, states in expect.items():
        row = _row(ctxt, inst.uuid)
        assert (row.vm_state, row.task_state) == states, inst.task_state
    # Interrupted builds go back to the conductor (a reschedule), not to
    # ERROR; they left this host.
    handed = {c.args[1].uuid: c.kwargs
              for c in mgr.compute_task_api.resume_build.call_args_list}
    assert set(handed) == {building.uuid, scheduling.uuid}
    for inst in (building, scheduling):
        assert _row(ctxt, inst.uuid).host is None
        assert handed[inst.uuid]['failed_host'] == 'cn1'
        assert 'novalite-compute on cn1 restarted during the build' == \
            handed[inst.uuid]['reason']
        assert fakes.faults(ctxt, inst.uuid) is None
    assert _row(ctxt, paused.uuid).power_state == ps.PAUSED
    assert mgr.driver.get_info(paused).state == ps.PAUSED
    assert mgr.driver.get_info(stopping).state == ps.SHUTDOWN
    deleted = objects.InstanceList.get_by_filters(
        ctxt, {'uuid': [deleting.uuid]})
    assert deleted.objects == []
    # Usage counts the settled instances, not the builds handed back.
    assert set(mgr.rt.tracked) == {i.uuid for i in expect} - {
        building.uuid, scheduling.uuid}


def test_restart_with_a_real_hypervisor_missing_the_guest(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1', action=None, vm_state='active',
                          task_state='powering-off', power_state=ps.RUNNING)
    with mock.patch('novalite.virt.fake.FakeDriver.restore_instance_state',
                    return_value=False):
        _restart(compute)
    row = _row(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state, row.power_state) == (
        'stopped', None, ps.NOSTATE)


def test_power_sync_stops_an_active_instance_whose_guest_is_off(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    compute.build_and_run_instance(ctxt, inst, {}, None, {}, node='cn1')
    compute.driver.instances[inst.uuid].state = ps.SHUTDOWN
    recovery.sync_power_states(compute, ctxt)
    row = _row(ctxt, inst.uuid)
    assert (row.vm_state, row.power_state) == ('stopped', ps.SHUTDOWN)


def test_power_sync_leaves_busy_instances_alone(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    compute.build_and_run_instance(ctxt, inst, {}, None, {}, node='cn1')
    row = _row(ctxt, inst.uuid)
    row.task_state = 'powering-off'
    row.save()
    compute.driver.instances[inst.uuid].state = ps.SHUTDOWN
    recovery.sync_power_states(compute, ctxt)
    assert _row(ctxt, inst.uuid).vm_state == 'active'


def test_build_timeout_fails_old_builds(compute, flags):
    flags(instance_build_timeout=60)
    ctxt = fakes.ctxt()
    stuck = fakes.instance(ctxt, host='cn1', action=None,
                           task_state='spawning')
    young = fakes.instance(ctxt, host='cn1', action=None,
                           task_state='spawning')
    stuck.created_at = datetime.datetime(2000, 1, 1)
    stuck.save()
    recovery.check_build_timeouts(compute, ctxt)
    assert _row(ctxt, stuck.uuid).vm_state == 'error'
    assert fakes.faults(ctxt, stuck.uuid).message == \
        'Build of instance %s timed out.' % stuck.uuid
    assert _row(ctxt, young.uuid).vm_state == 'building'


def test_builds_never_received_are_handed_back_not_failed(compute, flags):
    """Regression: builds whose cast a broker restart lost sat in
    scheduling until this check put them in ERROR ("the build request
    never reached novalite-compute"); they are sent back to the conductor
    for a reschedule without this host."""
    flags(instance_build_timeout=0)
    ctxt = fakes.ctxt()
    lost = fakes.instance(ctxt, host='cn1', action=None)
    received = fakes.instance(ctxt, host='cn1', action=None)
    compute.builds_in_flight.add(received.uuid)
    with mock.patch('oslo_utils.timeutils.is_older_than',
                    return_value=True):
        recovery.check_build_timeouts(compute, ctxt)
    row = _row(ctxt, lost.uuid)
    assert (row.vm_state, row.task_state, row.host) == (
        'building', 'scheduling', None)
    assert fakes.faults(ctxt, lost.uuid) is None
    [call] = compute.compute_task_api.resume_build.call_args_list
    assert call.args[1].uuid == lost.uuid
    assert call.kwargs == {
        'failed_host': 'cn1',
        'reason': 'the build request never reached novalite-compute on cn1'}
    assert _row(ctxt, received.uuid).host == 'cn1'


def test_a_stalled_build_is_handed_back(compute, flags):
    """A build stopped half way (it could not even reschedule itself
    while the conductor was unreachable) is handed back once old, its
    fixed IP freed."""
    flags(instance_build_timeout=0)
    ctxt = fakes.ctxt()
    stalled = fakes.instance(ctxt, host='cn1', action=None,
                             task_state='spawning')
    compute.network_api.allocate_for_instance(ctxt, stalled, 'cn1')
    time.sleep(0.01)
    young = fakes.instance(ctxt, host='cn1', action=None,
                           task_state='spawning')
    # Only the first is old enough.
    with mock.patch('oslo_utils.timeutils.is_older_than',
                    side_effect=lambda t, age: t < young.created_at):
        recovery.check_build_timeouts(compute, ctxt)
    row = _row(ctxt, stalled.uuid)
    assert (row.task_state, row.host) == ('scheduling', None)
    assert objects.FixedIPList.get_by_instance_uuid(
        ctxt, stalled.uuid).objects == []
    [call] = compute.compute_task_api.resume_build.call_args_list
    assert 'stopped while spawning' in call.kwargs['reason']
    assert _row(ctxt, young.uuid).task_state == 'spawning'


def test_hand_back_loses_to_a_build_accepted_meanwhile(compute):
    """The hand-back's save is guarded by the state the build was found
    in: a build that got going meanwhile is left alone, so it never runs
    here and elsewhere at once."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1', action=None)
    accepted = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    accepted.task_state = 'networking'
    accepted.save(expected_task_state=['scheduling'])
    assert not build.hand_back(compute, ctxt, inst, 'lost')
    assert _row(ctxt, inst.uuid).host == 'cn1'
    assert not compute.compute_task_api.resume_build.called


def test_image_cache_pass_hands_this_hosts_instances_to_the_driver(compute):
    ctxt = fakes.ctxt()
    mine = fakes.instance(ctxt, host='cn1', action=None, vm_state='active',
                          task_state=None)
    fakes.instance(ctxt, host='cn2', action=None, vm_state='active',
                   task_state=None)
    with mock.patch.object(compute.driver, 'manage_image_cache',
                           return_value=['img-old']) as manage:
        compute.run_image_cache_manager_pass(ctxt)
    (_ctx, instances), _kw = manage.call_args
    assert [i.uuid for i in instances] == [mine.uuid]


def test_image_cache_pass_disabled_and_spacing_from_config(compute, flags):
    assert compute._periodic_spacing['run_image_cache_manager_pass'] == 2400
    flags(group='image', image_cache_manager_interval=-1)
    with mock.patch.object(compute.driver, 'manage_image_cache') as manage:
        compute.run_image_cache_manager_pass(fakes.ctxt())
    manage.assert_not_called()
    flags(group='image', image_cache_manager_interval=0)
    flags(update_resources_interval=120)
    mgr = compute_manager.ComputeManager(host='cn1')
    assert mgr._periodic_spacing['run_image_cache_manager_pass'] == 60
    assert mgr._periodic_spacing['update_available_resource'] == 120
