"""compute/power.py: each action's final state, and failures reverted in
one place (task_state back to None, a fault, the event in Error)."""

from unittest import mock

import pytest

from novalite.compute import power_state as ps
from novalite import exception
from novalite import objects
from tests.unit.compute import fakes


@pytest.fixture
def active(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    compute.build_and_run_instance(ctxt, inst, {}, None, {}, node='cn1')
    return ctxt, objects.Instance.get_by_uuid(ctxt, inst.uuid)


def _act(compute, ctxt, uuid, task_state, action, method, **kwargs):
    inst = objects.Instance.get_by_uuid(ctxt, uuid)
    inst.task_state = task_state
    inst.save()
    objects.InstanceAction.action_start(ctxt, uuid, action)
    getattr(compute, method)(ctxt, inst, **kwargs)
    row = objects.Instance.get_by_uuid(ctxt, uuid)
    return row.vm_state, row.task_state, row.power_state


@pytest.mark.parametrize('steps', [
    [('powering-off', 'stop', 'stop_instance', {},
      ('stopped', None, ps.SHUTDOWN)),
     ('powering-on', 'start', 'start_instance', {},
      ('active', None, ps.RUNNING))],
    [('pausing', 'pause', 'pause_instance', {},
      ('paused', None, ps.PAUSED)),
     ('unpausing', 'unpause', 'unpause_instance', {},
      ('active', None, ps.RUNNING))],
    [('suspending', 'suspend', 'suspend_instance', {},
      ('suspended', None, ps.SUSPENDED)),
     ('resuming', 'resume', 'resume_instance', {},
      ('active', None, ps.RUNNING))],
    [('rebooting', 'reboot', 'reboot_instance', {'reboot_type': 'SOFT'},
      ('active', None, ps.RUNNING))],
    [('powering-off', 'stop', 'stop_instance', {'clean_shutdown': False},
      ('stopped', None, ps.SHUTDOWN)),
     ('rebooting_hard', 'reboot', 'reboot_instance', {'reboot_type': 'HARD'},
      ('active', None, ps.RUNNING))],
])
def test_actions_reach_their_final_states(compute, active, steps):
    ctxt, inst = active
    for task_state, action, method, kwargs, expected in steps:
        assert _act(compute, ctxt, inst.uuid, task_state, action, method,
                    **kwargs) == expected
        assert fakes.events(ctxt, inst.uuid)[-1] == (
            action, 'compute_%s_instance' % action, 'Success')


def test_reboot_walks_pending_and_started(compute, active):
    ctxt, inst = active
    seen = []
    real_save = objects.Instance.save

    def spy(self, expected_task_state=None, expected_vm_state=None):
        seen.append((expected_task_state, self.task_state))
        return real_save(self, expected_task_state=expected_task_state)
    with mock.patch.object(objects.Instance, 'save', spy):
        inst.task_state = 'rebooting_hard'
        real_save(inst)
        compute.reboot_instance(ctxt, inst, 'HARD')
    assert seen == [
        (['rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'],
         'reboot_pending_hard'),
        (['reboot_pending_hard'], 'reboot_started_hard'),
        (['reboot_started_hard'], None)]


def test_failed_stop_reverts_task_state_with_fault_and_event(compute,
                                                             active):
    ctxt, inst = active
    with mock.patch.object(compute.driver, 'power_off',
                           side_effect=exception.VirtDriverError(
                               reason='stuck')):
        state = _act(compute, ctxt, inst.uuid, 'powering-off', 'stop',
                     'stop_instance')
    assert state == ('active', None, ps.RUNNING)
    assert fakes.faults(ctxt, inst.uuid).message == \
        'Virt driver error: stuck'
    assert fakes.events(ctxt, inst.uuid)[-1] == (
        'stop', 'compute_stop_instance', 'Error')
    action = objects.InstanceAction.get_by_request_id(ctxt, inst.uuid,
                                                      ctxt.request_id)
    assert action.message == 'Error'


def test_failed_reboot_leaving_the_guest_down_is_an_error(compute, active):
    ctxt, inst = active

    def crash(*args, **kwargs):
        compute.driver.instances[inst.uuid].state = ps.SHUTDOWN
        raise exception.VirtDriverError(reason='crashed')
    with mock.patch.object(compute.driver, 'reboot', side_effect=crash):
        state = _act(compute, ctxt, inst.uuid, 'rebooting', 'reboot',
                     'reboot_instance', reboot_type='SOFT')
    assert state == ('error', None, ps.SHUTDOWN)
    assert 'crashed' in fakes.faults(ctxt, inst.uuid).message


def test_action_superseded_by_a_delete_changes_nothing(compute, active):
    ctxt, inst = active
    inst.task_state = 'powering-off'
    inst.save()
    stale = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    inst.task_state = 'deleting'
    inst.save()
    compute.stop_instance(ctxt, stale)
    row = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state) == ('active', 'deleting')
    assert fakes.faults(ctxt, inst.uuid) is None
