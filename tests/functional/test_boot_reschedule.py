"""Reschedules: a host whose driver fails every spawn hands its builds back
to the conductor, which sends them to an alternate; when every host fails,
the server ends in ERROR with Nova's "No valid host was found" fault after
``[scheduler] max_attempts`` tries."""

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

FAIL = {'DEFAULT': {'compute_driver': 'fake.FakeSpawnFailDriver'}}


@pytest.fixture
def factory():
    f = CloudFactory()
    try:
        yield f
    finally:
        for cloud in f.clouds:
            bc.stop_daemons(cloud)
        f.cleanup()


@pytest.fixture
def client_for():
    opened = []

    def make(cloud):
        client = bc.RpcClient(cloud)
        opened.append(client)
        return client
    try:
        yield make
    finally:
        for client in opened:
            client.close()


def test_failing_host_reschedules_to_a_good_one(factory, client_for):
    # The failing host reports the most free RAM, so the RAM weigher makes
    # it everyone's first choice.
    cloud = bc.start_boot_cloud(factory, {
        'bad': bc.merge_conf(FAIL, {'fake_driver': {'memory_mb': 4000000}}),
        'good1': None, 'good2': None})
    client = client_for(cloud)
    tiny = client.flavor('tiny', 1, 512, 1)
    uuids = client.boot(tiny, count=4) + client.boot(tiny, count=2)
    rows = bc.wait_for_states(cloud, uuids, timeout=90)
    assert {r['vm_state'] for r in rows.values()} == {'active'}
    assert {r['host'] for r in rows.values()} <= {'good1', 'good2'}
    rescheduled = 0
    for uuid in uuids:
        evs = [(e['event'], e['host'], e['result'])
               for e in bc.finished_events(cloud, uuid)]
        assert ('compute_build_and_run_instance', rows[uuid]['host'],
                'Success') in evs
        if ('compute_build_and_run_instance', 'bad', 'Error') in evs:
            rescheduled += 1
            # scheduled, failed on bad, built on the alternate
            assert evs[0] == ('conductor_schedule_and_build_instances',
                              'conductor', 'Success')
        assert row_fixed_ip_consistent(cloud, uuid, rows[uuid])
    assert rescheduled >= 1
    # Nothing stays claimed or allocated on the failing host (its node row
    # is written within a tenth of a second of the claim's abort).
    bc.cloud_mod.wait_for(
        lambda: (bc.compute_nodes(cloud)['bad']['vcpus_used'],
                 bc.compute_nodes(cloud)['bad']['running_vms']) == (0, 0),
        10, message='nothing claimed on the failing host')


def row_fixed_ip_consistent(cloud, uuid, row):
    """The instance holds exactly the fixed IP its network_info names."""
    ips = cloud.sql('SELECT address, mac FROM fixed_ips WHERE '
                    'instance_uuid = %s', (uuid,))
    vif = bc.vif(row)
    return len(ips) == 1 and ips[0]['address'] == vif['address'] and \
        ips[0]['mac'] == vif['mac']


def test_every_host_failing_ends_in_no_valid_host(factory, client_for):
    cloud = bc.start_boot_cloud(
        factory, {'bad1': FAIL, 'bad2': FAIL, 'bad3': FAIL, 'bad4': FAIL},
        conf_overrides={'scheduler': {'max_attempts': 3}})
    client = client_for(cloud)
    tiny = client.flavor('tiny', 1, 512, 1)
    uuids = client.boot(tiny, count=2)
    rows = bc.wait_for_states(cloud, uuids, timeout=90)
    for uuid in uuids:
        row = rows[uuid]
        assert row['vm_state'] == 'error'
        assert row['host'] is None and row['network_info'] is None
        faults = bc.faults(cloud, uuid)
        assert len(faults) == 1
        assert faults[0]['code'] == 500
        assert faults[0]['message'].startswith('No valid host was found.')
        assert 'Exceeded max scheduling attempts 3' in faults[0]['message']
        evs = [(e['event'], e['host'], e['result'])
               for e in bc.finished_events(
                   cloud, uuid,
                   at_least={'compute_build_and_run_instance': 3})]
        builds = [e for e in evs if e[0] == 'compute_build_and_run_instance']
        # Three different hosts tried, each failing.
        assert len(builds) == 3, evs
        assert len({host for _e, host, _r in builds}) == 3
        assert {r for _e, _h, r in builds} == {'Error'}
        assert evs[-1] == ('conductor_schedule_and_build_instances',
                           'conductor', 'Error')
        action = cloud.sql('SELECT message FROM instance_actions WHERE '
                           'instance_uuid = %s', (uuid,))
        assert action == [{'message': 'Error'}]
    assert cloud.sql('SELECT COUNT(*) AS n FROM fixed_ips '
                     'WHERE allocated = 1')[0]['n'] == 0
    assert all(n['vcpus_used'] == 0
               for n in bc.compute_nodes(cloud).values())
    # A server in ERROR that never got a host is deleted without a compute.
    for uuid in uuids:
        client.delete(uuid)
    bc.wait_for_gone(cloud, uuids)


def test_fewer_hosts_than_attempts_ends_in_no_valid_host(factory,
                                                         client_for):
    """Two failing hosts and three attempts: the scheduler is asked again
    once the alternates are spent and finds nothing left."""
    cloud = bc.start_boot_cloud(factory, {'bad1': FAIL, 'bad2': FAIL},
                                conf_overrides={'scheduler':
                                                {'max_attempts': 3}})
    client = client_for(cloud)
    [uuid] = client.boot(client.flavor('tiny', 1, 512, 1))
    row = bc.wait_for_states(cloud, [uuid], timeout=60)[uuid]
    assert row['vm_state'] == 'error'
    [fault] = bc.faults(cloud, uuid)
    assert fault['message'] == ('No valid host was found. There are not '
                                'enough hosts available.')
    builds = [e for e in bc.finished_events(
        cloud, uuid, at_least={'compute_build_and_run_instance': 2})
              if e['event'] == 'compute_build_and_run_instance']
    assert sorted(e['host'] for e in builds) == ['bad1', 'bad2']
