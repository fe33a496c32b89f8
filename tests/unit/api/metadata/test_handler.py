"""The metadata API: the trees (InstanceMetadata) and the WSGI app through
the real paste pipeline, with the object layer mocked."""

import base64
import json
import os
from unittest import mock

import pytest
import webob
from paste import deploy

from novalite.api.metadata import base
from novalite.api.metadata import handler
from novalite import conf
from novalite import exception
from novalite import objects
from tests.unit.api import conftest as api_conftest
from tests.unit.api import fakes

SECRET = 's3cret'
PUBKEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd0 k1@novalite'


@pytest.fixture
def flags():
    done = []

    def set_flags(group=None, **overrides):
        for name, value in overrides.items():
            conf.CONF.set_override(name, value, group)
            done.append((name, group))
    yield set_flags
    for name, group in done:
        conf.CONF.clear_override(name, group)


@pytest.fixture
def instance():
    return fakes.instance(
        id=42, display_name='vm1', hostname='vm1', key_name='k1',
        key_data=PUBKEY, metadata={'role': 'web'}, launch_index=0,
        user_data=base64.b64encode(b'#!/bin/sh\necho hi\n').decode(),
        project_id='p1')


def test_versions_listed_like_nova(instance):
    meta = base.InstanceMetadata(instance, vendordata={})
    assert meta.lookup('/') == list(base.EC2_VERSIONS) + ['latest']
    assert meta.lookup('/openstack') == [
        '2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15',
        '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27',
        '2020-10-14', 'latest']
    assert meta.lookup('/openstack/latest') == [
        'meta_data.json', 'user_data', 'password', 'vendor_data.json',
        'network_data.json', 'vendor_data2.json']
    assert meta.lookup('/openstack/2012-08-10') == ['meta_data.json',
                                                    'user_data']
    with pytest.raises(base.InvalidMetadataPath):
        meta.lookup('/openstack/2012-08-10/vendor_data.json')
    with pytest.raises(base.InvalidMetadataPath):
        meta.lookup('/openstack/1999-01-01/meta_data.json')


def test_meta_data_json(instance):
    meta = base.InstanceMetadata(instance, vendordata={})
    data = json.loads(meta.lookup('/openstack/latest/meta_data.json'))
    assert meta.mimetype == 'application/json'
    assert set(data) == {'uuid', 'meta', 'public_keys', 'keys', 'hostname',
                         'name', 'launch_index', 'availability_zone',
                         'random_seed', 'project_id', 'devices',
                         'dedicated_cpus'}
    assert data['uuid'] == instance.uuid
    assert (data['name'], data['hostname']) == ('vm1', 'vm1.novalocal')
    assert data['public_keys'] == {'k1': PUBKEY}
    assert data['keys'] == [{'name': 'k1', 'type': 'ssh', 'data': PUBKEY}]
    assert data['meta'] == {'role': 'web'}
    assert (data['launch_index'], data['availability_zone'],
            data['project_id']) == (0, 'nova', 'p1')
    old = json.loads(meta.lookup('/openstack/2012-08-10/meta_data.json'))
    assert 'random_seed' not in old and 'project_id' not in old


def test_meta_data_json_without_key_or_metadata(flags):
    flags(group='api', dhcp_domain='')
    inst = fakes.instance(display_name='bare', hostname='bare')
    data = json.loads(base.InstanceMetadata(inst, vendordata={}).lookup(
        '/openstack/latest/meta_data.json'))
    assert 'public_keys' not in data and 'keys' not in data
    assert 'meta' not in data and data['hostname'] == 'bare'


def test_user_data_vendor_data_and_password(instance, tmp_path, flags):
    path = tmp_path / 'vendor.json'
    path.write_text('{"cloud": "novalite"}')
    flags(group='api', vendordata_jsonfile_path=str(path))
    meta = base.InstanceMetadata(instance)
    assert meta.lookup('/openstack/latest/user_data') == \
        b'#!/bin/sh\necho hi\n'
    assert json.loads(meta.lookup('/openstack/latest/vendor_data.json')) \
        == {'cloud': 'novalite'}
    assert json.loads(meta.lookup('/openstack/latest/vendor_data2.json')) \
        == {}
    assert meta.lookup('/openstack/latest/password') == ''
    assert meta.lookup('/latest/user-data') == b'#!/bin/sh\necho hi\n'


def test_no_user_data_is_not_listed():
    meta = base.InstanceMetadata(fakes.instance(user_data=None),
                                 vendordata={})
    assert 'user_data' not in meta.lookup('/openstack/latest')
    with pytest.raises(base.InvalidMetadataPath):
        meta.lookup('/openstack/latest/user_data')
    with pytest.raises(base.InvalidMetadataPath):
        meta.lookup('/latest/user-data')


