"""Server-group (anti-)affinity and same/different-host filters."""

from novalite.scheduler.filters import affinity_filter
from tests.unit.scheduler import fakes

U1 = '11111111-1111-1111-1111-111111111111'
U2 = '22222222-2222-2222-2222-222222222222'


def _hosts():
    return [fakes.host_state('a', instances=[U1]),
            fakes.host_state('b', instances=[U2]),
            fakes.host_state('c')]


def _names(flt, req):
    hosts = _hosts()
    names = [h.host for h in hosts if flt.host_passes(h, req)]
    if flt.applies(req):
        assert [h.host for h in flt.filter_all(hosts, req)] == names
    else:
        assert names == ['a', 'b', 'c']
    return names


def test_affinity_first_member_goes_anywhere():
    flt = affinity_filter.ServerGroupAffinityFilter()
    req = fakes.request(group_policy='affinity', group_hosts=[])
    assert _names(flt, req) == ['a', 'b', 'c']


def test_affinity_follows_members():
    flt = affinity_filter.ServerGroupAffinityFilter()
    req = fakes.request(group_policy='affinity', group_hosts=['b'])
    assert _names(flt, req) == ['b']


def test_anti_affinity_avoids_members():
    flt = affinity_filter.ServerGroupAntiAffinityFilter()
    req = fakes.request(group_policy='anti-affinity',
                        group_hosts=['a', 'c'])
    assert _names(flt, req) == ['b']


def test_group_filters_ignore_the_other_policy():
    req = fakes.request(group_policy='anti-affinity', group_hosts=['a'])
    assert _names(affinity_filter.ServerGroupAffinityFilter(), req) == [
        'a', 'b', 'c']
    req = fakes.request(group_policy='affinity', group_hosts=['a'])
    assert _names(affinity_filter.ServerGroupAntiAffinityFilter(), req) == [
        'a', 'b', 'c']


def test_same_host_hint():
    flt = affinity_filter.SameHostFilter()
    req = fakes.request(scheduler_hints={'same_host': [U2]})
    assert _names(flt, req) == ['b']
    assert _names(flt, fakes.request()) == ['a', 'b', 'c']


def test_different_host_hint():
    flt = affinity_filter.DifferentHostFilter()
    req = fakes.request(scheduler_hints={'different_host': [U1, U2]})
    assert _names(flt, req) == ['c']
    assert _names(flt, fakes.request()) == ['a', 'b', 'c']
