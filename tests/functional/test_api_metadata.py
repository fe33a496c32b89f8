"""The metadata API (8775) of a running novalite-api, end to end.

A server booted on the fake driver gets a fixed IP from ``[network]
fixed_range``; the range here is a loopback one (127.0.5.0/28), so the test
can ask the metadata API *from* the server's address (a client socket bound
to that 127.0.5.x address) and the API finds the instance by its source
address through the conductor, as it does for a guest. The proxied path is
tested too: ``X-Instance-ID`` signed with ``metadata_proxy_shared_secret``.
"""

import base64
import hashlib
import hmac
import http.client
import json
import urllib.parse

import pytest

from tests.functional.conftest import CloudFactory
from tests.functional.conftest import start_control_plane
from tests.functional.test_api_clients import _wait_schedulable
from tests.functional.test_api_clients import sdk
from tests.functional.test_api_rest import import_image
from tests.functional.test_api_rest import start_api

SECRET = 'proxy-secret'
FIXED_RANGE = '127.0.5.0/28'
USER_DATA = b'#!/bin/sh\necho hello from user data\n'
VENDOR = {'cloud': 'novalite', 'tier': 1}


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    vendor_file = tmp_path_factory.mktemp('vendor') / 'vendor.json'
    vendor_file.write_text(json.dumps(VENDOR))
    factory = CloudFactory()
    try:
        c = start_control_plane(factory(conf_overrides={
            'network': {'fixed_range': FIXED_RANGE,
                        'metadata_proxy_shared_secret': SECRET},
            'api': {'vendordata_jsonfile_path': str(vendor_file)}}))
        c.start('compute', host='cn1')
        c.wait_for_service(binary='novalite-compute', host='cn1',
                           timeout=60)
        start_api(c)
        c.image_id = import_image(c, tmp_path_factory.mktemp('img'))
        _wait_schedulable(c)
        yield c
    finally:
        factory.cleanup()


@pytest.fixture(scope='module')
def server(cloud):
    conn = sdk(cloud, token='alice:projA')
    admin = sdk(cloud)
    admin.compute.create_flavor(name='m', ram=64, vcpus=1, disk=0, id='m')
    key = conn.compute.create_keypair(name='mdkey')
    made = conn.compute.create_server(
        name='md-vm', flavor_id='m', image_id=cloud.image_id, networks=[],
        key_name='mdkey', metadata={'role': 'web'},
        user_data=base64.b64encode(USER_DATA).decode())
    made = conn.compute.wait_for_server(made, status='ACTIVE', wait=120)
    made.ip = made.addresses['novalite'][0]['addr']
    made.public_key = key.public_key
    yield made
    if conn.compute.find_server(made.id) is not None:
        conn.compute.delete_server(made)
        conn.compute.wait_for_delete(made, wait=60)