def test_network_data_json(instance, flags):
    flags(group='network', fixed_range='10.0.0.0/24')
    data = json.loads(base.InstanceMetadata(instance, vendordata={}).lookup(
        '/openstack/latest/network_data.json'))
    assert set(data) == {'links', 'networks', 'services'}
    link = data['links'][0]
    assert link['ethernet_mac_address'] == 'fa:16:3e:00:00:01'
    assert set(link) == {'id', 'vif_id', 'type', 'mtu',
                         'ethernet_mac_address'}
    net = data['networks'][0]
    assert (net['ip_address'], net['netmask'], net['link']) == (
        '10.0.0.2', '255.255.255.0', link['id'])
    assert net['routes'] == [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                              'gateway': '10.0.0.1'}]


def test_ec2_tree(instance):
    meta = base.InstanceMetadata(instance, vendordata={})
    listing = base.format_listing(meta.lookup('/latest/meta-data/'))
    assert listing.split('\n') == [
        'ami-id', 'ami-launch-index', 'ami-manifest-path',
        'block-device-mapping/', 'hostname', 'instance-action',
        'instance-id', 'instance-type', 'local-hostname', 'local-ipv4',
        'placement/', 'public-hostname', 'public-ipv4', 'public-keys/',
        'reservation-id', 'security-groups']
    assert meta.lookup('/latest/meta-data/instance-id') == 'i-0000002a'
    assert meta.lookup('/latest/meta-data/local-ipv4') == '10.0.0.2'
    assert meta.lookup('/latest/meta-data/hostname') == 'vm1.novalocal'
    assert base.format_listing(meta.lookup(
        '/latest/meta-data/public-keys')) == '0=k1'
    assert base.format_listing(meta.lookup(
        '/latest/meta-data/public-keys/0/')) == 'openssh-key'
    assert meta.lookup('/latest/meta-data/public-keys/0/openssh-key') == \
        PUBKEY
    assert meta.lookup('/latest/meta-data/placement/availability-zone') == \
        'nova'
    assert base.format_listing(meta.lookup(
        '/2009-04-04/meta-data/security-groups')) == 'default'
    assert 'placement' not in meta.lookup('/1.0/meta-data')
    assert base.format_listing(meta.lookup('/latest')) == 'meta-data/\n' \
        'user-data'
    for bad in ('/latest/meta-data/nope', '/1999/meta-data',
                '/latest/meta-data/public-keys/7'):
        with pytest.raises(base.InvalidMetadataPath):
            meta.lookup(bad)


# -- the WSGI app -------------------------------------------------------------


@pytest.fixture
def app(flags, instance):
    flags(group='network', metadata_proxy_shared_secret=SECRET)
    paste = os.path.abspath(api_conftest.PASTE)
    wsgi_app = deploy.loadapp('config:%s' % paste, name='metadata')
    fixed = objects.FixedIP(address='10.0.0.2', network='novalite',
                            instance_uuid=instance.uuid, allocated=True)

    def by_address(ctxt, address):
        if address != '10.0.0.2':
            raise exception.FixedIpNotFoundForAddress(address=address)
        return fixed

    def by_uuid(ctxt, uuid, expected_attrs=None):
        if uuid != instance.uuid:
            raise exception.InstanceNotFound(instance_id=uuid)
        return instance
    with mock.patch.object(objects.FixedIP, 'get_by_address',
                           side_effect=by_address) as lookup, \
            mock.patch.object(objects.Instance, 'get_by_uuid',
                              side_effect=by_uuid):
        wsgi_app.address_lookup = lookup
        yield wsgi_app


def _get(app, path, remote='10.0.0.2', headers=None):
    req = webob.Request.blank(path, remote_addr=remote)
    for key, value in (headers or {}).items():
        req.headers[key] = value
    return req.get_response(app)


def test_by_fixed_ip(app, instance):
    resp = _get(app, '/openstack/latest/meta_data.json')
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    assert resp.json['uuid'] == instance.uuid
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    resp = _get(app, '/latest/meta-data/instance-id')
    assert (resp.status_int, resp.text) == (200, 'i-0000002a')
    assert resp.content_type == 'text/plain'
    assert _get(app, '/latest/user-data').body == b'#!/bin/sh\necho hi\n'


def test_unknown_address_and_path_are_404(app):
    assert _get(app, '/openstack/latest/meta_data.json',
                remote='10.9.9.9').status_int == 404
    assert _get(app, '/openstack/latest/nope.json').status_int == 404
    assert _get(app, '/').text.split('\n')[-1] == 'latest'


