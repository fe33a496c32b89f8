"""RamFilter, CoreFilter, DiskFilter against the allocation ratios."""

from novalite.scheduler.filters import resource_filters
from tests.unit.scheduler import fakes


def _both(flt, state, req):
    """host_passes and filter_all must agree; return the verdict."""
    single = flt.host_passes(state, req)
    bulk = flt.filter_all([state], req) == [state]
    assert single == bulk
    return single


def test_ram_filter_fits_and_does_not():
    flt = resource_filters.RamFilter()
    state = fakes.host_state(memory_mb=2048, memory_mb_used=1024)
    assert _both(flt, state, fakes.request(memory_mb=1024))
    assert not _both(flt, state, fakes.request(memory_mb=1025))


def test_ram_filter_overcommits_by_ratio():
    flt = resource_filters.RamFilter()
    state = fakes.host_state(memory_mb=2048, memory_mb_used=2048,
                             ratios=(1.0, 1.5, 1.0))
    # limit 3072, used 2048 -> 1024 left
    assert _both(flt, state, fakes.request(memory_mb=1024))
    assert not _both(flt, state, fakes.request(memory_mb=1536))


def test_ram_filter_follows_consumption():
    flt = resource_filters.RamFilter()
    state = fakes.host_state(memory_mb=2048)
    req = fakes.request(memory_mb=1024)
    state.consume_from_request(req)
    assert _both(flt, state, req)
    state.consume_from_request(req)
    assert not _both(flt, state, req)


def test_core_filter_ratio():
    flt = resource_filters.CoreFilter()
    state = fakes.host_state(vcpus=2, vcpus_used=3, ratios=(2.0, 1.0, 1.0))
    assert _both(flt, state, fakes.request(vcpus=1))
    assert not _both(flt, state, fakes.request(vcpus=2))


def test_core_filter_no_overcommit_against_itself():
    flt = resource_filters.CoreFilter()
    state = fakes.host_state(vcpus=2, ratios=(16.0, 1.0, 1.0))
    assert _both(flt, state, fakes.request(vcpus=2))
    assert not _both(flt, state, fakes.request(vcpus=3))


def test_core_filter_passes_host_without_vcpu_figures():
    flt = resource_filters.CoreFilter()
    state = fakes.host_state(vcpus=0)
    assert _both(flt, state, fakes.request(vcpus=4))


def test_disk_filter_counts_root_ephemeral_and_swap():
    flt = resource_filters.DiskFilter()
    state = fakes.host_state(local_gb=10, local_gb_used=7)
    assert _both(flt, state, fakes.request(root_gb=2, ephemeral_gb=1))
    assert not _both(flt, state, fakes.request(root_gb=2, ephemeral_gb=1,
                                               swap=1))


def test_disk_filter_ratio_but_not_bigger_than_the_disk():
    flt = resource_filters.DiskFilter()
    state = fakes.host_state(local_gb=10, local_gb_used=10,
                             ratios=(1.0, 1.0, 2.0))
    assert _both(flt, state, fakes.request(root_gb=10))
    assert not _both(flt, state, fakes.request(root_gb=11))


def test_disk_filter_uses_disk_available_least(flags):
    flt = resource_filters.DiskFilter()
    node = fakes.compute_node('h', local_gb=100, local_gb_used=10,
                              disk_available_least=5)
    from novalite.scheduler import host_manager
    state = host_manager.HostState('h', 'h')
    state.update_from_compute_node(node, lambda raw: None, (1.0, 1.0, 1.0))
    assert state.free_disk_mb == 5 * 1024
    assert _both(flt, state, fakes.request(root_gb=5))
    assert not _both(flt, state, fakes.request(root_gb=6))
