"""Regressions of the API's input handling, against the real eventlet
server, conductor and MariaDB: tracebacks once sent to clients, numbers
that reached MySQL, the version documents behind a token, a repeated
``status`` filter that kept only its last value, and availability zones.
"""

import socket

import pytest
import requests

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

HOSTS = ['fake-1']


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    factory = CloudFactory()
    try:
        c = bc.start_boot_cloud(factory, {h: None for h in HOSTS})
        bc.start_api(c)
        c.image = bc.import_image(c, tmp_path_factory.mktemp('img'))
        yield c
    finally:
        factory.cleanup()


def _raw(cloud, request_line, headers=b''):
    """Send one request byte for byte; the whole answer as bytes."""
    host, port = cloud.api_url.split('//')[1].split(':')
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request_line + b'\r\nHost: x\r\nConnection: close\r\n'
                     b'X-Auth-Token: alice:projA\r\n' + headers + b'\r\n')
        data = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def _no_traceback(data):
    for marker in (b'Traceback', b'File "', b'.py"', b'site-packages'):
        assert marker not in data, data[:2000]


@pytest.mark.parametrize('request_line', [
    b'GET /v3/%ff/servers HTTP/1.1',
    b'GET /v3/\xff/servers HTTP/1.1',
    b'GET /v2.1/%ff/servers/%ff HTTP/1.1',
    b'GET /v2.1/servers?name=%ff%fe HTTP/1.1',
    b'DELETE /v2.1/flavors/%ff HTTP/1.1',
    b'GET /image/v2/images/%ff HTTP/1.1',
])
def test_invalid_utf8_in_the_url_gets_json_400_not_a_traceback(
        cloud, request_line):
    data = _raw(cloud, request_line)
    _no_traceback(data)
    head, _sep, body = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 400'), data[:500]
    assert b'"badRequest"' in body


def test_five_thousand_digit_microversion_gets_406(cloud):
    data = _raw(cloud, b'GET /v2.1/servers HTTP/1.1',
                b'OpenStack-API-Version: compute 2.' + b'1' * 5000 + b'\r\n')
    _no_traceback(data)
    assert data.startswith(b'HTTP/1.1 406'), data[:500]


def _api(cloud, method, path, token='alice:projA', **kwargs):
    headers = {'X-Auth-Token': token} if token else {}
    headers.update(kwargs.pop('headers', {}))
    return requests.request(method, cloud.api_url + '/v2.1' + path,
                            headers=headers, timeout=60, **kwargs)


@pytest.mark.parametrize('path', [
    '/os-server-groups?offset=18446744073709551616',
    '/os-server-groups?limit=18446744073709551616',
    '/servers?limit=18446744073709551616',
    '/flavors?minRam=18446744073709551616',
    '/flavors?minDisk=99999999999999999999999999',
    '/servers?name=a{4294967296}',
    '/servers/detail?ip=a{4294967296}',
])
def test_huge_numbers_and_patterns_never_reach_mysql(cloud, path):
    resp = _api(cloud, 'GET', path)
    assert resp.status_code in (200, 400), resp.text
    if resp.status_code == 400:
        assert resp.json()['badRequest']['code'] == 400


@pytest.mark.parametrize('pattern', [
    'a{70000}', '(?a)x', r'\N{LATIN SMALL LETTER A}', '(?<=a+)b',
    '(a{1,1000}){1,1000}b', '\\'])
def test_patterns_only_mariadb_refuses_are_400(cloud, pattern):
    """Regression: a name pattern Python compiles but MariaDB's regexp
    engine refuses (error 1139) was a 500."""
    resp = _api(cloud, 'GET', '/servers', params={'name': pattern})
    assert resp.status_code in (200, 400), resp.text
    if resp.status_code == 400:
        assert resp.json()['badRequest']['code'] == 400


def test_ids_longer_than_the_database_keeps_are_refused(cloud):
    """Regression: a 3000-character noauth2 user id reached MySQL as
    error 1406 (data too long) and a 500."""
    resp = _api(cloud, 'POST', '/os-server-groups', token='x' * 3000,
                json={'server_group': {'name': 'g',
                                       'policies': ['affinity']}})
    assert resp.status_code == 401, resp.text
    assert resp.json()['unauthorized']['code'] == 401
    resp = _api(cloud, 'POST', '/os-keypairs', token='admin:admin',
                json={'keypair': {'name': 'k', 'user_id': 'u' * 3000}},
                headers={'OpenStack-API-Version': 'compute 2.10'})
    assert resp.status_code == 400, resp.text


