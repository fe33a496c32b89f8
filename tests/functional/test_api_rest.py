"""novalite-api over HTTP against real daemons: resources, quotas, policy,
isolation between projects, and a volley of hostile requests.

The module's cloud runs conductor, scheduler, consoleauth and novalite-api
(noauth2 on loopback); no compute runs here, so servers go from BUILD to
ERROR with the scheduler's fault — the API side of create, show, list,
actions and delete is what is tested.
"""

import json

import pytest
import requests

from tests.functional import boot_client as bc
from tests.functional.cloud import wait_for
from tests.functional.conftest import CloudFactory
from tests.functional.conftest import start_control_plane

# Set by the cloud fixture to an image imported into the cloud.
IMAGE = None


class Client:
    """Tiny HTTP client for one user of one project."""

    def __init__(self, base, token, version='2.11', roles=None):
        self.base = base
        self.headers = {'X-Auth-Token': token}
        if version:
            self.headers['OpenStack-API-Version'] = 'compute %s' % version
        if roles:
            self.headers['X-Roles'] = roles

    def __call__(self, method, path, body=None, headers=None, raw=None):
        hdrs = dict(self.headers, **(headers or {}))
        if raw is not None:
            hdrs.setdefault('Content-Type', 'application/json')
            return requests.request(method, self.base + path, data=raw,
                                    headers=hdrs, timeout=60)
        return requests.request(method, self.base + path, json=body,
                                headers=hdrs, timeout=60)


def start_api(cloud, timeout=60):
    """Start novalite-api on the cloud's port and wait until it answers."""
    return bc.start_api(cloud, timeout)


def import_image(cloud, directory):
    """``novalite-manage image import`` a small raw image; returns its id."""
    path = directory / 'tiny.img'
    path.write_bytes(b'\0' * 4096)
    out = cloud.manage('image', 'import', '--name', 'tiny', '--file',
                       str(path), '--disk-format', 'raw', check=True).stdout
    return [line.split('|')[2].strip() for line in out.splitlines()
            if line.startswith('| id ')][0]


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    global IMAGE
    factory = CloudFactory()
    try:
        c = start_control_plane(factory())
        start_api(c)
        IMAGE = import_image(c, tmp_path_factory.mktemp('img'))
        yield c
    finally:
        factory.cleanup()


@pytest.fixture(scope='module')
def admin(cloud):
    return Client(cloud.api_url + '/v2.1', 'admin:admin')


@pytest.fixture(scope='module')
def alice(cloud):
    return Client(cloud.api_url + '/v2.1', 'alice:projA')


@pytest.fixture(scope='module')
def bob(cloud):
    return Client(cloud.api_url + '/v2.1', 'bob:projB')


@pytest.fixture(scope='module')
def flavor(admin):
    resp = admin('POST', '/flavors', {'flavor': {
        'name': 'm1.small', 'ram': 256, 'vcpus': 1, 'disk': 1, 'id': '2'}})
    assert resp.status_code == 200, resp.text
    return resp.json()['flavor']


def _create_server(client, flavor_id, name='vm', **extra):
    server = {'name': name, 'flavorRef': flavor_id, 'imageRef': IMAGE}
    server.update(extra)
    return client('POST', '/servers', {'server': server})


def _wait_status(client, server_id, statuses, timeout=60):
    def check():
        resp = client('GET', '/servers/%s' % server_id)
        return resp.json()['server'] if resp.status_code == 200 and \
            resp.json()['server']['status'] in statuses else None
    return wait_for(check, timeout, interval=0.5,
                    message='server %s in %s' % (server_id, statuses))


def test_versions_and_request_ids(cloud):
    resp = requests.get(cloud.api_url + '/')
    assert resp.status_code == 200
    assert [v['id'] for v in resp.json()['versions']] == ['v2.0', 'v2.1']
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    resp = requests.get(cloud.api_url + '/v2.1/', headers={
        'OpenStack-API-Version': 'compute 2.100',
        'X-Auth-Token': 'alice:projA'})
    assert resp.status_code == 406
    assert resp.headers['x-compute-request-id'].startswith('req-')


