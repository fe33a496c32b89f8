"""RetryFilter, AvailabilityZoneFilter, ComputeFilter."""

from novalite.scheduler.filters import availability_zone_filter
from novalite.scheduler.filters import compute_filter
from novalite.scheduler.filters import retry_filter
from tests.unit.scheduler import fakes


def _names(hosts):
    return [h.host for h in hosts]


def test_retry_filter_drops_tried_hosts():
    flt = retry_filter.RetryFilter()
    hosts = [fakes.host_state('a'), fakes.host_state('b'),
             fakes.host_state('c')]
    req = fakes.request(retry_hosts=['a', 'c'], num_attempts=2)
    assert flt.applies(req)
    assert _names(flt.filter_all(hosts, req)) == ['b']
    assert not flt.host_passes(hosts[0], req)
    assert flt.host_passes(hosts[1], req)


def test_retry_filter_idle_on_first_attempt():
    assert not retry_filter.RetryFilter().applies(fakes.request())


def test_availability_zone_filter():
    flt = availability_zone_filter.AvailabilityZoneFilter()
    hosts = [fakes.host_state('a', zone='az1'),
             fakes.host_state('b', zone='nova')]
    req = fakes.request(availability_zone='az1')
    assert _names(flt.filter_all(hosts, req)) == ['a']
    assert flt.host_passes(hosts[0], req)
    assert not flt.host_passes(hosts[1], req)
    assert not flt.applies(fakes.request())


def test_compute_filter_needs_up_and_enabled():
    flt = compute_filter.ComputeFilter()
    hosts = [fakes.host_state('up'),
             fakes.host_state('down', up=False),
             fakes.host_state('off', disabled=True)]
    req = fakes.request()
    assert _names(flt.filter_all(hosts, req)) == ['up']
    assert [flt.host_passes(h, req) for h in hosts] == [True, False, False]
