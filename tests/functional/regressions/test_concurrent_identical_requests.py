"""Regressions of eight identical requests sent at once, against the real
novalite-api, two conductor workers and MariaDB (READ COMMITTED).

Each once answered 500: ``POST /flavors`` with the same id and
``addTenantAccess`` (a duplicate key the loser of the race met),
``POST /flavors/{id}/os-extra_specs`` (a deadlock, 1213) and
``PUT /os-quota-sets/<new project>`` (a duplicate key). A duplicate now
answers Nova's 409 ``conflictingRequest``; where Nova's semantics are
"set" (extra specs, quota limits) every request succeeds and one row per
key is left. The other create and set paths a user reaches are fired the same way.
"""

import threading

import pytest
import requests

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

CONCURRENCY = 8
# Each volley is one race, which the old code lost most times, not always:
# the routes of the issue fire ROUNDS volleys, each at its own resource.
ROUNDS = range(3)
rounds = pytest.mark.parametrize('n', ROUNDS)


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    factory = CloudFactory()
    try:
        # Two conductor workers: the DB sees the requests from two
        # processes as well as from green threads. One fake compute for a
        # server whose metadata is set.
        c = bc.start_boot_cloud(factory, {'fake-1': None},
                                conf_overrides={'conductor': {'workers': 2}})
        bc.start_api(c)
        c.image = bc.import_image(c, tmp_path_factory.mktemp('img'))
        yield c
    finally:
        factory.cleanup()