def test_forwarded_for_only_when_configured(app, flags):
    headers = {'X-Forwarded-For': '10.0.0.2, 192.0.2.1'}
    assert _get(app, '/latest/meta-data/', remote='127.0.0.1',
                headers=headers).status_int == 404
    flags(group='api', use_forwarded_for=True)
    assert _get(app, '/latest/meta-data/', remote='127.0.0.1',
                headers=headers).status_int == 200


def test_signed_instance_id(app, instance):
    headers = {'X-Instance-ID': instance.uuid, 'X-Tenant-ID': 'p1',
               'X-Instance-ID-Signature': handler.sign_instance_id(
                   instance.uuid)}
    resp = _get(app, '/openstack/latest/meta_data.json', remote='127.0.0.1',
                headers=headers)
    assert resp.status_int == 200 and resp.json['uuid'] == instance.uuid
    app.address_lookup.assert_not_called()


@pytest.mark.parametrize('change,status,message', [
    ({'X-Instance-ID-Signature': 'f' * 64}, 403,
     'Invalid proxy request signature.'),
    ({'X-Instance-ID-Signature': None}, 400,
     'X-Instance-ID-Signature header is missing from request.'),
    ({'X-Tenant-ID': None}, 400,
     'X-Tenant-ID header is missing from request.'),
    ({'X-Instance-ID': None}, 400,
     'X-Instance-ID header is missing from request.'),
    ({'X-Tenant-ID': 'p2'}, 404, None),
])
def test_signed_instance_id_refusals(app, instance, change, status,
                                     message):
    headers = {'X-Instance-ID': instance.uuid, 'X-Tenant-ID': 'p1',
               'X-Instance-ID-Signature': handler.sign_instance_id(
                   instance.uuid)}
    headers.update(change)
    headers = {k: v for k, v in headers.items() if v is not None}
    resp = _get(app, '/openstack/latest/meta_data.json', remote='127.0.0.1',
                headers=headers)
    assert resp.status_int == status
    if message:
        assert message in resp.text


def test_signed_unknown_instance_is_404(app):
    other = '1d1d6e9c-7f57-4bd6-9d4b-4b2a3f7d2a11'
    resp = _get(app, '/openstack/latest/meta_data.json', headers={
        'X-Instance-ID': other, 'X-Tenant-ID': 'p1',
        'X-Instance-ID-Signature': handler.sign_instance_id(other)})
    assert resp.status_int == 404


def test_without_secret_the_headers_are_ignored(app, instance, flags):
    flags(group='network', metadata_proxy_shared_secret='')
    resp = _get(app, '/openstack/latest/meta_data.json', remote='10.9.9.9',
                headers={'X-Instance-ID': instance.uuid,
                         'X-Tenant-ID': 'p1',
                         'X-Instance-ID-Signature': 'x'})
    assert resp.status_int == 404


def _request(app, path, method, body=None, remote='10.0.0.2'):
    req = webob.Request.blank(path, method=method, remote_addr=remote)
    if body is not None:
        req.body = body
    return req.get_response(app)


def test_methods(app):
    resp = _request(app, '/openstack/latest/meta_data.json', 'POST', b'x')
    assert resp.status_int == 405 and resp.headers['Allow'] == 'GET, HEAD'
    resp = _request(app, '/openstack/latest/meta_data.json', 'PUT', b'x')
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'GET, HEAD, POST'
    assert _request(app, '/openstack/latest/meta_data.json',
                    'HEAD').status_int == 200


def test_password_posted_once(app, instance):
    path = '/openstack/latest/password'
    with mock.patch.object(objects.Instance, 'save') as save:
        assert _get(app, path).text == ''
        assert _request(app, path, 'POST', b'x' * 257).status_int == 400
        assert _request(app, '/openstack/2012-08-10/password', 'POST',
                        b'pw').status_int == 404
        assert _request(app, path, 'POST', b'pw', remote='10.9.9.9'
                        ).status_int == 404
        save.assert_not_called()
        secret = ('c2VjcmV0' * 32)[:256]  # the largest: 255 + 1 chunks
        assert _request(app, path, 'POST',
                        secret.encode()).status_int == 200
        save.assert_called_once_with()
        assert instance.system_metadata['password_0'] == secret[:255]
        assert instance.system_metadata['password_1'] == secret[255:]
        assert _get(app, path).text == secret
        assert _request(app, path, 'POST', b'again').status_int == 409
        assert save.call_count == 1


def test_sign_instance_id_is_hmac_sha256():
    import hashlib
    import hmac
    assert handler.sign_instance_id('abc', 'k') == hmac.new(
        b'k', b'abc', hashlib.sha256).hexdigest()