def test_flavor_lifecycle_and_access(admin, alice, bob):
    resp = admin('POST', '/flavors', {'flavor': {
        'name': 'private1', 'ram': 64, 'vcpus': 1, 'disk': 0, 'id': 'p1',
        'os-flavor-access:is_public': False}})
    assert resp.status_code == 200
    assert resp.json()['flavor']['os-flavor-access:is_public'] is False
    assert admin('POST', '/flavors', {'flavor': {
        'name': 'private1', 'ram': 64, 'vcpus': 1, 'disk': 0}}
    ).status_code == 409
    ids = lambda c: {f['id'] for f in c('GET', '/flavors').json()['flavors']}
    assert 'p1' not in ids(alice)
    resp = admin('POST', '/flavors/p1/action',
                 {'addTenantAccess': {'tenant': 'projA'}})
    assert resp.json() == {'flavor_access': [
        {'flavor_id': 'p1', 'tenant_id': 'projA'}]}
    assert 'p1' in ids(alice)
    assert 'p1' not in ids(bob)
    assert alice('POST', '/flavors/p1/action',
                 {'addTenantAccess': {'tenant': 'projA'}}
                 ).status_code == 403
    assert admin('POST', '/flavors/p1/os-extra_specs', {
        'extra_specs': {'hw:cpu_policy': 'shared'}}).status_code == 200
    assert admin('GET', '/flavors/p1/os-extra_specs/hw:cpu_policy'
                 ).json() == {'hw:cpu_policy': 'shared'}
    assert alice('POST', '/flavors/p1/os-extra_specs', {
        'extra_specs': {'a': 'b'}}).status_code == 403
    assert alice('DELETE', '/flavors/p1').status_code == 403
    assert admin('DELETE', '/flavors/p1').status_code == 202
    assert admin('GET', '/flavors/p1').status_code == 404


def test_keypairs_are_per_user(alice, bob):
    resp = alice('POST', '/os-keypairs', {'keypair': {'name': 'kp'}})
    assert resp.status_code == 201
    body = resp.json()['keypair']
    assert body['private_key'].startswith('-----BEGIN RSA PRIVATE KEY')
    assert len(body['fingerprint'].split(':')) == 16
    assert alice('POST', '/os-keypairs', {'keypair': {'name': 'kp'}}
                 ).status_code == 409
    assert bob('GET', '/os-keypairs/kp').status_code == 404
    assert bob('DELETE', '/os-keypairs/kp').status_code == 404
    assert bob('GET', '/os-keypairs').json() == {'keypairs': []}
    assert bob('GET', '/os-keypairs?user_id=alice').status_code == 403
    imported = bob('POST', '/os-keypairs', {'keypair': {
        'name': 'kp', 'public_key': body['public_key']}})
    assert imported.status_code == 201
    assert imported.json()['keypair']['fingerprint'] == body['fingerprint']
    assert 'private_key' not in imported.json()['keypair']
    assert bob('POST', '/os-keypairs', {'keypair': {
        'name': 'bad', 'public_key': 'ssh-rsa not-base64'}}
    ).status_code == 400
    assert alice('DELETE', '/os-keypairs/kp').status_code == 204
    assert bob('DELETE', '/os-keypairs/kp').status_code == 204


