"""compute/build.py: the state walk of a build, claims, reschedules and
builds that lose their guard to a delete."""

from unittest import mock

import oslo_messaging as messaging
import pytest
from oslo_serialization import jsonutils

from novalite.compute import power_state
from novalite.compute import utils as compute_utils
from novalite import exception
from novalite import objects
from tests.unit.compute import fakes


def _build(compute, ctxt, inst, retry=True, host_list=None):
    props = {'retry': {'num_attempts': 1, 'hosts': [['cn1', 'cn1']]}} \
        if retry else {}
    compute.build_and_run_instance(
        ctxt, inst, {'id': 'img'}, objects.RequestSpec(flavor=inst.flavor),
        props, node='cn1', host_list=host_list or [])
    return objects.Instance.get_by_uuid(ctxt, inst.uuid)


def test_build_walks_states_to_active(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    seen = []
    real_save = objects.Instance.save

    def spy(self, expected_task_state=None, expected_vm_state=None):
        seen.append((expected_task_state, self.task_state))
        return real_save(self, expected_task_state=expected_task_state,
                         expected_vm_state=expected_vm_state)
    with mock.patch.object(objects.Instance, 'save', spy):
        row = _build(compute, ctxt, inst)
    assert seen == [(['scheduling'], 'networking'),
                    (['networking'], 'spawning'),
                    (['spawning'], None)]
    assert (row.vm_state, row.task_state, row.power_state) == (
        'active', None, power_state.RUNNING)
    assert row.launched_at is not None and row.launched_on == 'cn1'
    [vif] = jsonutils.loads(row.network_info)
    assert vif['type'] == 'fixed' and vif['version'] == 4
    assert vif['address'].startswith('10.0.0.')
    assert compute.driver.instance_exists(row)
    node = fakes.node(compute.rt)
    assert (node.vcpus_used, node.memory_mb_used, node.local_gb_used) == (
        1, 512, 1)
    assert fakes.events(ctxt, inst.uuid) == [
        ('create', 'compute_build_and_run_instance', 'Success')]


def test_failed_claim_goes_back_for_a_reschedule(compute):
    ctxt = fakes.ctxt()
    big = fakes.flavor(vcpus=8, name='big')
    inst = fakes.instance(ctxt, host='cn1', flv=big)
    alternate = objects.Selection(service_host='cn2', nodename='cn2')
    row = _build(compute, ctxt, inst, host_list=[alternate])
    assert (row.vm_state, row.task_state, row.host) == (
        'building', 'scheduling', None)
    call = compute.compute_task_api.build_instances.call_args
    assert call.kwargs['host_lists'] == [[alternate]]
    retry = call.kwargs['filter_properties']['retry']
    assert 'Free vcpu 4.00 VCPU < requested 8 VCPU' in retry['exc_reason']
    assert fakes.events(ctxt, inst.uuid) == [
        ('create', 'compute_build_and_run_instance', 'Error')]


def test_failed_spawn_frees_ip_and_claim_then_reschedules(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    with mock.patch.object(compute.driver, 'spawn',
                           side_effect=exception.VirtDriverError(
                               reason='boom')):
        row = _build(compute, ctxt, inst)
    assert (row.task_state, row.host, row.network_info) == (
        'scheduling', None, None)
    assert objects.FixedIPList.get_by_instance_uuid(ctxt, inst.uuid) \
        .objects == []
    assert compute.rt.tracked == {}
    node = fakes.node(compute.rt)
    assert node.vcpus_used == 0
    assert compute.compute_task_api.build_instances.called


def test_failure_without_retry_info_is_an_error_with_a_fault(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    with mock.patch.object(compute.driver, 'spawn',
                           side_effect=exception.VirtDriverError(
                               reason='boom')):
        row = _build(compute, ctxt, inst, retry=False)
    assert (row.vm_state, row.task_state, row.host) == ('error', None, None)
    fault = fakes.faults(ctxt, inst.uuid)
    assert fault.code == 500
    assert 'Virt driver error: boom' in fault.message
    assert not compute.compute_task_api.build_instances.called


def test_no_more_fixed_ips_aborts_without_reschedule(compute, flags):
    flags(group='network', fixed_range='10.9.0.0/30')  # one usable address
    ctxt = fakes.ctxt()
    first = _build(compute, ctxt, fakes.instance(ctxt, host='cn1'))
    assert first.vm_state == 'active'
    second = _build(compute, ctxt, fakes.instance(ctxt, host='cn1'))
    assert second.vm_state == 'error'
    assert 'No fixed IP addresses available' in fakes.faults(
        ctxt, second.uuid).message
    assert not compute.compute_task_api.build_instances.called


def test_delete_during_spawn_stops_the_build(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')

    def delete_meanwhile(*args, **kwargs):
        other = objects.Instance.get_by_uuid(ctxt, inst.uuid)
        other.task_state = 'deleting'
        other.save()
    with mock.patch.object(compute.driver, 'spawn',
                           side_effect=delete_meanwhile):
        row = _build(compute, ctxt, inst)
    assert row.task_state == 'deleting'
    assert not compute.compute_task_api.build_instances.called
    assert compute.rt.tracked == {}
    assert objects.FixedIPList.get_by_instance_uuid(ctxt, inst.uuid) \
        .objects == []


def test_build_of_an_instance_not_scheduling_is_dropped(compute):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1', vm_state='error',
                          task_state=None)
    row = _build(compute, ctxt, inst)
    assert (row.vm_state, row.task_state) == ('error', None)
    assert not compute.driver.instance_exists(row)
    assert compute.rt.tracked == {}


def test_claims_stop_at_the_node_capacity(compute):
    """Of ten builds for a 4-vCPU node at ratio 1.0, four are built."""
    ctxt = fakes.ctxt()
    insts = [fakes.instance(ctxt, host='cn1') for _ in range(10)]
    rows = [_build(compute, ctxt, inst) for inst in insts]
    assert sum(r.vm_state == 'active' for r in rows) == 4
    node = fakes.node(compute.rt)
    assert node.vcpus_used == 4 and node.running_vms == 4


@pytest.mark.parametrize('policy', ['anti-affinity', 'affinity'])
def test_late_group_check_reschedules_exactly_one(compute, policy):
    """Two members scheduled at once onto this host (anti-affinity), or
    one here while the other sits elsewhere (affinity): one steps aside."""
    ctxt = fakes.ctxt()
    first = fakes.instance(ctxt, host='cn1')
    second = fakes.instance(ctxt, host='cn1' if policy == 'anti-affinity'
                            else 'cn9')
    group = mock.Mock(policy=policy, members=[first.uuid, second.uuid])
    spec = objects.RequestSpec(flavor=first.flavor)
    spec.group_uuid = '44444444-4444-4444-4444-444444444444'
    props = {'retry': {'num_attempts': 1, 'hosts': [['cn1', 'cn1']]}}
    with mock.patch.object(objects.InstanceGroup, 'get_by_uuid',
                           return_value=group):
        compute.build_and_run_instance(ctxt, first, {}, spec, dict(props),
                                       node='cn1')
        if policy == 'anti-affinity':
            compute.build_and_run_instance(ctxt, second, {}, spec,
                                           dict(props), node='cn1')
    rows = [objects.Instance.get_by_uuid(ctxt, i.uuid)
            for i in (first, second)]
    if policy == 'anti-affinity':
        assert [(r.vm_state, r.task_state, r.host) for r in rows] == [
            ('building', 'scheduling', None), ('active', None, 'cn1')]
    else:
        assert (rows[0].task_state, rows[0].host) == ('scheduling', None)
    reason = compute.compute_task_api.build_instances.call_args.kwargs[
        'filter_properties']['retry']['exc_reason']
    assert 'group policy was violated' in reason


def test_accepting_save_writes_the_building_host(compute):
    """A build_instances delivered twice (after a conductor died before
    acknowledging it) may assign the row to another host while this one
    already builds it: the save that accepts the build writes this host
    and node, so the row ends where the guest runs."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    other = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    other.host = other.node = 'cn2'
    other.save(expected_task_state=['scheduling'])
    row = _build(compute, ctxt, inst)
    assert (row.vm_state, row.host, row.node) == ('active', 'cn1', 'cn1')


def _lossy_save(fail_after_landing=(), fail_before=()):
    """Instance.save whose reply is lost (MessagingTimeout) for the given
    task states: after the write landed, or before it was made."""
    real_save = objects.Instance.save

    def save(self, expected_task_state=None, expected_vm_state=None):
        state = self.task_state
        if state in fail_before:
            raise messaging.MessagingTimeout('no reply')
        real_save(self, expected_task_state=expected_task_state,
                  expected_vm_state=expected_vm_state)
        if state in fail_after_landing and state not in save.lost:
            save.lost.add(state)
            # The caller still holds its staged changes, as after a real
            # lost reply.
            self._changed_fields.update(['task_state', 'vm_state'])
            raise messaging.MessagingTimeout('reply lost')
    save.lost = set()
    return save


def test_a_lost_reply_to_a_build_save_is_not_a_failure(compute):
    """Regression: a broker restart during the compute's save took the
    reply with it and the build went to ERROR with the fault
    "MessagingTimeout"; the save is sent again and its guard, refused
    because the first one landed, counts as success."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    lossy = _lossy_save(fail_after_landing=('networking', 'spawning', None))
    with mock.patch.object(objects.Instance, 'save', lossy):
        row = _build(compute, ctxt, inst)
    assert lossy.lost == {'networking', 'spawning', None}
    assert (row.vm_state, row.task_state, row.host) == ('active', None,
                                                        'cn1')
    assert not compute.compute_task_api.build_instances.called


def test_a_conductor_out_of_reach_reschedules_with_words_and_host(compute):
    """Regression: when the conductor stayed out of reach during a build
    the fault said only "MessagingTimeout"; the build is rescheduled and
    the reason says what happened and on which host."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    lossy = _lossy_save(fail_before=('spawning',))
    with mock.patch.object(objects.Instance, 'save', lossy):
        _build(compute, ctxt, inst)
    row = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    assert (row.vm_state, row.task_state, row.host) == (
        'building', 'scheduling', None)
    reason = compute.compute_task_api.build_instances.call_args.kwargs[
        'filter_properties']['retry']['exc_reason']
    assert reason.startswith('novalite-compute on cn1 got no answer in '
                             'time from novalite-conductor')
    assert 'MessagingTimeout' not in reason
    assert not compute.driver.instance_exists(row)


def test_messaging_timeout_fault_is_in_words_with_the_host(compute):
    """Regression: an instance fault recorded for a MessagingTimeout had
    the bare class name as its message."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    compute_utils.add_instance_fault_from_exc(
        ctxt, inst, messaging.MessagingTimeout('Timed out waiting'),
        host='cn1')
    fault = fakes.faults(ctxt, inst.uuid)
    assert fault.message.startswith('novalite-compute on cn1 got no answer')
    assert 'may be tried again' in fault.message
    assert fault.code == 503 and fault.host == 'cn1'


def test_duplicate_build_on_the_same_host_keeps_the_first(compute):
    """Regression: a build cast twice to one host (a re-drive of a build
    thought lost) was built a second time; its refused save undid the
    first build's fixed IP and claim while the server stayed ACTIVE."""
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1')
    first = _build(compute, ctxt, inst)
    assert first.vm_state == 'active'
    again = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    again.task_state = 'scheduling'  # as the re-driven cast carried it
    again.vm_state = 'building'
    again.obj_reset_changes()
    row = _build(compute, ctxt, again)
    assert (row.vm_state, row.task_state) == ('active', None)
    assert row.network_info == first.network_info
    [vif] = jsonutils.loads(row.network_info)
    assert objects.FixedIP.get_by_address(
        ctxt, vif['address']).instance_uuid == inst.uuid
    node = fakes.node(compute.rt)
    assert (node.vcpus_used, node.memory_mb_used) == (1, 512)
    assert compute.driver.instance_exists(row)
    assert fakes.events(ctxt, inst.uuid) == [
        ('create', 'compute_build_and_run_instance', 'Success')]
