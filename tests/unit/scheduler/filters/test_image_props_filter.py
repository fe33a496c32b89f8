"""ImagePropertiesFilter: architecture, hypervisor type, VM mode, version."""

import pytest

from novalite.scheduler.filters import image_props_filter
from tests.unit.scheduler import fakes

SUPPORTED = [['x86_64', 'qemu', 'hvm'], ['i686', 'qemu', 'hvm']]


def _check(state, props):
    flt = image_props_filter.ImagePropertiesFilter()
    req = fakes.request(image_properties=props)
    single = flt.host_passes(state, req)
    bulk = flt.filter_all([state], req) == [state]
    assert single == bulk
    return single


@pytest.mark.parametrize('props, expected', [
    ({}, True),
    ({'architecture': 'x86_64'}, True),
    ({'hw_architecture': 'x86_64'}, True),
    ({'architecture': 'amd64'}, True),          # canonical x86_64
    ({'architecture': 'i386'}, True),           # canonical i686
    ({'architecture': 'aarch64'}, False),
    ({'hypervisor_type': 'qemu'}, True),
    ({'img_hv_type': 'QEMU'}, True),
    ({'hypervisor_type': 'xen'}, False),
    ({'vm_mode': 'hvm'}, True),
    ({'vm_mode': 'hv'}, True),                  # canonical hvm
    ({'vm_mode': 'xen'}, False),
    ({'architecture': 'x86_64', 'hypervisor_type': 'qemu',
      'vm_mode': 'hvm'}, True),
    ({'architecture': 'i686', 'hypervisor_type': 'xen'}, False),
    ({'os_distro': 'debian'}, True),            # not a property it checks
])
def test_against_supported_instances(props, expected):
    state = fakes.host_state(supported_instances=SUPPORTED)
    assert _check(state, props) is expected


def test_host_advertising_nothing_takes_only_plain_images():
    state = fakes.host_state(supported_instances=None)
    assert _check(state, {})
    assert not _check(state, {'architecture': 'x86_64'})


def test_requested_hypervisor_version():
    state = fakes.host_state(supported_instances=SUPPORTED,
                             hypervisor_version=8002000)   # 8.2.0
    assert _check(state, {'img_hv_requested_version': '>= 8.0'})
    assert not _check(state, {'img_hv_requested_version': '>= 8.3'})
    assert _check(state, {'img_hv_requested_version': '< 9'})