def test_services_and_hypervisors_are_admin_only(admin, alice):
    services = admin('GET', '/os-services').json()['services']
    binaries = {s['binary'] for s in services}
    assert {'novalite-conductor', 'novalite-scheduler',
            'novalite-consoleauth'} <= binaries
    assert all(s['state'] == 'up' for s in services)
    assert alice('GET', '/os-services').status_code == 403
    assert alice('GET', '/os-hypervisors').status_code == 403
    assert admin('GET', '/os-hypervisors').json() == {'hypervisors': []}
    sched = [s for s in services if s['binary'] == 'novalite-scheduler'][0]
    resp = admin('PUT', '/os-services/disable-log-reason', {
        'host': sched['host'], 'binary': sched['binary'],
        'disabled_reason': 'maintenance'})
    assert resp.json() == {'service': {
        'host': sched['host'], 'binary': 'novalite-scheduler',
        'status': 'disabled', 'disabled_reason': 'maintenance'}}
    resp = admin('PUT', '/os-services/force-down', {
        'host': sched['host'], 'binary': sched['binary'],
        'forced_down': True})
    assert resp.json()['service']['forced_down'] is True
    row = [s for s in admin('GET', '/os-services').json()['services']
           if s['binary'] == 'novalite-scheduler'][0]
    assert (row['status'], row['state'], row['forced_down']) == \
        ('disabled', 'down', True)
    admin('PUT', '/os-services/force-down', {
        'host': sched['host'], 'binary': sched['binary'],
        'forced_down': False})
    assert admin('PUT', '/os-services/enable', {
        'host': sched['host'], 'binary': sched['binary']}
    ).json()['service']['status'] == 'enabled'
    old = Client(admin.base, 'admin:admin', version='2.10')
    assert old('PUT', '/os-services/force-down', {
        'host': sched['host'], 'binary': sched['binary'],
        'forced_down': True}).status_code == 404


def test_server_create_show_list_delete(alice, bob, admin, flavor):
    resp = _create_server(alice, flavor['id'], metadata={'k': 'v'})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()['server']['id']
    server = alice('GET', '/servers/%s' % server_id).json()['server']
    assert server['status'] in ('BUILD', 'ERROR')
    assert server['metadata'] == {'k': 'v'}
    # No compute runs here: the scheduler finds no host.
    server = _wait_status(alice, server_id, ('ERROR',))
    assert server['fault']['code'] == 500
    assert 'No valid host' in server['fault']['message']
    listed = [s['id'] for s in alice('GET', '/servers').json()['servers']]
    assert server_id in listed
    assert bob('GET', '/servers').json() == {'servers': []}
    assert bob('GET', '/servers/%s' % server_id).status_code == 404
    assert bob('DELETE', '/servers/%s' % server_id).status_code == 404
    assert bob('GET', '/servers/%s/os-instance-actions' % server_id
               ).status_code == 404
    actions = alice('GET', '/servers/%s/os-instance-actions' % server_id
                    ).json()['instanceActions']
    assert [a['action'] for a in actions] == ['create']
    everyone = admin('GET', '/servers?all_tenants=1').json()['servers']
    assert server_id in [s['id'] for s in everyone]
    resp = alice('POST', '/servers/%s/action' % server_id, {'pause': None})
    assert resp.status_code == 409
    assert resp.json()['conflictingRequest']['message'] == \
        "Cannot 'pause' instance %s while it is in vm_state error" \
        % server_id
    assert alice('PUT', '/servers/%s' % server_id, {
        'server': {'name': 'renamed'}}).json()['server']['name'] == \
        'renamed'
    assert alice('DELETE', '/servers/%s' % server_id).status_code == 204
    assert alice('GET', '/servers/%s' % server_id).status_code == 404


def test_reader_cannot_mutate(cloud, flavor):
    reader = Client(cloud.api_url + '/v2.1', 'carol:projA', roles='reader')
    assert reader('GET', '/servers').status_code == 200
    assert _create_server(reader, flavor['id']).status_code == 403
    assert reader('POST', '/os-server-groups', {'server_group': {
        'name': 'g', 'policies': ['affinity']}}).status_code == 403