def get(cloud, path, source='127.0.0.1', headers=None, method='GET',
        body=None):
    """A request to the metadata API with the client bound to ``source``."""
    url = urllib.parse.urlparse(cloud.metadata_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader('Content-Type'), resp.read()
    finally:
        conn.close()


def signed(instance_id, tenant, secret=SECRET):
    return {'X-Instance-ID': instance_id, 'X-Tenant-ID': tenant,
            'X-Instance-ID-Signature': hmac.new(
                secret.encode(), instance_id.encode(),
                hashlib.sha256).hexdigest()}


def test_server_got_a_fixed_ip_of_the_range(server):
    assert server.ip.startswith('127.0.5.')
    assert server.ip not in ('127.0.5.0', '127.0.5.1', '127.0.5.15')


def test_openstack_tree_by_source_address(cloud, server):
    status, _ctype, body = get(cloud, '/openstack', source=server.ip)
    assert status == 200
    assert body.decode().split('\n')[-2:] == ['2020-10-14', 'latest']
    status, _ctype, body = get(cloud, '/openstack/latest', source=server.ip)
    assert body.decode().split('\n') == [
        'meta_data.json', 'user_data', 'password', 'vendor_data.json',
        'network_data.json', 'vendor_data2.json']
    status, ctype, body = get(cloud, '/openstack/latest/meta_data.json',
                              source=server.ip)
    assert (status, ctype.split(';')[0]) == (200, 'application/json')
    data = json.loads(body)
    assert data['uuid'] == server.id
    assert (data['name'], data['hostname']) == ('md-vm',
                                                'md-vm.novalocal')
    assert (data['project_id'], data['availability_zone'],
            data['launch_index']) == ('projA', 'nova', 0)
    assert data['meta'] == {'role': 'web'}
    assert data['public_keys'] == {'mdkey': server.public_key}
    assert data['keys'] == [{'name': 'mdkey', 'type': 'ssh',
                             'data': server.public_key}]
    assert get(cloud, '/openstack/latest/user_data',
               source=server.ip)[2] == USER_DATA
    assert json.loads(get(cloud, '/openstack/latest/vendor_data.json',
                          source=server.ip)[2]) == VENDOR
    network = json.loads(get(cloud, '/openstack/latest/network_data.json',
                             source=server.ip)[2])
    assert network['networks'][0]['ip_address'] == server.ip
    assert network['networks'][0]['routes'][0]['gateway'] == '127.0.5.1'


def test_ec2_tree_by_source_address(cloud, server):
    status, ctype, body = get(cloud, '/latest/meta-data/', source=server.ip)
    assert (status, ctype.split(';')[0]) == (200, 'text/plain')
    listing = body.decode().split('\n')
    for item in ('instance-id', 'hostname', 'local-ipv4', 'public-keys/',
                 'placement/', 'ami-id', 'reservation-id'):
        assert item in listing
    assert get(cloud, '/latest/meta-data/local-ipv4',
               source=server.ip)[2].decode() == server.ip
    assert get(cloud, '/latest/meta-data/hostname',
               source=server.ip)[2] == b'md-vm.novalocal'
    assert get(cloud, '/latest/meta-data/instance-id',
               source=server.ip)[2].startswith(b'i-')
    assert get(cloud, '/latest/meta-data/public-keys/',
               source=server.ip)[2] == b'0=mdkey'
    assert get(cloud, '/latest/meta-data/public-keys/0/openssh-key',
               source=server.ip)[2].decode() == server.public_key
    assert get(cloud, '/latest/user-data', source=server.ip)[2] == USER_DATA
    assert get(cloud, '/', source=server.ip)[2].decode().split('\n')[0] == \
        '1.0'


def unheld_address(server):
    """An address of the pool that no server holds (the one server's own
    is picked at random from the pool)."""
    return '127.0.5.14' if server.ip != '127.0.5.14' else '127.0.5.13'


def test_unknown_requester_and_path_are_404(cloud, server):
    assert get(cloud, '/openstack/latest/meta_data.json')[0] == 404
    assert get(cloud, '/latest/meta-data/',
               source=unheld_address(server))[0] == 404
    assert get(cloud, '/openstack/latest/nothing.json',
               source=server.ip)[0] == 404


def test_signed_instance_id_path(cloud, server):
    status, _ctype, body = get(cloud, '/openstack/latest/meta_data.json',
                               headers=signed(server.id, 'projA'))
    assert status == 200 and json.loads(body)['uuid'] == server.id
    assert get(cloud, '/latest/meta-data/instance-id',
               headers=signed(server.id, 'projA'))[0] == 200
    bad = signed(server.id, 'projA', secret='wrong')
    status, _ctype, body = get(cloud, '/openstack/latest/meta_data.json',
                               headers=bad)
    assert status == 403 and b'Invalid proxy request signature.' in body
    assert get(cloud, '/openstack/latest/meta_data.json',
               headers=signed(server.id, 'projB'))[0] == 404
    missing = signed(server.id, 'projA')
    del missing['X-Tenant-ID']
    status, _ctype, body = get(cloud, '/openstack/latest/meta_data.json',
                               headers=missing)
    assert status == 400 and b'X-Tenant-ID header is missing' in body
    other = '1d1d6e9c-7f57-4bd6-9d4b-4b2a3f7d2a11'
    assert get(cloud, '/openstack/latest/meta_data.json',
               headers=signed(other, 'projA'))[0] == 404


def test_password_posted_once_and_kept(cloud, server):
    path = '/openstack/latest/password'
    assert get(cloud, path, source=server.ip)[:3:2] == (200, b'')
    assert get(cloud, path, source=unheld_address(server), method='POST',
               body=b'nope')[0] == 404
    assert get(cloud, path, source=server.ip, method='POST',
               body=b'x' * 300)[0] == 400
    encrypted = base64.b64encode(b'\x01' * 180)  # 240 bytes, as a guest
    assert get(cloud, path, source=server.ip, method='POST',
               body=encrypted)[0] == 200
    assert get(cloud, path, source=server.ip)[2] == encrypted
    assert get(cloud, path, headers=signed(server.id, 'projA'))[2] == \
        encrypted
    assert get(cloud, path, source=server.ip, method='POST',
               body=b'again')[0] == 409


def test_deleted_server_is_no_longer_served(cloud, server):
    conn = sdk(cloud, token='alice:projA')
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=60)
    assert get(cloud, '/openstack/latest/meta_data.json',
               source=server.ip)[0] == 404
    assert get(cloud, '/openstack/latest/meta_data.json',
               headers=signed(server.id, 'projA'))[0] == 404
