"""Power actions and consoles on fake computes, started the way the api
starts them (task state moved with a guarded save, action recorded, cast).

Expected outcomes follow Nova's API reference: stop -> SHUTOFF
(vm_state stopped, power_state 4 shutdown), start/reboot/unpause/resume ->
ACTIVE (active, 1 running), pause -> PAUSED (paused, 3), suspend ->
SUSPENDED (suspended, 7); task_state always ends None.
"""

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

RUNNING, PAUSED, SHUTDOWN, SUSPENDED = 1, 3, 4, 7
SLOW = {'fake_driver': {'power_delay': 1.5}}


@pytest.fixture(scope='module')
def env():
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {
            'cn1': None,
            'slow': SLOW,
            'rebootfail': {'DEFAULT': {
                'compute_driver': 'fake.FakeRebootFailDriver'}},
        })
        client = bc.RpcClient(cloud)
        try:
            yield cloud, client
        finally:
            client.close()
            bc.stop_daemons(cloud)
    finally:
        factory.cleanup()


def _boot(env, host):
    cloud, client = env
    [uuid] = client.boot_on(host, client.flavor('tiny', 1, 512, 1))
    row = bc.wait_for_states(cloud, [uuid], accept=('active',))[uuid]
    assert row['power_state'] == RUNNING
    return uuid


def _act(env, uuid, task_state, action, method, expect, **kwargs):
    cloud, client = env
    client.action(uuid, task_state, action, method, **kwargs)
    row = bc.wait_for_states(cloud, [uuid], accept=(expect[0],))[uuid]
    assert (row['vm_state'], row['task_state'], row['power_state']) == \
        (expect[0], None, expect[1])
    # The event is finished once the flow is done, a moment after the
    # state settled (as in Nova, whose EventReporter exits after the save).
    def finished():
        last = bc.events(cloud, uuid)[-1]
        return last if last['result'] is not None and \
            last['action'] == action else None
    last = bc.cloud_mod.wait_for(finished, 30, interval=0.05,
                                 message='%s event finished' % action)
    assert (last['action'], last['result'], last['host']) == \
        (action, 'Success', row['host'])
    return row


def test_every_power_action_moves_states_as_nova_documents(env):
    uuid = _boot(env, 'cn1')
    _act(env, uuid, 'powering-off', 'stop', 'stop_instance',
         ('stopped', SHUTDOWN))
    _act(env, uuid, 'powering-on', 'start', 'start_instance',
         ('active', RUNNING))
    _act(env, uuid, 'rebooting', 'reboot', 'reboot_instance',
         ('active', RUNNING), reboot_type='SOFT')
    _act(env, uuid, 'pausing', 'pause', 'pause_instance',
         ('paused', PAUSED))
    _act(env, uuid, 'unpausing', 'unpause', 'unpause_instance',
         ('active', RUNNING))
    _act(env, uuid, 'suspending', 'suspend', 'suspend_instance',
         ('suspended', SUSPENDED))
    _act(env, uuid, 'resuming', 'resume', 'resume_instance',
         ('active', RUNNING))
    # A hard reboot brings back a stopped server.
    _act(env, uuid, 'powering-off', 'stop', 'stop_instance',
         ('stopped', SHUTDOWN), clean_shutdown=False)
    _act(env, uuid, 'rebooting_hard', 'reboot', 'reboot_instance',
         ('active', RUNNING), reboot_type='HARD')
    cloud, _client = env
    events = [e['event'] for e in bc.finished_events(cloud, uuid)]
    assert events[-9:] == [
        'compute_stop_instance', 'compute_start_instance',
        'compute_reboot_instance', 'compute_pause_instance',
        'compute_unpause_instance', 'compute_suspend_instance',
        'compute_resume_instance', 'compute_stop_instance',
        'compute_reboot_instance']
    assert bc.faults(cloud, uuid) == []


