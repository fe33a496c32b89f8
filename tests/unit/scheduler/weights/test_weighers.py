"""RAM, CPU and disk weighers: normalisation, multipliers, stacking."""

import pytest

from novalite.scheduler import weights
from novalite.scheduler.weights import cpu
from novalite.scheduler.weights import disk
from novalite.scheduler.weights import ram
from tests.unit.scheduler import fakes


def _hosts():
    # a: most free RAM, least free disk; c: most free vCPUs.
    return [fakes.host_state('a', memory_mb=8192, local_gb=10, vcpus=2),
            fakes.host_state('b', memory_mb=4096, local_gb=50, vcpus=4),
            fakes.host_state('c', memory_mb=2048, local_gb=100, vcpus=8)]


def _best(weighers, hosts=None):
    hosts = hosts or _hosts()
    totals = weights.weigh(weighers, hosts, fakes.request())
    return hosts[max(range(len(hosts)), key=totals.__getitem__)].host


def test_normalize():
    assert weights.normalize([]) == []
    assert weights.normalize([5, 5]) == [0.0, 0.0]
    assert weights.normalize([1, 2, 3]) == [0.0, 0.5, 1.0]
    assert weights.normalize([1, 2, 3], minval=0, maxval=4) == [
        0.25, 0.5, 0.75]


def test_raw_weights():
    hosts = _hosts()
    req = fakes.request()
    assert ram.RAMWeigher().weigh_objects(hosts, req) == [8192, 4096, 2048]
    assert disk.DiskWeigher().weigh_objects(hosts, req) == [
        10 * 1024, 50 * 1024, 100 * 1024]
    hosts[2].consume_from_request(fakes.request(vcpus=3))
    assert cpu.CPUWeigher().weigh_objects(hosts, req) == [2, 4, 5]
    # the per-host method agrees with the bulk one
    assert [ram.RAMWeigher()._weigh_object(h, req) for h in hosts] == \
        ram.RAMWeigher().weigh_objects(hosts, req)


def test_each_weigher_spreads_by_its_resource(flags):
    assert _best([ram.RAMWeigher()]) == 'a'
    assert _best([disk.DiskWeigher()]) == 'c'
    assert _best([cpu.CPUWeigher()]) == 'c'


def test_negative_multiplier_stacks(flags):
    flags(group='filter_scheduler', ram_weight_multiplier=-1.0)
    assert _best([ram.RAMWeigher()]) == 'c'


def test_zero_multiplier_ignores_the_weigher(flags):
    flags(group='filter_scheduler', ram_weight_multiplier=0.0)
    hosts = _hosts()
    assert weights.weigh([ram.RAMWeigher()], hosts, fakes.request()) == [
        0.0, 0.0, 0.0]


def test_weights_are_normalised_before_they_add_up(flags):
    # Raw disk numbers (MiB) dwarf RAM ones; normalised, a RAM multiplier
    # of 3 beats a disk multiplier of 2.
    flags(group='filter_scheduler', ram_weight_multiplier=3.0,
          disk_weight_multiplier=2.0)
    hosts = _hosts()
    totals = weights.weigh([ram.RAMWeigher(), disk.DiskWeigher()], hosts,
                           fakes.request())
    assert totals == pytest.approx([3.0, 3 * (2048 / 6144) + 2 * (40 / 90),
                                    2.0])
    assert _best([ram.RAMWeigher(), disk.DiskWeigher()]) == 'a'
    flags(group='filter_scheduler', ram_weight_multiplier=1.0)
    assert _best([ram.RAMWeigher(), disk.DiskWeigher()]) == 'c'


def test_all_weighers_loadable():
    loaded = weights.load_weighers(['novalite.scheduler.weights.all_weighers'])
    assert [type(w).__name__ for w in loaded] == [
        'RAMWeigher', 'CPUWeigher', 'DiskWeigher']
    one = weights.load_weighers(['novalite.scheduler.weights.ram.RAMWeigher'])
    assert [type(w).__name__ for w in one] == ['RAMWeigher']
