"""Project isolation on every by-id route, against real daemons.

Project p1 owns a server (with metadata and an action), a key pair, a
server group and access to a private flavor. The matrix asks each of them
as p1's member, p1's reader, p2's member, p2's reader and the admin, and
checks the status Nova answers: another project's resources are not found
(404, never 200 and never a 403 that confirms they exist), a reader reads
but does not change, the admin reaches everything. A body that answers a
caller without the right never names the resource.
"""

import pytest
import requests

from tests.functional import boot_client as bc
from tests.functional.cloud import wait_for
from tests.functional.conftest import CloudFactory

OWNER, OWNER_READER, OTHER, OTHER_READER, ADMIN = (
    'owner', 'owner-reader', 'other', 'other-reader', 'admin')
CALLERS = {
    OWNER: ('alice:p1', None),
    OWNER_READER: ('carol:p1', 'reader'),
    OTHER: ('bob:p2', None),
    OTHER_READER: ('dave:p2', 'reader'),
    ADMIN: ('admin:admin', None),
}


def _call(cloud, who, method, path, body=None, version='2.11'):
    token, roles = CALLERS[who]
    headers = {'X-Auth-Token': token,
               'OpenStack-API-Version': 'compute %s' % version}
    if roles:
        headers['X-Roles'] = roles
    return requests.request(method, cloud.api_url + '/v2.1' + path,
                            json=body, headers=headers, timeout=60)


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {'cn1': None})
        bc.start_api(cloud)
        image = bc.import_image(cloud, tmp_path_factory.mktemp('img'))
        resp = _call(cloud, ADMIN, 'POST', '/flavors', {'flavor': {
            'name': 'private', 'ram': 64, 'vcpus': 1, 'disk': 1,
            'os-flavor-access:is_public': False}})
        assert resp.status_code == 200, resp.text
        flavor = resp.json()['flavor']['id']
        assert _call(cloud, ADMIN, 'POST', '/flavors/%s/action' % flavor,
                     {'addTenantAccess': {'tenant': 'p1'}}).status_code \
            == 200
        assert _call(cloud, ADMIN, 'POST',
                     '/flavors/%s/os-extra_specs' % flavor,
                     {'extra_specs': {'test:k': 'v'}}).status_code == 200
        resp = _call(cloud, OWNER, 'POST', '/servers', {'server': {
            'name': 'vm', 'flavorRef': flavor, 'imageRef': image,
            'metadata': {'m': 'v'}}})
        assert resp.status_code == 202, resp.text
        server = resp.json()['server']['id']

        def active():
            body = _call(cloud, OWNER, 'GET', '/servers/' + server).json()
            assert body['server']['status'] != 'ERROR', body['server'].get('fault')
            return body['server']['status'] == 'ACTIVE'
        wait_for(active, 60, interval=0.3, message='server ACTIVE')
        actions = _call(cloud, OWNER, 'GET',
                        '/servers/%s/os-instance-actions' % server).json()
        request_id = actions['instanceActions'][0]['request_id']
        assert _call(cloud, OWNER, 'POST', '/os-keypairs', {'keypair': {
            'name': 'kp1'}}).status_code == 201
        resp = _call(cloud, OWNER, 'POST', '/os-server-groups', {
            'server_group': {'name': 'g1', 'policies': ['affinity']}})
        assert resp.status_code == 200, resp.text
        group = resp.json()['server_group']['id']
        cloud.ids = {'flavor': flavor, 'server': server, 'group': group,
                     'request_id': request_id, 'image': image}
        yield cloud
    finally:
        factory.cleanup()


# (method, path template, body, {caller: expected status}); a path's ids
# are filled from the world. Reads: the project's own callers and the
# admin 200, the other project 404.
_READ = {OWNER: 200, OWNER_READER: 200, OTHER: 404, OTHER_READER: 404,
         ADMIN: 200}
# Changes: only the owner's member and the admin; the reader 403.
_WRITE = {OWNER_READER: 403, OTHER: 404, OTHER_READER: 404}