def test_transient_task_states_are_visible_while_the_driver_works(env):
    cloud, client = env
    uuid = _boot(env, 'slow')
    client.action(uuid, 'rebooting', 'reboot', 'reboot_instance',
                  reboot_type='SOFT')
    seen = set()

    def settled():
        row = bc.states(cloud, [uuid])[uuid]
        seen.add(row['task_state'])
        return row['task_state'] is None and row
    row = bc.cloud_mod.wait_for(settled, 30, interval=0.05)
    assert row['vm_state'] == 'active'
    # The compute walks rebooting -> reboot_pending -> reboot_started.
    assert 'reboot_started' in seen, seen


def test_failed_reboot_of_a_running_guest_keeps_it_active_with_a_fault(env):
    cloud, client = env
    uuid = _boot(env, 'rebootfail')
    client.action(uuid, 'rebooting_hard', 'reboot', 'reboot_instance',
                  reboot_type='HARD')
    row = bc.wait_for_states(cloud, [uuid], accept=('active',))[uuid]
    assert row['power_state'] == RUNNING
    [fault] = bc.faults(cloud, uuid)
    assert fault['message'].startswith('Virt driver error: fake HARD reboot')
    assert fault['host'] == 'rebootfail'
    last = bc.finished_events(cloud, uuid)[-1]
    assert (last['event'], last['result']) == ('compute_reboot_instance',
                                               'Error')
    assert cloud.sql('SELECT message FROM instance_actions WHERE '
                     "instance_uuid = %s AND action = 'reboot'",
                     (uuid,)) == [{'message': 'Error'}]


def test_consoles(env):
    cloud, client = env
    uuid = _boot(env, 'cn1')
    ctxt = client.context()
    inst = client.instance(uuid)
    info = client.compute_rpcapi.get_vnc_console(ctxt, inst, 'novnc')
    assert set(info) == {'token', 'host', 'port', 'internal_access_path',
                         'access_url', 'console_type'}
    assert info['console_type'] == 'novnc'
    assert info['host'] == '127.0.0.1' and info['port'] >= 5900
    assert info['access_url'] == '%s?path=%%3Ftoken%%3D%s' % (
        cloud.novncproxy_base_url, info['token'])
    again = client.compute_rpcapi.get_vnc_console(ctxt, inst, 'novnc')
    assert again['token'] != info['token']
    assert client.compute_rpcapi.validate_console_port(
        ctxt, inst, info['port'], 'novnc') is True
    assert client.compute_rpcapi.validate_console_port(
        ctxt, inst, info['port'] + 1000, 'novnc') is False
    from novalite import exception
    with pytest.raises(exception.ConsoleTypeInvalid):
        client.compute_rpcapi.get_vnc_console(ctxt, inst, 'spice-html5')
    output = client.compute_rpcapi.get_console_output(ctxt, inst)
    assert uuid in output and 'login:' in output
    tail = client.compute_rpcapi.get_console_output(ctxt, inst,
                                                    tail_length=1)
    assert tail == 'login:'


def test_delete_while_building_wins(env):
    """A delete cast while the build is still spawning ends with the
    instance gone and nothing left claimed or allocated."""
    cloud, client = env
    slow_spawn = 'slowspawn'
    cloud.start('compute', host=slow_spawn,
                extra_conf={'fake_driver': {'spawn_delay': 3}})
    bc.wait_for_computes(cloud, [slow_spawn])
    [uuid] = client.boot_on(slow_spawn, client.flavor('tiny', 1, 512, 1))
    bc.cloud_mod.wait_for(
        lambda: bc.states(cloud, [uuid])[uuid]['task_state'] == 'spawning',
        30, interval=0.05)
    client.delete(uuid)
    bc.wait_for_gone(cloud, [uuid], timeout=30)
    assert cloud.sql('SELECT COUNT(*) AS n FROM fixed_ips WHERE '
                     'instance_uuid = %s', (uuid,))[0]['n'] == 0
    bc.cloud_mod.wait_for(
        lambda: bc.compute_nodes(cloud)[slow_spawn]['vcpus_used'] == 0, 20)
    deleted = bc.states(cloud, [uuid], deleted=True)[uuid]
    assert deleted['vm_state'] == 'deleted'
