"""Boot bursts over several fake computes: spread, allocation ratios, a
full cloud answering "No valid host", and no over-commit when many builds
race for one host.

Every fake compute offers 4 vCPUs x 2.0, 4608 MiB (512 reserved) x 1.0 and
40 GiB x 1.0: eight 1-vCPU/512-MiB servers fill it exactly.
"""

import collections

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

HOSTS = ['cn%d' % i for i in range(1, 7)]
CONF = {
    'DEFAULT': {'reserved_host_memory_mb': 512, 'cpu_allocation_ratio': 2.0,
                'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0},
    'fake_driver': {'vcpus': 4, 'memory_mb': 4608, 'local_gb': 40},
    # The scheduler re-counts its recent choices until node rows (whose
    # updated_at has one-second resolution) show them; keep that short so
    # the fill below sees the first burst exactly once.
    'scheduler': {'pending_claim_seconds': 3},
}
CPU_LIMIT, RAM_LIMIT, DISK_LIMIT = 8, 4608, 40


@pytest.fixture(scope='module')
def env():
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {h: None for h in HOSTS},
                                    conf_overrides=CONF)
        client = bc.RpcClient(cloud)
        try:
            yield cloud, client
        finally:
            client.close()
            bc.stop_daemons(cloud)
    finally:
        factory.cleanup()


def _usage_by_host(rows):
    usage = collections.defaultdict(lambda: {'vcpus': 0, 'memory_mb': 0,
                                             'disk': 0, 'count': 0})
    for row in rows.values():
        if row['vm_state'] == 'active':
            u = usage[row['host']]
            u['vcpus'] += row['vcpus']
            u['memory_mb'] += row['memory_mb']
            u['disk'] += row['root_gb'] + row['ephemeral_gb']
            u['count'] += 1
    return usage


def _assert_within_ratios(cloud):
    rows = bc.states(cloud)
    for host, u in _usage_by_host(rows).items():
        assert u['vcpus'] <= CPU_LIMIT, (host, u)
        assert u['memory_mb'] + 512 <= RAM_LIMIT, (host, u)
        assert u['disk'] <= DISK_LIMIT, (host, u)
    return rows


def _wait_node_usage(cloud, expected, timeout=30):
    """Wait until each compute node row shows ``expected[host]`` vCPUs."""
    def check():
        nodes = bc.compute_nodes(cloud)
        return all(nodes[h]['vcpus_used'] == expected.get(h, 0)
                   for h in HOSTS) and nodes
    return bc.cloud_mod.wait_for(check, timeout,
                                 message='compute node usage %s' % expected)


def test_burst_spreads_and_fills_without_overcommit(env):
    cloud, client = env
    tiny = client.flavor('tiny', 1, 512, 1)
    small = client.flavor('small', 2, 1024, 5)
    uuids = []
    # 36 of the 48 vCPUs in mixed requests cast back to back.
    for _ in range(3):
        uuids += client.boot(tiny, count=6, name='t')
        uuids += client.boot(small, count=3, name='s')
    rows = bc.wait_for_states(cloud, uuids, timeout=90)
    assert {r['vm_state'] for r in rows.values()} == {'active'}, [
        (u, bc.faults(cloud, u)) for u, r in rows.items()
        if r['vm_state'] != 'active']
    for row in rows.values():
        assert row['power_state'] == 1 and row['launched_at'] is not None
        assert row['task_state'] is None
    assert len({r['host'] for r in rows.values()}) >= 5
    addresses = [bc.vif(r)['address'] for r in rows.values()]
    macs = [bc.vif(r)['mac'] for r in rows.values()]
    assert len(set(addresses)) == len(addresses) == len(uuids)
    assert len(set(macs)) == len(macs)
    rows = _assert_within_ratios(cloud)
    _wait_node_usage(cloud, {h: u['vcpus'] for h, u in
                             _usage_by_host(rows).items()})
    bc.time.sleep(3)

    # The remaining 12 one-vCPU slots, then one server too many.
    more = client.boot(tiny, count=12, name='fill')
    rows = bc.wait_for_states(cloud, more, timeout=90)
    assert {r['vm_state'] for r in rows.values()} == {'active'}, (
        [(u, bc.faults(cloud, u)[0]['message'][:120])
         for u, r in rows.items() if r['vm_state'] != 'active'],
        {h: (n['vcpus_used'], n['memory_mb_used'], n['local_gb_used'])
         for h, n in bc.compute_nodes(cloud).items()},
        dict(_usage_by_host(bc.states(cloud))))
    all_rows = _assert_within_ratios(cloud)
    usage = _usage_by_host(all_rows)
    assert all(usage[h]['vcpus'] == CPU_LIMIT for h in HOSTS), dict(usage)
    _wait_node_usage(cloud, {h: CPU_LIMIT for h in HOSTS})

    [extra] = client.boot(tiny, count=1, name='extra')
    row = bc.wait_for_states(cloud, [extra], timeout=60)[extra]
    assert row['vm_state'] == 'error' and row['host'] is None
    [fault] = bc.faults(cloud, extra)
    assert fault['code'] == 500
    assert fault['message'].startswith('No valid host was found.')
    evs = bc.finished_events(cloud, extra)
    assert [(e['event'], e['result']) for e in evs] == [
        ('conductor_schedule_and_build_instances', 'Error')]

    # Deleting everything gives every resource back.
    everything = uuids + more + [extra]
    for uuid in everything:
        client.delete(uuid)
    bc.wait_for_gone(cloud, everything, timeout=60)
    assert cloud.sql('SELECT COUNT(*) AS n FROM fixed_ips '
                     'WHERE allocated = 1')[0]['n'] == 0
    nodes = _wait_node_usage(cloud, {})
    for host in HOSTS:
        assert nodes[host]['memory_mb_used'] == 512
        assert nodes[host]['running_vms'] == 0


def test_builds_racing_for_one_host_never_overcommit(env):
    """Twelve builds cast straight to one host (no scheduler, no retry):
    exactly eight claims succeed, the rest fail with a resources fault."""
    cloud, client = env
    tiny = client.flavor('tiny', 1, 512, 1)
    uuids = client.boot_on('cn1', tiny, count=12)
    rows = bc.wait_for_states(cloud, uuids, timeout=60)
    by_state = collections.Counter(r['vm_state'] for r in rows.values())
    assert by_state == {'active': 8, 'error': 4}, by_state
    for uuid, row in rows.items():
        if row['vm_state'] == 'error':
            [fault] = bc.faults(cloud, uuid)
            assert 'Insufficient compute resources' in fault['message']
            assert row['network_info'] is None
    node = _wait_node_usage(cloud, {'cn1': 8})['cn1']
    assert node['memory_mb_used'] == 512 + 8 * 512
    for uuid in uuids:
        client.delete(uuid)
    bc.wait_for_gone(cloud, uuids)
    _wait_node_usage(cloud, {})


def test_unknown_compute_driver_exits_naming_the_option(env):
    cloud, _client = env
    d = cloud.start('compute', host='broken',
                    extra_conf={'DEFAULT': {'compute_driver':
                                            'nonexistent.NoSuchDriver'}})
    assert d.wait(timeout=60) != 0
    errors = [line for line in d.log().splitlines() if ' ERROR ' in line]
    assert len(errors) == 1, errors
    assert 'compute_driver' in errors[0]
