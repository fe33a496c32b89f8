"""compute/terminate.py and compute/console.py."""

from unittest import mock

import oslo_messaging as messaging
import pytest

from novalite.compute import console
from novalite import exception
from novalite import objects
from tests.unit.compute import fakes


@pytest.fixture
def active(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    compute.build_and_run_instance(ctxt, inst, {}, None, {}, node='cn1')
    return ctxt, objects.Instance.get_by_uuid(ctxt, inst.uuid)


def test_terminate_frees_everything(compute, active):
    ctxt, inst = active
    inst.task_state = 'deleting'
    inst.save()
    objects.InstanceAction.action_start(ctxt, inst.uuid, 'delete')
    compute.terminate_instance(ctxt, inst)
    with pytest.raises(exception.InstanceNotFound):
        objects.Instance.get_by_uuid(ctxt, inst.uuid)
    gone = objects.Instance.get_by_uuid(ctxt.elevated(read_deleted='yes'),
                                        inst.uuid)
    assert (gone.vm_state, gone.task_state, gone.deleted) == (
        'deleted', None, True)
    assert gone.terminated_at is not None
    assert not compute.driver.instance_exists(inst)
    assert objects.FixedIPList.get_by_instance_uuid(ctxt, inst.uuid) \
        .objects == []
    node = fakes.node(compute.rt)
    assert node.vcpus_used == 0
    compute.consoleauth_api.delete_tokens_for_instance.assert_called_once_with(
        ctxt, inst.uuid)
    assert fakes.events(ctxt, inst.uuid)[-1] == (
        'delete', 'compute_terminate_instance', 'Success')


def test_failed_terminate_is_an_error_with_a_fault(compute, active):
    ctxt, inst = active
    inst.task_state = 'deleting'
    inst.save()
    with mock.patch.object(compute.driver, 'destroy',
                           side_effect=exception.VirtDriverError(
                               reason='busy')):
        compute.terminate_instance(ctxt, inst)
    row = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state) == ('error', None)
    assert fakes.faults(ctxt, inst.uuid).message == 'Virt driver error: busy'


def test_vnc_console_info_and_port_validation(compute, active, flags):
    ctxt, inst = active
    flags(group='vnc', novncproxy_base_url='http://h:6080/vnc_auto.html')
    info = compute.get_vnc_console(ctxt, inst, 'novnc')
    assert info['access_url'] == (
        'http://h:6080/vnc_auto.html?path=%%3Ftoken%%3D%s' % info['token'])
    assert info['internal_access_path'] is None
    assert compute.validate_console_port(ctxt, inst, info['port'], 'novnc')
    assert compute.validate_console_port(ctxt, inst, str(info['port']),
                                         'novnc')
    assert not compute.validate_console_port(ctxt, inst, 1, 'novnc')
    with pytest.raises(exception.ConsoleTypeInvalid):
        console.get_vnc_console(compute, ctxt, inst, 'xvpvnc-bogus')
    # Over RPC the manager marks these as expected (no traceback logged).
    with pytest.raises(messaging.ExpectedException):
        compute.get_vnc_console(ctxt, inst, 'xvpvnc-bogus')
    flags(group='vnc', enabled=False)
    with pytest.raises(exception.ConsoleTypeUnavailable):
        console.get_vnc_console(compute, ctxt, inst, 'novnc')


def test_console_output_tail(compute, active):
    ctxt, inst = active
    full = compute.get_console_output(ctxt, inst)
    assert full.endswith('login:\n')
    assert compute.get_console_output(ctxt, inst, tail_length=1) == 'login:'
    assert compute.get_console_output(ctxt, inst, tail_length=0) == ''
