"""compute/claims.py and compute/resource_tracker.py."""

import threading
import time
from unittest import mock

import pytest

from novalite.compute import claims
from novalite.compute import resource_tracker
from novalite import exception
from novalite import objects
from novalite.virt import fake
from tests.unit.compute import fakes


def test_check_fits_names_every_short_resource():
    limits = {'vcpus': 4, 'memory_mb': 1024, 'disk_gb': 10}
    used = {'vcpus': 3, 'memory_mb': 1000, 'disk_gb': 0}
    claims.check_fits(limits, used, {'vcpus': 1, 'memory_mb': 24,
                                     'disk_gb': 10})
    with pytest.raises(exception.ComputeResourcesUnavailable) as err:
        claims.check_fits(limits, used, {'vcpus': 2, 'memory_mb': 512,
                                         'disk_gb': 1})
    assert err.value.format_message() == (
        'Insufficient compute resources: Free memory 24.00 MB < requested '
        '512 MB, Free vcpu 1.00 VCPU < requested 2 VCPU.')


def test_instance_usage_prefers_the_flavor():
    objects.register_all()
    inst = objects.Instance(vcpus=9, memory_mb=9, root_gb=9, ephemeral_gb=9,
                            flavor=fakes.flavor(vcpus=2, memory_mb=256,
                                                root_gb=3, ephemeral_gb=2))
    assert claims.instance_usage(inst) == {'vcpus': 2, 'memory_mb': 256,
                                           'disk_gb': 5}


@pytest.fixture
def tracker(local_objects, flags):
    flags(host='cn1', reserved_host_memory_mb=512, reserved_host_disk_mb=1,
          reserved_host_cpus=0, cpu_allocation_ratio=2.0,
          ram_allocation_ratio=1.5, disk_allocation_ratio=1.0)
    flags(group='fake_driver', vcpus=2, memory_mb=1024, local_gb=5)
    rt = resource_tracker.ResourceTracker('cn1', fake.FakeDriver())
    rt.update_available_resource(fakes.ctxt())
    return rt


def _node(tracker):
    return fakes.node(tracker)


def test_node_row_starts_with_reserved_usage_and_ratios(tracker):
    node = _node(tracker)
    assert (node.vcpus, node.memory_mb, node.local_gb) == (2, 1024, 5)
    assert (node.vcpus_used, node.memory_mb_used, node.local_gb_used) == (
        0, 512, 1)
    assert node.free_ram_mb == 512
    assert (node.cpu_allocation_ratio, node.ram_allocation_ratio,
            node.disk_allocation_ratio) == (2.0, 1.5, 1.0)
    assert node.hypervisor_type == 'fake'


def test_claims_honour_ratios_and_reserved(tracker):
    ctxt = fakes.ctxt()
    # RAM limit 1024 * 1.5 = 1536, 512 reserved: two 512 MiB servers fit.
    a = fakes.instance(ctxt, host='cn1', action=None)
    b = fakes.instance(ctxt, host='cn1', action=None)
    c = fakes.instance(ctxt, host='cn1', action=None)
    tracker.instance_claim(ctxt, a, 'cn1')
    tracker.instance_claim(ctxt, b, 'cn1')
    with pytest.raises(exception.ComputeResourcesUnavailable):
        tracker.instance_claim(ctxt, c, 'cn1')
    node = _node(tracker)
    assert (node.vcpus_used, node.memory_mb_used, node.running_vms) == (
        2, 1536, 2)
    assert a.host == 'cn1' and a.node == 'cn1'
    tracker.drop_instance(ctxt, a)
    assert _node(tracker).memory_mb_used == 1024
    tracker.instance_claim(ctxt, c, 'cn1')
    # A second claim for a tracked instance takes nothing more.
    tracker.instance_claim(ctxt, c, 'cn1')
    assert _node(tracker).memory_mb_used == 1536


def test_claim_context_manager_aborts_on_error(tracker):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1', action=None)
    with pytest.raises(RuntimeError):
        with tracker.instance_claim(ctxt, inst, 'cn1'):
            raise RuntimeError()
    assert tracker.tracked == {}
    assert _node(tracker).memory_mb_used == 512


