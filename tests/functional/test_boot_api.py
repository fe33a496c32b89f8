"""The boot flow driven through novalite-api: 200 servers (mixed flavors,
min/max_count) over 20 fake computes, server groups and zones honoured,
power actions changing ``status`` as Nova's API reference says (409 in the
wrong state), the "No valid host" fault shown by ``GET /servers/{id}``,
and deleting everything.

Each fake compute: 6 vCPUs x 4.0, 8704 MiB (512 reserved) x 1.0,
100 GiB x 1.0.
"""

import collections
from concurrent import futures

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

HOSTS = ['cn%02d' % i for i in range(1, 21)]
AZ2_HOSTS = HOSTS[-4:]
CONF = {
    'DEFAULT': {'reserved_host_memory_mb': 512, 'cpu_allocation_ratio': 4.0,
                'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0},
    'fake_driver': {'vcpus': 6, 'memory_mb': 8704, 'local_gb': 100},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
    'scheduler': {'pending_claim_seconds': 5},
}
LIMITS = {'vcpus': 24, 'memory_mb': 8192, 'disk': 100}
FLAVORS = {'tiny': (1, 256, 1), 'small': (2, 512, 5), 'medium': (4, 1024, 10),
           'huge': (64, 1024, 1)}


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {h: None for h in HOSTS},
                                    conf_overrides=CONF, timeout=180)
        placeholders = ', '.join(['%s'] * len(AZ2_HOSTS))
        cloud.sql("UPDATE services SET availability_zone = 'az2' WHERE "
                  "host IN (%s)" % placeholders, AZ2_HOSTS)
        cloud.start('consoleauth')
        bc.start_api(cloud)
        image = bc.import_image(cloud, tmp_path_factory.mktemp('img'))
        api = bc.Api(cloud)
        flavors = {}
        for i, (name, (vcpus, ram, disk)) in enumerate(FLAVORS.items()):
            resp = api('POST', '/flavors', {'flavor': {
                'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk,
                'id': str(100 + i)}})
            assert resp.status_code == 200, resp.text
            flavors[name] = resp.json()['flavor']['id']
        try:
            yield cloud, api, image, flavors
        finally:
            bc.stop_daemons(cloud)
    finally:
        factory.cleanup()


def _post(env, flavor, name, count=1, min_count=None, **extra):
    _cloud, api, image, flavors = env
    server = {'name': name, 'flavorRef': flavors[flavor], 'imageRef': image,
              'max_count': count, 'min_count': min_count or count}
    hints = extra.pop('hints', None)
    server.update(extra)
    body = {'server': server}
    if hints:
        body['os:scheduler_hints'] = hints
    resp = api('POST', '/servers', body)
    assert resp.status_code == 202, resp.text
    if count == 1:
        return [resp.json()['server']['id']]
    return _ids_of_reservation(api, resp.json()['reservation_id'])


def _ids_of_reservation(api, reservation_id):
    resp = api('GET', '/servers/detail?reservation_id=%s' % reservation_id)
    return [s['id'] for s in resp.json()['servers']]


def _host(server):
    return server['OS-EXT-SRV-ATTR:host']


def test_200_servers_over_20_computes(env):
    cloud, api, _image, _flavors = env
    ids = []
    for _ in range(12):
        ids += _post(env, 'tiny', 't', count=10, return_reservation_id=True)
    for _ in range(6):
        ids += _post(env, 'small', 's', count=10, min_count=5,
                     return_reservation_id=True)
    for _ in range(2):
        ids += _post(env, 'medium', 'm', count=10,
                     return_reservation_id=True)
    assert len(ids) == len(set(ids)) == 200
    servers = api.wait(ids, ('ACTIVE', 'ERROR'), timeout=300)
    errors = {i: s.get('fault') for i, s in servers.items()
              if s['status'] != 'ACTIVE'}
    assert not errors, errors
    usage = collections.defaultdict(collections.Counter)
    for s in servers.values():
        vcpus, ram, disk = FLAVORS[_flavor_name(env, s)]
        host = _host(s)
        usage[host].update(vcpus=vcpus, memory_mb=ram, disk=disk)
        assert s['OS-EXT-STS:vm_state'] == 'active'
        assert s['OS-EXT-STS:power_state'] == 1
        [addr] = s['addresses'].values()
        assert addr[0]['OS-EXT-IPS:type'] == 'fixed'
    for host, used in usage.items():
        for key, limit in LIMITS.items():
            assert used[key] <= limit, (host, dict(used))
    assert len(usage) >= 15, sorted(usage)
    addresses = [a['addr'] for s in servers.values()
                 for net in s['addresses'].values() for a in net]
    assert len(set(addresses)) == 200
    # The hypervisor view agrees with the servers placed (a compute writes
    # its node's usage within a tenth of a second of a change).
    def nodes_agree():
        nodes = bc.compute_nodes(cloud)
        return all(nodes[h]['vcpus_used'] == used['vcpus'] and
                   nodes[h]['memory_mb_used'] == used['memory_mb'] + 512
                   for h, used in usage.items())
    bc.cloud_mod.wait_for(nodes_agree, 10,
                          message='node usage matching the servers placed')


_FLAVOR_BY_ID = {}


def _flavor_name(env, server):
    _cloud, _api, _image, flavors = env
    if not _FLAVOR_BY_ID:
        _FLAVOR_BY_ID.update({v: k for k, v in flavors.items()})
    return _FLAVOR_BY_ID[server['flavor']['id']]


