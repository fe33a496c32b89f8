"""compute/utils.py (faults, events, the task guard) and the instance
action objects / DB layer they write through."""

import pytest

from novalite.compute import utils as compute_utils
from novalite import exception
from novalite import objects
from tests.unit.compute import fakes


def test_exception_to_fault():
    code, message, details = compute_utils.exception_to_fault(
        exception.NoValidHost(reason='There are not enough hosts available.'))
    assert (code, message) == (
        500, 'No valid host was found. There are not enough hosts '
             'available.')
    code, message, details = compute_utils.exception_to_fault(
        exception.InstanceNotFound(instance_id='x'))
    assert code == 404
    code, message, details = compute_utils.exception_to_fault(
        KeyError('secret internals'))
    assert (code, message) == (500, 'KeyError')
    assert 'secret internals' in details
    long = compute_utils.exception_to_fault(
        exception.VirtDriverError(reason='x' * 400))[1]
    assert len(long) == 255


def test_actions_and_events_round_trip(local_objects):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, action=None)
    action = objects.InstanceAction.action_start(ctxt, inst.uuid, 'stop')
    assert (action.action, action.request_id, action.user_id) == (
        'stop', ctxt.request_id, 'u1')
    objects.InstanceActionEvent.event_start(ctxt, inst.uuid,
                                            'compute_stop_instance',
                                            host='cn1')
    ev = objects.InstanceActionEvent.event_finish(ctxt, inst.uuid,
                                                  'compute_stop_instance')
    assert ev.result == 'Success' and ev.finish_time is not None
    objects.InstanceActionEvent.event_start(ctxt, inst.uuid, 'second')
    try:
        raise exception.VirtDriverError(reason='nope')
    except exception.VirtDriverError as exc:
        import sys
        failed = objects.InstanceActionEvent.event_finish_with_failure(
            ctxt, inst.uuid, 'second', exc_val=exc,
            exc_tb=sys.exc_info()[2])
    assert failed.result == 'Error'
    assert failed.details == 'Virt driver error: nope'
    assert 'raise exception.VirtDriverError' in failed.traceback
    action = objects.InstanceAction.get_by_request_id(ctxt, inst.uuid,
                                                      ctxt.request_id)
    assert action.message == 'Error' and action.finish_time is None
    finished = objects.InstanceAction.action_finish(ctxt, inst.uuid)
    assert finished.finish_time is not None
    events = objects.InstanceActionEventList.get_by_action(ctxt, action.id)
    assert [e.event for e in events] == ['second', 'compute_stop_instance']


def test_action_list_is_newest_first_with_marker(local_objects):
    inst = fakes.instance(fakes.ctxt(), action=None)
    ids = []
    for name in ('create', 'stop', 'start'):
        ctxt = fakes.ctxt()
        objects.InstanceAction.action_start(ctxt, inst.uuid, name)
        ids.append(ctxt.request_id)
    listed = objects.InstanceActionList.get_by_instance_uuid(
        fakes.ctxt(), inst.uuid)
    assert [a.action for a in listed] == ['start', 'stop', 'create']
    page = objects.InstanceActionList.get_by_instance_uuid(
        fakes.ctxt(), inst.uuid, limit=1, marker=ids[2])
    assert [a.action for a in page] == ['stop']
    with pytest.raises(exception.MarkerNotFound):
        objects.InstanceActionList.get_by_instance_uuid(
            fakes.ctxt(), inst.uuid, marker='req-nope')


def test_event_without_action_raises(local_objects):
    inst = fakes.instance(fakes.ctxt(), action=None)
    with pytest.raises(exception.InstanceActionNotFound):
        objects.InstanceActionEvent.event_start(fakes.ctxt(), inst.uuid, 'e')


def test_event_reporter_skips_instances_without_an_action(local_objects):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, action=None)
    with compute_utils.EventReporter(ctxt, 'compute_x', 'cn1', inst.uuid):
        pass
    assert objects.InstanceActionList.get_by_instance_uuid(
        ctxt, inst.uuid).objects == []


def test_instance_task_reverts_once_and_swallows(local_objects):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, vm_state='active', task_state='pausing')
    with compute_utils.instance_task(ctxt, inst, 'compute_pause_instance',
                                     'cn1'):
        inst.vm_state = 'error'   # staged by the body, saved by the revert
        raise exception.VirtDriverError(reason='x')
    row = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state) == ('error', None)
    assert fakes.faults(ctxt, inst.uuid).message == 'Virt driver error: x'
    assert fakes.events(ctxt, inst.uuid) == [
        ('create', 'compute_pause_instance', 'Error')]


def test_event_finish_without_its_start_raises_and_no_result_is_none(
        local_objects):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, action='stop')
    with pytest.raises(exception.InstanceActionEventNotFound):
        objects.InstanceActionEvent.event_finish(ctxt, inst.uuid, 'never')
    assert objects.InstanceActionEvent.event_start(
        ctxt, inst.uuid, 'quiet', want_result=False) is None
    assert objects.InstanceActionEvent.event_finish(
        ctxt, inst.uuid, 'quiet', want_result=False) is None
    [event] = objects.InstanceActionEventList.get_by_action(
        ctxt, objects.InstanceAction.get_by_request_id(
            ctxt, inst.uuid, ctxt.request_id).id)
    assert (event.event, event.result) == ('quiet', 'Success')
    assert event.start_time is not None and event.finish_time is not None
