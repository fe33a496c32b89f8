"""HostManager: host states from nodes + services, caching, consumption,
pending claims across refreshes."""

import datetime

from oslo_utils import timeutils

from novalite import context as nl_context
from novalite import green
from novalite.scheduler import host_manager
from tests.unit.scheduler import fakes

U1 = '11111111-1111-1111-1111-111111111111'
U2 = '22222222-2222-2222-2222-222222222222'


def _ctxt():
    return nl_context.get_admin_context()


def _by_host(states):
    return {s.host: s for s in states}


def test_states_from_nodes_and_services(flags):
    flags(ram_allocation_ratio=1.5, cpu_allocation_ratio=4.0,
          disk_allocation_ratio=1.0, default_availability_zone='nova')
    source = fakes.Source(
        [fakes.compute_node('a', node_id=1, memory_mb=4096,
                            memory_mb_used=1024, vcpus=4, vcpus_used=1,
                            local_gb=50, local_gb_used=10,
                            supported_instances=[['x86_64', 'fake', 'hvm']],
                            stats={'k': 'v'}),
         fakes.compute_node('b', node_id=2, ram_allocation_ratio=1.0),
         fakes.compute_node('orphan', node_id=3)],
        [fakes.service('a', zone='az1'), fakes.service('b', up=False)],
        {'a': [U1]})
    states = _by_host(host_manager.HostManager(source).get_host_states(
        _ctxt()))
    a, b, orphan = states['a'], states['b'], states['orphan']
    assert a.free_ram_mb == 3072
    assert a.usable_ram_mb == 4096 * 1.5 - 1024
    assert a.usable_vcpus == 4 * 4.0 - 1
    assert a.free_disk_mb == 40 * 1024
    assert a.supported_instances == (('x86_64', 'fake', 'hvm'),)
    assert a.stats == {'k': 'v'}
    assert a.instances == {U1}
    assert (a.service_up, a.service_disabled, a.availability_zone) == (
        True, False, 'az1')
    assert b.ram_allocation_ratio == 1.0       # the node's own ratio wins
    assert (b.service_up, b.availability_zone) == (False, 'nova')
    assert orphan.service_disabled              # no service: never chosen
    assert a.uuid and a.nodename == 'a'


def test_forced_down_and_disabled_services(flags):
    source = fakes.Source(
        [fakes.compute_node('a', node_id=1), fakes.compute_node('b',
                                                                node_id=2)],
        [fakes.service('a', forced_down=True),
         fakes.service('b', disabled=True)])
    states = _by_host(host_manager.HostManager(source).get_host_states(
        _ctxt()))
    assert not states['a'].service_up
    assert states['b'].service_up and states['b'].service_disabled


def test_snapshot_is_cached_for_the_refresh_window(flags):
    flags(group='scheduler', host_state_refresh_seconds=3600)
    source = fakes.cloud(2)
    manager = host_manager.HostManager(source)
    manager.get_host_states(_ctxt())
    manager.get_host_states(_ctxt())
    assert source.fetches == 1
    flags(group='scheduler', host_state_refresh_seconds=0)
    manager.get_host_states(_ctxt())
    manager.get_host_states(_ctxt())
    assert source.fetches == 3


def test_slow_fetches_stretch_the_refresh_window(flags):
    flags(group='scheduler', host_state_refresh_seconds=1)
    source = fakes.cloud(1)
    manager = host_manager.HostManager(source)
    clock = [100.0]
    fetch = source.compute_nodes

    def slow_fetch(ctxt):                     # the fetch takes 3 seconds
        clock[0] += 3
        return fetch(ctxt)
    source.compute_nodes = slow_fetch
    real = host_manager.time.monotonic
    host_manager.time.monotonic = lambda: clock[0]
    try:
        manager.refresh(_ctxt())
    finally:
        host_manager.time.monotonic = real
    assert manager.refresh_interval() == 15.0
    flags(group='scheduler', host_state_refresh_seconds=60)
    assert manager.refresh_interval() == 60


def test_refresh_keeps_state_objects_and_drops_gone_nodes(flags):
    flags(group='scheduler', host_state_refresh_seconds=0)
    source = fakes.cloud(3)
    manager = host_manager.HostManager(source)
    first = _by_host(manager.get_host_states(_ctxt()))
    del source.nodes[2]
    second = _by_host(manager.get_host_states(_ctxt()))
    assert set(second) == {'host00', 'host01'}
    assert second['host00'] is first['host00']


def test_claim_consumes_and_unclaim_gives_back():
    manager = host_manager.HostManager(fakes.cloud(1, memory_mb=4096))
    state = manager.get_host_states(_ctxt())[0]
    req = fakes.request(memory_mb=1024, vcpus=2, root_gb=10)
    key = manager.claim(state, req, U1)
    assert (state.free_ram_mb, state.vcpus_used, state.free_disk_mb,
            state.num_instances) == (3072, 2, 90 * 1024, 1)
    assert U1 in state.instances
    assert manager.hosts_of([U1, U2]) == {'host00'}
    manager.unclaim(state, req, key)
    assert (state.free_ram_mb, state.vcpus_used, state.free_disk_mb,
            state.num_instances) == (4096, 0, 100 * 1024, 0)
    assert U1 not in state.instances
    assert manager.pending_count == 0


