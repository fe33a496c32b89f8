"""The pipeline itself: versions, microversions, faults, auth, limits."""

from unittest import mock

import pytest

from novalite.api.openstack import api_version
from novalite import conf
from novalite import exception
from novalite import objects


def test_root_lists_both_major_versions(api):
    resp = api('GET', '/', token=None)
    assert resp.status_int == 200
    versions = {v['id']: v for v in resp.json_body_or_none['versions']}
    assert set(versions) == {'v2.0', 'v2.1'}
    v21 = versions['v2.1']
    assert v21['status'] == 'CURRENT'
    assert v21['min_version'] == '2.1'
    assert v21['version'] == api_version.MAX_VERSION
    assert set(v21) == {'id', 'status', 'version', 'min_version',
                        'updated', 'links'}
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    assert resp.headers['x-compute-request-id'] == \
        resp.headers['x-openstack-request-id']


def test_version_document_keys(api):
    body = api('GET', '/v2.1/').json_body_or_none
    assert set(body['version']) == {'id', 'links', 'media-types', 'status',
                                    'version', 'min_version', 'updated'}
    assert body['version']['media-types'][0]['type'] == \
        'application/vnd.openstack.compute+json;version=2.1'


@pytest.mark.parametrize('header,value,expected', [
    ('OpenStack-API-Version', 'compute 2.6', '2.6'),
    ('OpenStack-API-Version', 'compute latest', api_version.MAX_VERSION),
    ('X-OpenStack-Nova-API-Version', '2.3', '2.3'),
    ('OpenStack-API-Version', 'volume 3.0', '2.1'),
])
def test_microversion_negotiation(api, header, value, expected):
    resp = api('GET', '/v2.1/', headers={header: value})
    assert resp.status_int == 200
    assert resp.headers['OpenStack-API-Version'] == 'compute ' + expected
    assert resp.headers['X-OpenStack-Nova-API-Version'] == expected
    assert 'OpenStack-API-Version' in resp.headers['Vary']


def test_out_of_range_version_is_406_with_nova_body(api):
    resp = api('GET', '/v2.1/', version='2.99')
    assert resp.status_int == 406
    assert resp.json_body_or_none == {'computeFault': {
        'code': 406, 'message': 'Version 2.99 is not supported by the API. '
                                'Minimum is 2.1 and maximum is %s.'
                                % api_version.MAX_VERSION}}


def test_malformed_version_is_400(api):
    resp = api('GET', '/v2.1/', version='2.x')
    assert resp.status_int == 400
    assert 'badRequest' in resp.json_body_or_none


def test_legacy_v2_has_no_version_headers(api):
    resp = api('GET', '/v2/')
    assert resp.status_int == 200
    assert 'OpenStack-API-Version' not in resp.headers
    assert resp.json_body_or_none['version']['id'] == 'v2.0'


def test_unknown_method_is_405_with_allow(api):
    resp = api('PATCH', '/v2.1/servers')
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'GET, POST'
    assert resp.json_body_or_none['badMethod']['code'] == 405


def test_unknown_path_is_404_item_not_found(api):
    resp = api('GET', '/v2.1/os-no-such-thing')
    assert resp.status_int == 404
    assert resp.json_body_or_none['itemNotFound']['code'] == 404


def test_removed_api_is_410(api):
    for path in ('/v2.1/os-cells', '/v2.1/os-fixed-ips/1',
                 '/v2.1/os-agents'):
        resp = api('GET', path)
        assert resp.status_int == 410, path


def test_no_token_is_401(api):
    resp = api('GET', '/v2.1/servers', token=None)
    assert resp.status_int == 401
    assert resp.json_body_or_none['unauthorized']['code'] == 401


def test_unexpected_error_is_json_500_without_traceback(api):
    with mock.patch.object(objects.InstanceList, 'get_by_filters',
                           side_effect=RuntimeError('secret detail')):
        resp = api('GET', '/v2.1/servers')
    assert resp.status_int == 500
    fault = resp.json_body_or_none['computeFault']
    assert fault['code'] == 500
    assert 'secret detail' not in resp.text
    assert 'Traceback' not in resp.text
    assert resp.headers['x-openstack-request-id'] in fault['message']


def test_expected_exception_maps_to_its_fault(api):
    with mock.patch.object(objects.Flavor, 'get_by_flavor_id',
                           side_effect=exception.FlavorNotFound(
                               flavor_id='9')):
        resp = api('GET', '/v2.1/flavors/9')
    assert resp.status_int == 404
    assert resp.json_body_or_none == {'itemNotFound': {
        'code': 404, 'message': 'Flavor 9 could not be found.'}}


def test_body_over_limit_is_413(api):
    conf.CONF.set_override('max_request_body_size', 100, group='wsgi')
    try:
        resp = api('POST', '/v2.1/servers', raw=b'{"x": "%s"}' % (
            b'a' * 200))
    finally:
        conf.CONF.clear_override('max_request_body_size', group='wsgi')
    assert resp.status_int == 413
    assert resp.json_body_or_none['overLimit']['code'] == 413


def test_wrong_content_type_is_415(api):
    resp = api('POST', '/v2.1/os-keypairs', raw=b'name=x',
               content_type='application/x-www-form-urlencoded')
    assert resp.status_int == 415
    assert resp.json_body_or_none['badMediaType']['code'] == 415


@pytest.mark.parametrize('raw', [b'{', b'[]', b'"x"', b'null', b'\xff\xfe'])
def test_bad_json_is_400(api, raw):
    resp = api('POST', '/v2.1/os-keypairs', raw=raw)
    assert resp.status_int == 400
    assert 'badRequest' in resp.json_body_or_none


def test_project_in_url_must_match_token(api):
    with mock.patch.object(objects.FlavorList, 'get_all', return_value=[]):
        assert api('GET', '/v2.1/p1/flavors').status_int == 200
        resp = api('GET', '/v2.1/other/flavors')
    assert resp.status_int == 400
    assert "doesn't match Context's project_id" in \
        resp.json_body_or_none['badRequest']['message']


@pytest.mark.parametrize('host,allowed,ok', [
    ('127.0.0.1', False, True), ('::1', False, True),
    ('0.0.0.0', False, False), ('192.0.2.1', False, False),
    ('0.0.0.0', True, True)])
def test_noauth2_refuses_public_address(host, allowed, ok):
    from novalite.api import auth
    conf.CONF.set_override('auth_strategy', 'noauth2', group='api')
    conf.CONF.set_override('allow_noauth2_on_public_address', allowed,
                           group='api')
    try:
        if ok:
            auth.check_listen_address(host, 8774)
        else:
            with pytest.raises(exception.ConfigError) as info:
                auth.check_listen_address(host, 8774)
            assert 'allow_noauth2_on_public_address' in \
                info.value.format_message()
    finally:
        conf.CONF.clear_override('auth_strategy', group='api')
        conf.CONF.clear_override('allow_noauth2_on_public_address',
                                 group='api')


def test_noauth2_admin_and_roles(api):
    with mock.patch.object(objects.ServiceList, 'get_all', return_value=[]):
        assert api('GET', '/v2.1/os-services',
                   token='admin:admin').status_int == 200
        resp = api('GET', '/v2.1/os-services', token='u1:p1')
        assert resp.status_int == 403
        assert resp.json_body_or_none['forbidden']['message'] == \
            "Policy doesn't allow os_compute_api:os-services:list to be " \
            "performed."
