"""ComputeCapabilitiesFilter: extra specs against host attributes and stats."""

from novalite.scheduler.filters import compute_capabilities_filter as ccf
from tests.unit.scheduler import fakes


def _check(state, extra_specs):
    flt = ccf.ComputeCapabilitiesFilter()
    req = fakes.request(extra_specs=extra_specs)
    single = flt.host_passes(state, req)
    bulk = flt.filter_all([state], req) == [state]
    assert single == bulk
    return single


def test_scoped_attribute_with_operator():
    state = fakes.host_state(memory_mb=4096)
    assert _check(state, {'capabilities:free_ram_mb': '>= 4096'})
    assert not _check(state, {'capabilities:free_ram_mb': '>= 4097'})


def test_unscoped_key_is_a_capability_too():
    state = fakes.host_state(hypervisor_type='qemu')
    assert _check(state, {'hypervisor_type': 's== qemu'})
    assert not _check(state, {'hypervisor_type': 'kvm'})


def test_other_scopes_are_ignored():
    state = fakes.host_state()
    flt = ccf.ComputeCapabilitiesFilter()
    req = fakes.request(extra_specs={'hw:cpu_policy': 'dedicated',
                                     'quota:cpu_shares': '10'})
    assert not flt.applies(req)
    assert _check(state, {'hw:cpu_policy': 'dedicated'})


def test_stats_and_nested_json():
    state = fakes.host_state(
        stats={'gpu': 'nvidia', 'numa_nodes': '2'},
        cpu_info={'arch': 'x86_64', 'features': ['sse', 'avx2']})
    assert _check(state, {'capabilities:gpu': 'nvidia'})
    assert _check(state, {'capabilities:numa_nodes': '>= 2'})
    assert _check(state, {'capabilities:cpu_info:arch':
                          '<or> aarch64 <or> x86_64'})
    assert _check(state, {'capabilities:cpu_info:features': '<in> avx2'})
    assert not _check(state, {'capabilities:cpu_info:features':
                              '<all-in> avx2 avx512f'})


def test_missing_capability_fails():
    state = fakes.host_state()
    assert not _check(state, {'capabilities:no_such_thing': 'x'})
    assert not _check(state, {'capabilities:cpu_info:nested:deep': 'x'})


def test_every_spec_must_hold():
    state = fakes.host_state(vcpus=8, stats={'ssd': 'true'})
    assert _check(state, {'capabilities:vcpus_total': '>= 8',
                          'capabilities:ssd': 'true'})
    assert not _check(state, {'capabilities:vcpus_total': '>= 8',
                              'capabilities:ssd': 'false'})


def test_filter_all_keeps_order_over_many_hosts():
    hosts = [fakes.host_state('h%d' % i, stats={'rack': str(i % 3)})
             for i in range(9)]
    flt = ccf.ComputeCapabilitiesFilter()
    req = fakes.request(extra_specs={'capabilities:rack': '<or> 0 <or> 2'})
    assert [h.host for h in flt.filter_all(hosts, req)] == [
        'h0', 'h2', 'h3', 'h5', 'h6', 'h8']
