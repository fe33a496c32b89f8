"""Crash recovery: kill -9 a compute, the conductor and the scheduler (each
in turn) during a 50-server burst; after the restart every server is
ACTIVE or ERROR with a fault and none stays in BUILD or deleting. A
restarted compute also finishes interrupted actions and deletes, and
keeps its (fake, in-memory) guests in the state the database records.
"""

import collections
import time

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

HOSTS = ['cn1', 'cn2', 'cn3', 'cn4']
# Builds take a while so that kills land in the middle of them; RPC calls
# lost with a killed daemon time out quickly.
CONF = {
    'DEFAULT': {'rpc_response_timeout': 10, 'max_concurrent_builds': 4},
    'fake_driver': {'spawn_delay': 0.3},
}
BURST = 50


@pytest.fixture(scope='module')
def env():
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {h: None for h in HOSTS},
                                    conf_overrides=CONF)
        client = bc.RpcClient(cloud)
        try:
            yield cloud, client, []
        finally:
            client.close()
            bc.stop_daemons(cloud)
    finally:
        factory.cleanup()


def _burst(client):
    tiny = client.flavor('tiny', 1, 512, 1)
    uuids = []
    for _ in range(BURST // 10):
        uuids += client.boot(tiny, count=10)
    return uuids


def _assert_settled(cloud, uuids, timeout=180):
    rows = bc.wait_for_states(cloud, uuids, timeout=timeout)
    counts = collections.Counter(r['vm_state'] for r in rows.values())
    for uuid, row in rows.items():
        assert row['task_state'] is None
        if row['vm_state'] == 'error':
            assert bc.faults(cloud, uuid), 'ERROR without a fault: %s' % uuid
        else:
            assert row['power_state'] == 1 and bc.vif(row) is not None
    return counts


def _kill_and_restart(cloud, name, host=None, down_for=1.0):
    daemon = bc.daemon(cloud, name, host)
    daemon.kill()
    time.sleep(down_for)
    daemon.start()
    return daemon


def _wait_building_on(cloud, uuids, host, timeout=30):
    """Wait until some build is under way on ``host``."""
    bc.cloud_mod.wait_for(
        lambda: any(r['host'] == host and r['task_state'] in
                    ('networking', 'spawning')
                    for r in bc.states(cloud, uuids).values()),
        timeout, interval=0.05, message='a build on %s' % host)


def test_kill_compute_during_burst(env):
    cloud, client, everything = env
    uuids = _burst(client)
    everything.extend(uuids)
    _wait_building_on(cloud, uuids, 'cn1')
    _kill_and_restart(cloud, 'compute', 'cn1')
    counts = _assert_settled(cloud, uuids)
    assert counts['active'] >= BURST // 2, counts
    # The builds cn1 lost on its restart are in ERROR with the reason.
    for uuid, row in bc.states(cloud, uuids).items():
        if row['vm_state'] == 'error':
            messages = [f['message'] for f in bc.faults(cloud, uuid)]
            assert any('restarted during the build' in m or
                       'No valid host' in m for m in messages), messages


def test_kill_conductor_during_burst(env):
    cloud, client, everything = env
    uuids = _burst(client)
    everything.extend(uuids)
    time.sleep(0.3)
    _kill_and_restart(cloud, 'conductor')
    counts = _assert_settled(cloud, uuids)
    assert counts['active'] >= 1, counts


def test_kill_scheduler_during_burst(env):
    cloud, client, everything = env
    uuids = _burst(client)
    everything.extend(uuids)
    time.sleep(0.1)
    _kill_and_restart(cloud, 'scheduler')
    counts = _assert_settled(cloud, uuids)
    # The conductor asks the restarted scheduler again: nothing is lost.
    assert counts['active'] >= BURST - 5, counts


def test_delete_everything_after_the_crashes(env):
    cloud, client, everything = env
    if not everything:
        pytest.skip('the burst tests did not run')
    for uuid in everything:
        client.delete(uuid)
    bc.wait_for_gone(cloud, everything, timeout=120)
    bc.wait_nothing_held(cloud)


def test_restarted_compute_finishes_interrupted_work(env):
    cloud, client, _everything = env
    host = 'keeper'
    extra = {'fake_driver': {'power_delay': 2}}
    cloud.start('compute', host=host, extra_conf=extra)
    bc.wait_for_computes(cloud, [host])
    tiny = client.flavor('tiny', 1, 512, 1)
    stopping, stopped, paused, deleting = client.boot_on(host, tiny, 4)
    bc.wait_for_states(cloud, [stopping, stopped, paused, deleting],
                       accept=('active',))
    client.action(stopped, 'powering-off', 'stop', 'stop_instance')
    client.action(paused, 'pausing', 'pause', 'pause_instance')
    bc.wait_for_states(cloud, [stopped], accept=('stopped',))
    bc.wait_for_states(cloud, [paused], accept=('paused',))
    # Interrupt a stop and a delete half-way through the driver call.
    client.action(stopping, 'powering-off', 'stop', 'stop_instance')
    client.delete(deleting)
    time.sleep(0.5)
    _kill_and_restart(cloud, 'compute', host)

    rows = bc.wait_for_states(cloud, [stopping, stopped], accept=('stopped',),
                              timeout=60)
    assert {r['power_state'] for r in rows.values()} == {4}
    row = bc.wait_for_states(cloud, [paused], accept=('paused',))[paused]
    assert row['power_state'] == 3
    bc.wait_for_gone(cloud, [deleting], timeout=60)
    # The fake guests came back from the database: consoles still work and
    # the paused server can be resumed.
    inst = client.instance(paused)
    output = client.compute_rpcapi.get_console_output(client.context(), inst)
    assert 'restored' in output
    client.action(paused, 'unpausing', 'unpause', 'unpause_instance')
    row = bc.wait_for_states(cloud, [paused], accept=('active',))[paused]
    assert row['power_state'] == 1
    node = bc.cloud_mod.wait_for(
        lambda: (bc.compute_nodes(cloud)[host]['vcpus_used'] == 3 and
                 bc.compute_nodes(cloud)[host]), 30)
    assert node['running_vms'] == 3
    for uuid in (stopping, stopped, paused):
        client.delete(uuid)
    bc.wait_for_gone(cloud, [stopping, stopped, paused], timeout=60)


def test_build_timeout_fails_a_stuck_build(env):
    cloud, client, _everything = env
    host = 'sluggish'
    cloud.start('compute', host=host, extra_conf={
        'DEFAULT': {'instance_build_timeout': 3},
        'fake_driver': {'spawn_delay': 15}})
    bc.wait_for_computes(cloud, [host])
    [uuid] = client.boot_on(host, client.flavor('tiny', 1, 512, 1))
    row = bc.wait_for_states(cloud, [uuid], accept=('error',),
                             timeout=40)[uuid]
    assert row['task_state'] is None
    [fault] = bc.faults(cloud, uuid)
    assert fault['message'] == 'Build of instance %s timed out.' % uuid
    client.delete(uuid)
    bc.wait_for_gone(cloud, [uuid], timeout=90)