def test_quota_limits_instances(admin, cloud, flavor):
    dave = Client(cloud.api_url + '/v2.1', 'dave:projQ')
    assert dave('PUT', '/os-quota-sets/projQ', {'quota_set': {
        'instances': 1}}).status_code == 403
    resp = admin('PUT', '/os-quota-sets/projQ', {'quota_set': {
        'instances': 1}})
    assert resp.json()['quota_set']['instances'] == 1
    assert dave('GET', '/os-quota-sets/projQ').json()['quota_set'][
        'instances'] == 1
    assert dave('GET', '/os-quota-sets/projA').status_code == 403
    first = _create_server(dave, flavor['id'])
    assert first.status_code == 202
    second = _create_server(dave, flavor['id'])
    assert second.status_code == 403
    assert second.json()['forbidden']['message'] == (
        'Quota exceeded for instances: Requested 1, but already used 1 '
        'of 1 instances')
    limits = dave('GET', '/limits').json()['limits']['absolute']
    assert (limits['maxTotalInstances'], limits['totalInstancesUsed']) == \
        (1, 1)
    assert dave('GET', '/limits?tenant_id=projA').status_code == 403
    detail = dave('GET', '/os-quota-sets/projQ/detail').json()['quota_set']
    assert detail['instances'] == {'limit': 1, 'in_use': 1, 'reserved': 0}
    dave('DELETE', '/servers/%s' % first.json()['server']['id'])
    assert admin('DELETE', '/os-quota-sets/projQ').status_code == 202


def test_server_groups_and_zones(alice, bob, admin):
    resp = alice('POST', '/os-server-groups', {'server_group': {
        'name': 'g1', 'policies': ['anti-affinity']}})
    assert resp.status_code == 200
    group = resp.json()['server_group']
    # project_id / user_id only come with 2.13.
    assert set(group) == {'id', 'name', 'policies', 'members', 'metadata'}
    assert bob('GET', '/os-server-groups/%s' % group['id']
               ).status_code == 404
    assert bob('DELETE', '/os-server-groups/%s' % group['id']
               ).status_code == 404
    assert bob('GET', '/os-server-groups').json() == {'server_groups': []}
    assert alice('POST', '/os-server-groups', {'server_group': {
        'name': 'g2', 'policies': ['bogus']}}).status_code == 400
    assert alice('DELETE', '/os-server-groups/%s' % group['id']
                 ).status_code == 204
    zones = alice('GET', '/os-availability-zone').json()
    assert zones == {'availabilityZoneInfo': []}
    assert alice('GET', '/os-availability-zone/detail').status_code == 403
    detail = admin('GET', '/os-availability-zone/detail').json()
    assert detail['availabilityZoneInfo'][0]['zoneName'] == 'internal'