def test_claims_survive_a_refresh_until_the_row_shows_them(flags):
    flags(group='scheduler', host_state_refresh_seconds=0)
    source = fakes.cloud(1, memory_mb=4096)
    source.nodes[0].updated_at = timeutils.utcnow() - datetime.timedelta(
        seconds=5)
    manager = host_manager.HostManager(source)
    state = manager.get_host_states(_ctxt())[0]
    manager.claim(state, fakes.request(memory_mb=1024), U1)

    # The compute has not claimed yet: the row still says 0 used.
    state = manager.get_host_states(_ctxt())[0]
    assert state.free_ram_mb == 3072
    assert manager.pending_count == 1

    # The instance is on the host but the row predates the choice: keep it.
    source.instances = {'host00': [U1]}
    state = manager.get_host_states(_ctxt())[0]
    assert state.free_ram_mb == 3072

    # The compute claimed and saved the row: count it once, from the row.
    source.nodes[0].memory_mb_used = 1024
    source.nodes[0].updated_at = timeutils.utcnow() + datetime.timedelta(
        seconds=1)
    state = manager.get_host_states(_ctxt())[0]
    assert state.free_ram_mb == 3072
    assert manager.pending_count == 0


def test_claim_dropped_when_the_instance_went_to_another_host(flags):
    flags(group='scheduler', host_state_refresh_seconds=0)
    source = fakes.cloud(2, memory_mb=4096)
    manager = host_manager.HostManager(source)
    state = _by_host(manager.get_host_states(_ctxt()))['host00']
    manager.claim(state, fakes.request(memory_mb=1024), U1)
    source.instances = {'host01': [U1]}     # rescheduled to an alternate
    states = _by_host(manager.get_host_states(_ctxt()))
    assert states['host00'].free_ram_mb == 4096
    assert manager.pending_count == 0
    assert manager.hosts_of([U1]) == {'host01'}


def test_pending_claims_expire(flags):
    flags(group='scheduler', host_state_refresh_seconds=0,
          pending_claim_seconds=0)
    manager = host_manager.HostManager(fakes.cloud(1, memory_mb=4096))
    state = manager.get_host_states(_ctxt())[0]
    manager.claim(state, fakes.request(memory_mb=1024), U1)
    state = manager.get_host_states(_ctxt())[0]
    assert state.free_ram_mb == 4096
    assert manager.pending_count == 0


def test_rescheduled_instance_gives_its_earlier_choice_back():
    manager = host_manager.HostManager(fakes.cloud(1, memory_mb=4096))
    state = manager.get_host_states(_ctxt())[0]
    manager.claim(state, fakes.request(memory_mb=1024), U1)
    manager.forget_instances([U1, U2])
    assert state.free_ram_mb == 4096
    assert manager.pending_count == 0
    assert manager.hosts_of([U1]) == set()


def test_background_refresh_serves_the_old_snapshot_meanwhile(flags):
    flags(group='scheduler', host_state_refresh_seconds=0,
          pending_claim_seconds=3600)
    source = fakes.cloud(1)
    manager = host_manager.HostManager(source, background_refresh=True)
    manager.get_host_states(_ctxt())           # first fetch: inline
    assert source.fetches == 1
    source.nodes.append(fakes.compute_node('late', node_id=9))
    states = manager.get_host_states(_ctxt())  # stale: answered at once
    assert [s.host for s in states] == ['host00']
    green.sleep(0.01)                          # let the green thread run
    assert source.fetches == 2
    flags(group='scheduler', host_state_refresh_seconds=3600)
    assert {s.host for s in manager.get_host_states(_ctxt())} == {
        'host00', 'late'}


def test_background_refresh_failure_is_retried(flags):
    flags(group='scheduler', host_state_refresh_seconds=0,
          pending_claim_seconds=3600)
    source = fakes.cloud(1)
    manager = host_manager.HostManager(source, background_refresh=True)
    manager.get_host_states(_ctxt())

    def boom(ctxt):
        raise RuntimeError('conductor gone')
    source.compute_nodes = boom
    manager.get_host_states(_ctxt())
    green.sleep(0.01)
    assert not manager._refreshing
    assert [s.host for s in manager.get_host_states(_ctxt())] == ['host00']


def test_cached_snapshot_sees_a_host_go_down_when_its_heartbeat_ages(
        flags, monkeypatch):
    """A snapshot reused for long (no refresh in between) must not keep a
    compute that stopped heartbeating 'up' past service_down_time."""
    flags(service_down_time=60)
    flags(group='scheduler', host_state_refresh_seconds=3600)
    old = fakes.service('a')
    old.last_seen_up = old.updated_at = (timeutils.utcnow() -
                                         datetime.timedelta(seconds=50))
    source = fakes.Source([fakes.compute_node('a', node_id=1),
                           fakes.compute_node('b', node_id=2)],
                          [old, fakes.service('b')])
    manager = host_manager.HostManager(source)
    clock = [1000.0]
    monkeypatch.setattr(host_manager.time, 'monotonic', lambda: clock[0])
    states = _by_host(manager.get_host_states(_ctxt()))
    assert states['a'].service_up and states['b'].service_up
    clock[0] += 11           # a: 61 s since its last heartbeat
    states = _by_host(manager.get_host_states(_ctxt()))
    assert not states['a'].service_up
    assert states['b'].service_up
    assert source.fetches == 1         # the same snapshot both times