def test_nan_rxtx_factor_is_400_and_nothing_is_stored(cloud):
    resp = _api(cloud, 'POST', '/flavors', token='admin:admin',
                data=b'{"flavor": {"name": "nan", "ram": 64, "vcpus": 1, '
                     b'"disk": 1, "rxtx_factor": NaN}}',
                headers={'Content-Type': 'application/json'})
    assert resp.status_code == 400, resp.text
    assert 'badRequest' in resp.json()
    assert not cloud.sql("SELECT id FROM flavors WHERE name = 'nan'")


@pytest.mark.parametrize('path,version_id', [('/v2.1', 'v2.1'),
                                             ('/v2', 'v2.0')])
def test_bare_version_documents_need_no_token(cloud, path, version_id):
    resp = requests.get(cloud.api_url + path, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.json()['version']['id'] == version_id
    assert requests.get(cloud.api_url + path + '/servers',
                        timeout=30).status_code == 401


def _boot(cloud, name, token='alice:projA', **server):
    body = {'server': dict({'name': name, 'flavorRef': cloud.flavor,
                            'imageRef': cloud.image}, **server)}
    return _api(cloud, 'POST', '/servers', token=token, json=body)


@pytest.fixture(scope='module')
def flavor(cloud):
    resp = _api(cloud, 'POST', '/flavors', token='admin:admin', json={
        'flavor': {'name': 'regress', 'ram': 64, 'vcpus': 1, 'disk': 1}})
    assert resp.status_code == 200, resp.text
    cloud.flavor = resp.json()['flavor']['id']
    return cloud.flavor


def _status(cloud, server_id, token='alice:projA'):
    def settled():
        body = _api(cloud, 'GET', '/servers/' + server_id,
                    token=token).json()['server']
        return body if body['status'] in ('ACTIVE', 'ERROR') else None
    return bc.cloud_mod.wait_for(settled, 60, interval=0.3,
                                 message='server %s settled' % server_id)


def test_availability_zones_as_nova_answers_them(cloud, flavor):
    # Unknown zone: refused at once.
    resp = _boot(cloud, 'nowhere', availability_zone='nowhere')
    assert resp.status_code == 400, resp.text
    assert 'availability zone' in resp.json()['badRequest']['message']
    # More than zone:host:node: refused.
    resp = _boot(cloud, 'colons', token='admin:admin',
                 availability_zone='nova:a:b:c')
    assert resp.status_code == 400, resp.text
    # '::' is the default zone and no forced host or node.
    resp = _boot(cloud, 'colons2', token='admin:admin',
                 availability_zone='::')
    assert resp.status_code == 202, resp.text
    assert _status(cloud, resp.json()['server']['id'],
                   'admin:admin')['status'] == 'ACTIVE'
    # A forced host that exists: built there.
    resp = _boot(cloud, 'forced', token='admin:admin',
                 availability_zone=':fake-1:fake-1')
    assert resp.status_code == 202, resp.text
    server = _status(cloud, resp.json()['server']['id'], 'admin:admin')
    assert server['status'] == 'ACTIVE'
    assert server['OS-EXT-SRV-ATTR:host'] == 'fake-1'
    # A forced host that does not exist: accepted, then no valid host.
    resp = _boot(cloud, 'nohost', token='admin:admin',
                 availability_zone='nova:nohost')
    assert resp.status_code == 202, resp.text
    server = _status(cloud, resp.json()['server']['id'], 'admin:admin')
    assert server['status'] == 'ERROR'
    assert 'fault' in server
    # A member may not force a host.
    resp = _boot(cloud, 'member-forced', availability_zone='nova:fake-1')
    assert resp.status_code == 403, resp.text


def test_repeated_status_filter_matches_every_status(cloud, flavor):
    active = _boot(cloud, 'st-active')
    assert active.status_code == 202, active.text
    active_id = active.json()['server']['id']
    _status(cloud, active_id)
    error = _boot(cloud, 'st-error')
    assert error.status_code == 202, error.text
    error_id = error.json()['server']['id']
    _status(cloud, error_id)
    # An ERROR server without waiting for a failure to happen.
    cloud.sql("UPDATE instances SET vm_state = 'error' WHERE uuid = %s",
              (error_id,))

    def names(query):
        resp = _api(cloud, 'GET', '/servers?' + query)
        assert resp.status_code == 200, resp.text
        return {s['id'] for s in resp.json()['servers']}

    both = names('status=ACTIVE&status=ERROR')
    assert {active_id, error_id} <= both
    assert active_id not in names('status=ERROR')
    assert error_id not in names('status=ACTIVE')
    assert {active_id, error_id} <= names('status=ERROR&status=ACTIVE')
    assert names('status=ERROR&status=nonsense') == names('status=ERROR')