def _hostile_requests(server_id):
    """(method, path, body-or-raw) triples built to break things."""
    bad_bodies = [
        b'', b'{', b'}', b'[]', b'null', b'1', b'"s"', b'{"server": 1}',
        b'{"server": null}', b'{"server": []}', b'\xff\xfe\xfd',
        b'{"server": {"name": "\\u0000"}}', b'[' * 5000 + b']' * 5000,
        json.dumps({'server': {'name': 'x' * 300, 'flavorRef': '1'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '1',
                               'max_count': 10 ** 30}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '1',
                               'min_count': -5}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': None}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '1',
                               'imageRef': 'not-a-uuid'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '1',
                               'imageRef': IMAGE,
                               'user_data': '!!notbase64'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': 'nope',
                               'imageRef': IMAGE}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE,
                               'key_name': 'missing'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE,
                               'networks': [{'port': IMAGE}]}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE,
                               'availability_zone': 'nova:host'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE,
                               'metadata': {'k' * 300: 'v'}}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE,
                               'accessIPv4': '999.1.1.1'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE},
                    'os:scheduler_hints': {'group': 'zzz'}}).encode(),
        json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                               'imageRef': IMAGE, 'personality': [
                                   {'path': '/a', 'contents': '@@'}]}}
                   ).encode(),
    ] + [json.dumps({'server': {'name': 'x', 'flavorRef': '2',
                                'imageRef': IMAGE,
                                'block_device_mapping_v2': bdm}}).encode()
         for bdm in ([{'uuid': IMAGE, 'source_type': 'volume',
                       'destination_type': 'volume', 'boot_index': 0}],
                     [{'uuid': IMAGE, 'source_type': 'image',
                       'boot_index': 'x'}],
                     [{'source_type': 'blank', 'destination_type': 'local',
                       'volume_size': 1, 'boot_index': -1}],
                     [{'uuid': IMAGE, 'source_type': 'image',
                       'destination_type': 'local', 'boot_index': 0}] * 2,
                     [1], 'x', [{'bogus': 1}])]
    requests_ = []
    for raw in bad_bodies:
        requests_.append(('POST', '/servers', raw))
        requests_.append(('PUT', '/servers/%s' % server_id, raw))
        requests_.append(('POST', '/servers/%s/action' % server_id, raw))
        requests_.append(('POST', '/os-keypairs', raw))
        requests_.append(('POST', '/flavors', raw))
        requests_.append(('PUT', '/os-quota-sets/projA', raw))
        requests_.append(('POST', '/servers/%s/metadata' % server_id, raw))
        requests_.append(('POST', '/os-server-groups', raw))
        requests_.append(('PUT', '/os-services/disable', raw))
    actions = [{'reboot': None}, {'reboot': {'type': 'SIDEWAYS'}},
               {'reboot': {'type': 1}}, {'os-getConsoleOutput': {
                   'length': 'abc'}}, {'os-getConsoleOutput': {
                       'length': -7}}, {'os-getVNCConsole': {'type': 'x'}},
               {'os-getVNCConsole': None}, {'lock': {'x': 1}},
               {'nonexistent': None}, {'pause': None, 'unpause': None},
               {'addFloatingIp': {'address': '1.1.1.1'}}]
    for action in actions:
        requests_.append(('POST', '/servers/%s/action' % server_id,
                          json.dumps(action).encode()))
    for path in ('/servers/%s' % s for s in (
            'x', '0' * 36, "'; DROP TABLE instances; --", '%00', '..',
            IMAGE, 'ünïcode', 'a' * 5000)):
        for method in ('GET', 'PUT', 'DELETE', 'PATCH', 'POST'):
            requests_.append((method, path, b'{}'))
    for query in ('limit=-1', 'limit=x', 'limit=99999999999999999999',
                  'marker=nope', 'sort_key=bogus', 'sort_dir=up',
                  'changes-since=yesterday', 'status=%00', 'name=(',
                  'flavor=nope', 'all_tenants=1', 'deleted=maybe',
                  'ip=((', 'image=%ff', 'limit=1&limit=2'):
        requests_.append(('GET', '/servers?' + query, None))
        requests_.append(('GET', '/servers/detail?' + query, None))
        requests_.append(('GET', '/flavors?' + query, None))
        requests_.append(('GET', '/flavors/detail?' + query, None))
    for path in ('/flavors/nope', '/flavors/nope/os-extra_specs',
                 '/flavors/2/os-flavor-access', '/os-keypairs/nope',
                 '/os-hypervisors/x', '/os-hypervisors/99999',
                 '/os-hypervisors/x/search', '/os-hypervisors/statistics',
                 '/os-server-groups/nope', '/os-quota-sets/projB',
                 '/os-quota-sets/projB/detail', '/limits?tenant_id=projB',
                 '/images/nope', '/images/detail',
                 '/servers/%s/ips/nope' % server_id,
                 '/servers/%s/metadata/nope' % server_id,
                 '/servers/%s/os-instance-actions/nope' % server_id,
                 '/os-services/x', '/os-cells', '/os-fping'):
        for method in ('GET', 'DELETE', 'PUT', 'POST'):
            requests_.append((method, path, b'{"a": 1}'))
    return requests_