MATRIX = [
    ('GET', '/flavors/{flavor}', None, _READ),
    ('GET', '/flavors/{flavor}/os-extra_specs', None, _READ),
    ('GET', '/flavors/{flavor}/os-extra_specs/test:k', None, _READ),
    ('GET', '/servers/{server}', None, _READ),
    ('GET', '/servers/{server}/ips', None, _READ),
    ('GET', '/servers/{server}/metadata', None, _READ),
    ('GET', '/servers/{server}/metadata/m', None, _READ),
    ('GET', '/servers/{server}/os-instance-actions', None, _READ),
    ('GET', '/servers/{server}/os-instance-actions/{request_id}', None,
     _READ),
    ('GET', '/os-server-groups/{group}', None, _READ),
    ('PUT', '/servers/{server}', {'server': {'name': 'renamed'}}, _WRITE),
    ('PUT', '/servers/{server}/metadata/m', {'meta': {'m': 'w'}}, _WRITE),
    ('POST', '/servers/{server}/metadata', {'metadata': {'n': 'x'}},
     _WRITE),
    ('DELETE', '/servers/{server}/metadata/m', None, _WRITE),
    ('POST', '/servers/{server}/action', {'os-stop': None}, _WRITE),
    ('POST', '/servers/{server}/action', {'os-getConsoleOutput': {}},
     {OTHER: 404, OTHER_READER: 404}),
    ('POST', '/servers/{server}/remote-consoles',
     {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}},
     {OTHER: 404, OTHER_READER: 404, OWNER_READER: 403}),
    ('DELETE', '/servers/{server}', None, _WRITE),
    ('DELETE', '/os-server-groups/{group}', None, _WRITE),
    # Key pairs belong to their user: even the owner's project colleague
    # does not find them; the admin names the user (2.10).
    ('GET', '/os-keypairs/kp1', None,
     {OWNER: 200, OWNER_READER: 404, OTHER: 404, OTHER_READER: 404,
      ADMIN: 404}),
    ('DELETE', '/os-keypairs/kp1', None,
     {OWNER_READER: 404, OTHER: 404, OTHER_READER: 404, ADMIN: 404}),
    # Quotas: a project reads its own; another project's is forbidden.
    ('GET', '/os-quota-sets/p1', None,
     {OWNER: 200, OWNER_READER: 200, OTHER: 403, OTHER_READER: 403,
      ADMIN: 200}),
    ('PUT', '/os-quota-sets/p1', {'quota_set': {'instances': 20}},
     {OWNER: 403, OWNER_READER: 403, OTHER: 403, OTHER_READER: 403}),
    # Flavor administration is the admin's.
    ('GET', '/flavors/{flavor}/os-flavor-access', None,
     {OWNER: 403, OWNER_READER: 403, OTHER: 403, OTHER_READER: 403,
      ADMIN: 200}),
    ('POST', '/flavors/{flavor}/os-extra_specs', {'extra_specs': {'a': 'b'}},
     {OWNER: 403, OWNER_READER: 403, OTHER: 403, OTHER_READER: 403}),
    ('DELETE', '/flavors/{flavor}', None,
     {OWNER: 403, OWNER_READER: 403, OTHER: 403, OTHER_READER: 403}),
]


def _cases():
    for method, path, body, expected in MATRIX:
        for who, status in expected.items():
            yield pytest.param(method, path, body, who, status,
                               id='%s %s as %s' % (method, path, who))


@pytest.mark.parametrize('method,path,body,who,status', list(_cases()))
def test_isolation(world, method, path, body, who, status):
    url = path.format(**world.ids)
    resp = _call(world, who, method, url, body)
    assert resp.status_code == status, resp.text
    if status >= 400:
        fault = resp.json()
        assert len(fault) == 1
        name, detail = next(iter(fault.items()))
        assert detail['code'] == status
        # A refusal says nothing of the resource beyond its id.
        assert 'renamed' not in resp.text and '"m"' not in resp.text


def test_private_flavor_is_listed_only_for_its_projects(world):
    flavor = world.ids['flavor']
    for who, visible in ((OWNER, True), (OWNER_READER, True),
                         (OTHER, False), (OTHER_READER, False),
                         (ADMIN, False)):
        for path in ('/flavors', '/flavors/detail'):
            resp = _call(world, who, 'GET', path)
            assert resp.status_code == 200
            ids = {f['id'] for f in resp.json()['flavors']}
            assert (flavor in ids) is visible, (who, path)
    # As in Nova, an admin's default list is the public flavors; every
    # flavor is listed with is_public=none, which others cannot choose.
    for who, visible in ((ADMIN, True), (OTHER, False)):
        resp = _call(world, who, 'GET', '/flavors?is_public=none')
        assert resp.status_code == 200
        ids = {f['id'] for f in resp.json()['flavors']}
        assert (flavor in ids) is visible, who


def test_other_project_cannot_boot_from_a_private_flavor(world):
    resp = _call(world, OTHER, 'POST', '/servers', {'server': {
        'name': 'nope', 'flavorRef': world.ids['flavor'],
        'imageRef': world.ids['image']}})
    assert resp.status_code == 400, resp.text
    assert 'flavorRef' in resp.json()['badRequest']['message']


def test_other_project_lists_none_of_the_servers(world):
    for who in (OTHER, OTHER_READER):
        for path in ('/servers', '/servers/detail',
                     '/servers?all_tenants=1',
                     '/servers?project_id=p1', '/servers?tenant_id=p1'):
            resp = _call(world, who, 'GET', path)
            assert resp.status_code in (200, 403), resp.text
            if resp.status_code == 200:
                assert world.ids['server'] not in resp.text, (who, path)
    resp = _call(world, OTHER, 'GET', '/os-server-groups')
    assert world.ids['group'] not in resp.text


def test_admin_reaches_a_users_key_pair_by_naming_the_user(world):
    resp = _call(world, ADMIN, 'GET', '/os-keypairs/kp1?user_id=alice',
                 version='2.10')
    assert resp.status_code == 200, resp.text
    assert resp.json()['keypair']['name'] == 'kp1'
    resp = _call(world, OTHER, 'GET', '/os-keypairs/kp1?user_id=alice',
                 version='2.10')
    assert resp.status_code in (403, 404), resp.text