def test_racing_claims_never_overcommit(tracker):
    """Threads claim at once while every node save is slow."""
    ctxt = fakes.ctxt()
    insts = [fakes.instance(ctxt, host='cn1', action=None) for _ in range(8)]
    granted = []
    real_save = objects.ComputeNode.save

    def slow_save(self):
        time.sleep(0.01)
        return real_save(self)

    def claim(inst):
        try:
            tracker.instance_claim(ctxt, inst, 'cn1')
            granted.append(inst.uuid)
        except exception.ComputeResourcesUnavailable:
            pass
    with mock.patch.object(objects.ComputeNode, 'save', slow_save):
        threads = [threading.Thread(target=claim, args=(i,)) for i in insts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(granted) == 2
    assert _node(tracker).memory_mb_used == 1536


def test_refresh_counts_settled_instances_and_forgets_gone_ones(tracker):
    ctxt = fakes.ctxt()
    settled = fakes.instance(ctxt, host='cn1', action=None,
                             vm_state='active', task_state=None)
    fakes.instance(ctxt, host='cn1', action=None)  # building, unclaimed
    fakes.instance(ctxt, host='cn2', action=None, vm_state='active',
                   task_state=None)
    tracker.update_available_resource(ctxt)
    assert set(tracker.tracked) == {settled.uuid}
    assert _node(tracker).memory_mb_used == 1024
    settled.destroy()
    tracker.update_available_resource(ctxt)
    assert tracker.tracked == {}
    assert _node(tracker).memory_mb_used == 512


def test_claim_during_a_refresh_is_not_lost(tracker):
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, host='cn1', action=None)
    real = objects.InstanceList.get_by_host

    def list_then_claim(context, host, expected_attrs=None):
        result = real(context, host)
        tracker.instance_claim(ctxt, inst, 'cn1')
        return result
    with mock.patch.object(objects.InstanceList, 'get_by_host',
                           side_effect=list_then_claim):
        tracker.update_available_resource(ctxt)
    assert inst.uuid in tracker.tracked
    assert _node(tracker).memory_mb_used == 1024


def test_node_writes_are_coalesced_but_never_lost(tracker):
    ctxt = fakes.ctxt()
    insts = [fakes.instance(ctxt, host='cn1', action=None,
                            flv=fakes.flavor(memory_mb=64, root_gb=0))
             for _ in range(4)]
    saves = []
    real_save = objects.ComputeNode.save

    def slow_save(self):
        saves.append(self.memory_mb_used)
        time.sleep(0.05)
        return real_save(self)
    with mock.patch.object(objects.ComputeNode, 'save', slow_save):
        for inst in insts:
            tracker.instance_claim(ctxt, inst, 'cn1')
        tracker.flush()
    assert 1 <= len(saves) < len(insts)
    assert saves[-1] == 512 + 4 * 64
    assert _node(tracker).memory_mb_used == 512 + 4 * 64


def test_changes_within_the_write_delay_go_out_in_one_write(tracker):
    # A claim and its abort, then two claims, all within WRITE_DELAY: the
    # node is written once, with the final usage, after the delay.
    ctxt = fakes.ctxt()
    a, b, c = [fakes.instance(ctxt, host='cn1', action=None,
                              flv=fakes.flavor(memory_mb=64, root_gb=0))
               for _ in range(3)]
    saves = []
    real_save = objects.ComputeNode.save

    def counting_save(self):
        saves.append((time.monotonic(), self.memory_mb_used))
        return real_save(self)
    with mock.patch.object(objects.ComputeNode, 'save', counting_save):
        start = time.monotonic()
        tracker.instance_claim(ctxt, a, 'cn1').abort()
        tracker.instance_claim(ctxt, b, 'cn1')
        tracker.instance_claim(ctxt, c, 'cn1')
        assert saves == []  # nothing written on the claims' path
        tracker.flush()
    assert [used for _at, used in saves] == [512 + 2 * 64]
    assert saves[0][0] - start >= resource_tracker.WRITE_DELAY


def test_failed_node_write_is_retried_with_the_next_change(tracker):
    ctxt = fakes.ctxt()
    a = fakes.instance(ctxt, host='cn1', action=None)
    with mock.patch.object(objects.ComputeNode, 'save',
                           side_effect=RuntimeError('conductor away')):
        tracker.instance_claim(ctxt, a, 'cn1')
        tracker.flush()
    assert _node(tracker).memory_mb_used == 512
    tracker.update_available_resource(ctxt)
    assert _node(tracker).memory_mb_used == 1024