def _at_once(cloud, method, path, body=None, token='admin:admin',
             version='2.11'):
    """Send the same request CONCURRENCY times at once (each from its own
    thread and connection, released together); the responses."""
    url = cloud.api_url + '/v2.1' + path
    headers = {'X-Auth-Token': token,
               'OpenStack-API-Version': 'compute %s' % version}
    sessions = [requests.Session() for _ in range(CONCURRENCY)]
    for session in sessions:  # connect first: the requests leave together
        session.get(cloud.api_url, timeout=30)
    barrier = threading.Barrier(CONCURRENCY)
    responses = [None] * CONCURRENCY

    def send(i):
        barrier.wait(timeout=30)
        responses[i] = sessions[i].request(method, url, json=body,
                                           headers=headers, timeout=60)

    threads = [threading.Thread(target=send, args=(i,))
               for i in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    for session in sessions:
        session.close()
    assert all(r is not None for r in responses), 'a request never returned'
    return responses


def _statuses(responses):
    return sorted(r.status_code for r in responses)


def _one_won_the_rest_conflict(responses, won=200, messages=None):
    """One ``won`` answer, the others Nova's 409 body (with one of
    ``messages`` when given)."""
    assert _statuses(responses) == [won] + [409] * (CONCURRENCY - 1), \
        [(r.status_code, r.text[:300]) for r in responses]
    for resp in responses:
        if resp.status_code != 409:
            continue
        body = resp.json()
        assert list(body) == ['conflictingRequest'], body
        assert body['conflictingRequest']['code'] == 409
        if messages is not None:
            assert body['conflictingRequest']['message'] in messages, body


def _api(cloud, method, path, body=None, token='admin:admin'):
    return bc.Api(cloud, token=token)(method, path, body)


def _flavor(cloud, flavor_id, is_public=True):
    resp = _api(cloud, 'POST', '/flavors', {'flavor': {
        'name': 'f-' + flavor_id, 'id': flavor_id, 'ram': 64, 'vcpus': 1,
        'disk': 1, 'os-flavor-access:is_public': is_public}})
    assert resp.status_code == 200, resp.text
    return resp.json()['flavor']


@rounds
def test_flavor_create_same_id_at_once_gives_one_200_and_409s_not_500(
        cloud, n):
    responses = _at_once(cloud, 'POST', '/flavors', {'flavor': {
        'name': 'same%d' % n, 'id': 'same-id%d' % n, 'ram': 64, 'vcpus': 1,
        'disk': 1}})
    _one_won_the_rest_conflict(responses, messages=(
        'Flavor with ID same-id%d already exists.' % n,
        'Flavor with name same%d already exists.' % n))
    rows = cloud.sql("SELECT id FROM flavors WHERE flavorid = %s",
                     ('same-id%d' % n,))
    assert len(rows) == 1


def test_flavor_create_same_name_at_once_gives_409_flavor_exists(cloud):
    # Different ids, the same name: the name is the duplicate.
    url = cloud.api_url + '/v2.1/flavors'
    barrier = threading.Barrier(CONCURRENCY)
    responses = [None] * CONCURRENCY

    def send(i):
        body = {'flavor': {'name': 'same-name', 'id': 'sn-%d' % i,
                           'ram': 64, 'vcpus': 1, 'disk': 1}}
        barrier.wait(timeout=30)
        responses[i] = requests.post(url, json=body, timeout=60, headers={
            'X-Auth-Token': 'admin:admin'})

    threads = [threading.Thread(target=send, args=(i,))
               for i in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    _one_won_the_rest_conflict(
        responses, messages=('Flavor with name same-name already exists.',))


@rounds
def test_add_tenant_access_at_once_gives_one_200_and_409s_not_500(cloud, n):
    flavor_id = 'private-1-%d' % n
    _flavor(cloud, flavor_id, is_public=False)
    responses = _at_once(cloud, 'POST', '/flavors/%s/action' % flavor_id,
                         {'addTenantAccess': {'tenant': 'projX'}})
    _one_won_the_rest_conflict(responses, messages=(
        'Flavor access already exists for flavor %s and project projX '
        'combination.' % flavor_id,))
    access = _api(cloud, 'GET', '/flavors/%s/os-flavor-access' % flavor_id)
    assert access.json() == {'flavor_access': [
        {'flavor_id': flavor_id, 'tenant_id': 'projX'}]}


def test_remove_tenant_access_at_once_gives_one_200_and_404s_not_500(cloud):
    flavor = _flavor(cloud, 'private-2', is_public=False)
    path = '/flavors/%s/action' % flavor['id']
    assert _api(cloud, 'POST', path, {
        'addTenantAccess': {'tenant': 'projY'}}).status_code == 200
    responses = _at_once(cloud, 'POST', path,
                         {'removeTenantAccess': {'tenant': 'projY'}})
    assert _statuses(responses) == [200] + [404] * (CONCURRENCY - 1), \
        [(r.status_code, r.text[:300]) for r in responses]
    for resp in responses:
        if resp.status_code == 404:
            assert list(resp.json()) == ['itemNotFound']


@rounds
def test_extra_specs_create_at_once_all_200_one_row_per_key_no_deadlock(
        cloud, n):
    flavor_id = 'specs-1-%d' % n
    _flavor(cloud, flavor_id)
    specs = {'hw:cpu_policy': 'dedicated', 'hw:numa_nodes': '1',
             'quota:cpu_shares': '512'}
    responses = _at_once(cloud, 'POST',
                         '/flavors/%s/os-extra_specs' % flavor_id,
                         {'extra_specs': specs})
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    for resp in responses:
        assert resp.json() == {'extra_specs': specs}
    shown = _api(cloud, 'GET',
                 '/flavors/%s/os-extra_specs' % flavor_id).json()
    assert shown == {'extra_specs': specs}
    rows = cloud.sql(
        "SELECT s.`key`, COUNT(*) AS n FROM flavor_extra_specs s JOIN "
        "flavors f ON f.id = s.flavor_id WHERE f.flavorid = %s "
        "GROUP BY s.`key`", (flavor_id,))
    assert {r['key']: r['n'] for r in rows} == {k: 1 for k in specs}


@rounds
def test_extra_spec_update_at_once_all_200_one_row(cloud, n):
    flavor_id = 'specs-2-%d' % n
    _flavor(cloud, flavor_id)
    responses = _at_once(
        cloud, 'PUT', '/flavors/%s/os-extra_specs/hw:mem_page_size'
        % flavor_id, {'hw:mem_page_size': 'large'})
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    shown = _api(cloud, 'GET',
                 '/flavors/%s/os-extra_specs' % flavor_id).json()
    assert shown == {'extra_specs': {'hw:mem_page_size': 'large'}}
    rows = cloud.sql(
        "SELECT COUNT(*) AS n FROM flavor_extra_specs s JOIN flavors f "
        "ON f.id = s.flavor_id WHERE f.flavorid = %s", (flavor_id,))
    assert rows[0]['n'] == 1


@rounds
def test_quota_set_new_project_at_once_all_200_one_row_per_resource(
        cloud, n):
    project_id = 'projNew%d' % n
    # Every limit: ten rows to insert, a wide window for the race.
    limits = {name: 100 + i for i, name in enumerate((
        'instances', 'cores', 'ram', 'metadata_items', 'injected_files',
        'injected_file_content_bytes', 'injected_file_path_bytes',
        'key_pairs', 'server_groups', 'server_group_members'))}
    responses = _at_once(cloud, 'PUT', '/os-quota-sets/' + project_id,
                         {'quota_set': limits})
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    for resp in responses:
        quota_set = resp.json()['quota_set']
        assert {k: quota_set[k] for k in limits} == limits
    rows = cloud.sql("SELECT resource, hard_limit FROM quotas "
                     "WHERE project_id = %s", (project_id,))
    assert sorted((r['resource'], r['hard_limit']) for r in rows) == \
        sorted(limits.items())


def test_keypair_create_same_name_at_once_gives_one_201_and_409s(cloud):
    responses = _at_once(cloud, 'POST', '/os-keypairs',
                         {'keypair': {'name': 'twin'}},
                         token='alice:projA', version='2.10')
    _one_won_the_rest_conflict(responses, won=201, messages=(
        "Key pair 'twin' already exists.",))
    listed = _api(cloud, 'GET', '/os-keypairs', token='alice:projA').json()
    assert [k['keypair']['name'] for k in listed['keypairs']] == ['twin']


def test_server_group_create_same_name_at_once_all_200(cloud):
    # Nova does not make a group's name unique: eight groups.
    responses = _at_once(cloud, 'POST', '/os-server-groups', {
        'server_group': {'name': 'sg', 'policies': ['affinity']}},
        token='bob:projB', version='2.1')
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    groups = _api(cloud, 'GET', '/os-server-groups',
                  token='bob:projB').json()['server_groups']
    assert len({g['id'] for g in groups}) == CONCURRENCY


def test_server_metadata_set_at_once_all_200(cloud):
    flavor = _flavor(cloud, 'meta-1')
    alice = bc.Api(cloud, token='alice:projA')
    resp = alice('POST', '/servers', {'server': {
        'name': 'vm', 'flavorRef': flavor['id'],
        'imageRef': cloud.image}})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()['server']['id']
    alice.wait([server_id], ['ACTIVE'], timeout=60)
    path = '/servers/%s/metadata' % server_id
    responses = _at_once(cloud, 'POST', path, {'metadata': {'a': '1'}},
                         token='alice:projA')
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    responses = _at_once(cloud, 'PUT', path + '/b', {'meta': {'b': '2'}},
                         token='alice:projA')
    assert _statuses(responses) == [200] * CONCURRENCY, \
        [(r.status_code, r.text[:300]) for r in responses]
    assert alice('GET', path).json() == {'metadata': {'a': '1', 'b': '2'}}
    assert alice('DELETE', '/servers/%s' % server_id).status_code == 204