def test_hostile_requests_never_500(alice, cloud, flavor):
    resp = _create_server(alice, flavor['id'])
    server_id = resp.json()['server']['id']
    volley = _hostile_requests(server_id)
    assert len(volley) >= 300
    statuses = {}
    for method, path, raw in volley:
        for content_type in ('application/json', 'text/plain'):
            resp = alice(method, path, raw=raw,
                         headers={'Content-Type': content_type})
            statuses.setdefault(resp.status_code, []).append(
                (method, path, (raw or b'')[:60]))
            assert resp.headers.get('x-openstack-request-id')
            if resp.status_code >= 400:
                fault = resp.json()
                (name, body), = fault.items()
                assert body['code'] == resp.status_code
    assert 500 not in statuses, statuses[500][:10]
    assert not [s for s in statuses if s >= 500], statuses.keys()
    # Nothing half-created: only the one server of this test exists here.
    servers = alice('GET', '/servers?name=^x$').json()['servers']
    assert servers == []
    alice('DELETE', '/servers/%s' % server_id)


def _hostile_image_requests():
    paths = ['/image', '/image/', '/image/versions', '/image/v2',
             '/image/v2/images', '/image/v2/images/%s' % IMAGE,
             '/image/v2/images/nope', '/image/v2/images/%s/file' % IMAGE,
             '/image/v2/schemas/image', '/image/v2/images/..%2f..']
    queries = ['limit=-1', 'limit=x', 'limit=99999999999999999999',
               'marker=nope', 'sort_key=bogus', 'sort_dir=up',
               'sort=name:sideways', 'sort=:', 'size_min=x', 'id=in:',
               'name=in:a,,b', 'os_hidden=maybe', 'visibility=%ff',
               'status=%00', 'sort=name&sort_key=id', 'member_status=x']
    volley = [(method, path, b'{"a": 1}') for path in paths
              for method in ('GET', 'POST', 'PUT', 'DELETE', 'PATCH')]
    volley += [('GET', '/image/v2/images?' + q, None) for q in queries]
    return volley


def _hostile_metadata_requests():
    paths = ['/', '/openstack', '/openstack/latest/meta_data.json',
             '/openstack/1999-01-01/meta_data.json', '/latest/meta-data/',
             '/latest/meta-data/public-keys/0/openssh-key', '/ec2',
             '/../../etc/passwd', '/%00', '/openstack/latest/password',
             '/latest/user-data', '/' + 'a' * 5000]
    headers = [{}, {'X-Instance-ID': IMAGE},
               {'X-Instance-ID': IMAGE, 'X-Tenant-ID': 'projA',
                'X-Instance-ID-Signature': 'x'},
               {'X-Forwarded-For': '((, 10.0.0.2'}]
    return [(method, path, h) for path in paths for h in headers
            for method in ('GET', 'POST', 'HEAD')]


def test_hostile_image_and_metadata_requests_never_500(cloud):
    """The Glance-compatible image API and the metadata API get their
    own volley."""
    statuses = {}
    for method, path, raw in _hostile_image_requests():
        resp = requests.request(method, cloud.api_url + path, data=raw,
                                headers={'X-Auth-Token': 'alice:projA',
                                         'Content-Type': 'application/json'},
                                timeout=30)
        statuses.setdefault(resp.status_code, []).append((method, path))
    for method, path, headers in _hostile_metadata_requests():
        resp = requests.request(method, cloud.metadata_url + path,
                                headers=headers, timeout=30)
        statuses.setdefault(resp.status_code, []).append((method, path))
    assert sum(len(v) for v in statuses.values()) >= 200
    assert not [s for s in statuses if s >= 500], {
        s: v[:5] for s, v in statuses.items() if s >= 500}
    assert 200 in statuses and 404 in statuses and 405 in statuses


def test_body_size_limit(alice):
    resp = alice('POST', '/servers', raw=b'{"a": "%s"}' % (b'x' * 200000))
    assert resp.status_code == 413
    assert resp.json()['overLimit']['code'] == 413


def test_legacy_v2_endpoint(cloud):
    legacy = Client(cloud.api_url + '/v2', 'alice:projA', version=None)
    resp = legacy('GET', '/flavors')
    assert resp.status_code == 200
    assert 'OpenStack-API-Version' not in resp.headers
    # The project id in the URL, as v2 clients send it.
    assert legacy('GET', '/projA/flavors').status_code == 200
    assert legacy('GET', '/projB/flavors').status_code == 400