def _group(env, policy):
    _cloud, api, _image, _flavors = env
    resp = api('POST', '/os-server-groups', {'server_group': {
        'name': policy, 'policies': [policy]}})
    assert resp.status_code == 200, resp.text
    return resp.json()['server_group']['id']


def test_server_groups_and_zones(env):
    _cloud, api, _image, _flavors = env
    anti = _group(env, 'anti-affinity')
    together = _group(env, 'affinity')
    anti_ids = _post(env, 'tiny', 'anti', count=4,
                     hints={'group': anti}, return_reservation_id=True)
    anti_ids += _post(env, 'tiny', 'anti-late', hints={'group': anti})
    aff_ids = _post(env, 'tiny', 'aff', count=3, hints={'group': together},
                    return_reservation_id=True)
    aff_ids += _post(env, 'tiny', 'aff-late', hints={'group': together})
    zone_ids = _post(env, 'tiny', 'zoned', count=4, availability_zone='az2',
                     return_reservation_id=True)
    # Separate requests racing for the same anti-affinity group: the
    # compute's late check sends any two that met on one host apart.
    racing = _group(env, 'anti-affinity')
    with futures.ThreadPoolExecutor(6) as pool:
        race_ids = sum(pool.map(
            lambda i: _post(env, 'tiny', 'race%d' % i,
                            hints={'group': racing}), range(6)), [])
    servers = api.wait(anti_ids + aff_ids + zone_ids + race_ids,
                       ('ACTIVE', 'ERROR'))
    assert {s['status'] for s in servers.values()} == {'ACTIVE'}, [
        s.get('fault') for s in servers.values()]
    anti_hosts = [_host(servers[i]) for i in anti_ids]
    assert len(set(anti_hosts)) == len(anti_hosts)
    assert len({_host(servers[i]) for i in aff_ids}) == 1
    race_hosts = [_host(servers[i]) for i in race_ids]
    assert len(set(race_hosts)) == len(race_hosts) == 6
    for i in zone_ids:
        assert _host(servers[i]) in AZ2_HOSTS
        assert servers[i]['OS-EXT-AZ:availability_zone'] == 'az2'


def _action(api, server_id, body, expect=202):
    resp = api('POST', '/servers/%s/action' % server_id, body)
    assert resp.status_code == expect, resp.text
    return resp


def test_power_actions_change_status_as_documented(env):
    _cloud, api, _image, _flavors = env
    [sid] = _post(env, 'tiny', 'power')
    api.wait([sid], ('ACTIVE',))
    steps = [
        ({'os-stop': None}, 'SHUTOFF', 4),
        ({'os-start': None}, 'ACTIVE', 1),
        ({'reboot': {'type': 'SOFT'}}, 'ACTIVE', 1),
        ({'pause': None}, 'PAUSED', 3),
        ({'unpause': None}, 'ACTIVE', 1),
        ({'suspend': None}, 'SUSPENDED', 7),
        ({'resume': None}, 'ACTIVE', 1),
        ({'os-stop': None}, 'SHUTOFF', 4),
        ({'reboot': {'type': 'HARD'}}, 'ACTIVE', 1),
    ]
    for body, status, power in steps:
        _action(api, sid, body)
        server = api.wait([sid], (status,))[sid]
        assert server['OS-EXT-STS:power_state'] == power
        assert server['OS-EXT-STS:task_state'] is None
    # Actions from the wrong state are refused with 409.
    _action(api, sid, {'os-start': None}, expect=409)
    _action(api, sid, {'unpause': None}, expect=409)
    _action(api, sid, {'resume': None}, expect=409)
    actions = api('GET', '/servers/%s/os-instance-actions' % sid).json()
    names = [a['action'] for a in actions['instanceActions']]
    assert names[:3] == ['reboot', 'stop', 'resume'] and names[-1] == \
        'create'
    create = [a for a in actions['instanceActions']
              if a['action'] == 'create'][0]
    detail = api('GET', '/servers/%s/os-instance-actions/%s'
                 % (sid, create['request_id'])).json()['instanceAction']
    events = {e['event']: e['result'] for e in detail['events']}
    assert events == {'conductor_schedule_and_build_instances': 'Success',
                      'compute_build_and_run_instance': 'Success'}


def test_no_valid_host_fault_is_shown(env):
    _cloud, api, _image, _flavors = env
    [sid] = _post(env, 'huge', 'too-big')
    server = api.wait([sid], ('ERROR',))[sid]
    assert server['fault']['code'] == 500
    assert server['fault']['message'].startswith('No valid host was found.')


def test_delete_everything(env):
    cloud, api, _image, _flavors = env
    servers = api('GET', '/servers?limit=1000').json()['servers']
    assert servers
    for s in servers:
        assert api('DELETE', '/servers/%s' % s['id']).status_code == 204
    bc.cloud_mod.wait_for(
        lambda: not api('GET', '/servers?limit=1000').json()['servers'],
        180, interval=0.5, message='every server deleted')
    bc.cloud_mod.wait_for(
        lambda: all(n['vcpus_used'] == 0 and n['running_vms'] == 0
                    for n in bc.compute_nodes(cloud).values()), 30,
        message='every node empty')
    assert cloud.sql('SELECT COUNT(*) AS n FROM fixed_ips '
                     'WHERE allocated = 1')[0]['n'] == 0
