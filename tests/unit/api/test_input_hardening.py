"""Regression tests for input that once gave a 500 or a traceback.

Each test is named for the defect it keeps fixed; every answer must be a
4xx with Nova's fault body.
"""

from unittest import mock

import pytest
import webob

from novalite.api import middleware
from novalite.api.openstack import api_version
from novalite.api.openstack import common
from novalite.api import validation
from novalite.api.openstack.compute.schemas import flavors as flavor_schema
from novalite.api.openstack.compute.schemas import servers as server_schema
from novalite.compute import task_states
from novalite.compute import vm_states
from novalite import exception
from novalite import objects


def _fault(resp, code, name):
    assert resp.status_int == code, resp.body
    body = resp.json_body_or_none
    assert set(body) == {name}, body
    assert body[name]['code'] == code
    assert isinstance(body[name]['message'], str)
    assert b'Traceback' not in resp.body
    return body[name]['message']


# -- tracebacks -------------------------------------------------------------

@pytest.mark.parametrize('path', [
    '/v3/%ff/servers', '/%ff', '/v2.1/%ff/servers', '/v2.1/servers/%ff',
    '/v2.1/servers?name=%ff', '/image/v2/images?name=%ff', '/image/%ff',
])
def test_invalid_utf8_path_is_400_not_a_traceback(api, path):
    resp = api('GET', path)
    message = _fault(resp, 400, 'badRequest')
    assert 'UTF-8' in message


def test_fault_wrapper_logs_an_undecodable_path_without_failing(api):
    # The wrapper once raised again while logging req.path.
    with mock.patch.object(objects.FlavorList, 'get_all',
                           side_effect=RuntimeError('boom')):
        resp = api('GET', '/v2.1/flavors')
    _fault(resp, 500, 'computeFault')
    environ = {'PATH_INFO': '/v2.1/\xff', 'SCRIPT_NAME': ''}
    assert middleware._raw_path(environ) == repr('/v2.1/\xff')


def test_last_resort_answers_json_500_when_a_pipeline_piece_raises():
    def broken(environ, start_response):
        raise ValueError('a pipeline piece failed')
    resp = webob.Request.blank('/v2.1/servers').get_response(
        middleware.last_resort(broken))
    assert resp.status_int == 500
    assert resp.content_type == 'application/json'
    assert resp.json['computeFault']['code'] == 500
    assert b'Traceback' not in resp.body and b'ValueError' not in resp.body


def test_eventlet_server_runs_without_debug_tracebacks():
    from novalite import green
    with mock.patch('eventlet.wsgi.server') as server:
        green.serve_wsgi(mock.sentinel.sock, mock.sentinel.app,
                         mock.sentinel.log)
    assert server.call_args.kwargs['debug'] is False


# -- oversized numbers and patterns -------------------------------------------

def test_five_thousand_digit_microversion_is_406(api):
    resp = api('GET', '/v2.1/servers', version='2.' + '1' * 5000)
    message = _fault(resp, 406, 'computeFault')
    assert len(message) < 200


def test_five_thousand_digit_major_version_is_406(api):
    resp = api('GET', '/v2.1/flavors',
                headers={'X-OpenStack-Nova-API-Version': '2' * 5000 + '.1'})
    _fault(resp, 406, 'computeFault')


def test_version_of_nine_digits_still_parses():
    assert api_version.APIVersionRequest('2.123456789').minor == 123456789


@pytest.mark.parametrize('name', ['a{4294967296}', '(?', '[', 'a**'])
def test_unusable_regex_filter_is_400(api, name):
    resp = api('GET', '/v2.1/servers?name=' + name)
    _fault(resp, 400, 'badRequest')


def test_unusable_ip_regex_filter_is_400(api):
    resp = api('GET', '/v2.1/servers?ip=a{4294967296}')
    _fault(resp, 400, 'badRequest')


@pytest.mark.parametrize('raw', [
    b'{"flavor": {"name": "f", "ram": 1, "vcpus": 1, "disk": 1, '
    b'"rxtx_factor": NaN}}',
    b'{"flavor": {"name": "f", "ram": 1, "vcpus": 1, "disk": 1, '
    b'"rxtx_factor": Infinity}}',
    b'{"flavor": {"name": "f", "ram": 1, "vcpus": 1, "disk": 1, '
    b'"rxtx_factor": 1e999}}',
    b'{"flavor": {"name": "f", "ram": -Infinity, "vcpus": 1, "disk": 1}}',
])
def test_nan_and_infinite_numbers_are_400(api, raw):
    resp = api('POST', '/v2.1/flavors', raw=raw, token='admin:admin')
    _fault(resp, 400, 'badRequest')


def test_rxtx_factor_text_past_a_float_is_400():
    body = {'flavor': {'name': 'f', 'ram': 1, 'vcpus': 1, 'disk': 1,
                       'rxtx_factor': '9' * 400 + '.5'}}
    with pytest.raises(validation.ValidationError):
        validation.validate(flavor_schema.create, body)


@pytest.mark.parametrize('count', ['2147483648', 2147483648, '9' * 5000])
def test_max_count_past_a_32_bit_integer_is_400(api, count):
    body = {'server': {'name': 's', 'flavorRef': '1', 'imageRef': '',
                       'max_count': count}}
    resp = api('POST', '/v2.1/servers', body=body)
    _fault(resp, 400, 'badRequest')


def test_largest_count_is_valid():
    body = {'server': {'name': 's', 'flavorRef': '1',
                       'max_count': '2147483647'}}
    validation.validate(server_schema.create, body)


@pytest.mark.parametrize('value', ['-' + '9' * 30, '9' * 30])
def test_integer_text_far_out_of_range_is_refused_without_int(value):
    schema = {'type': 'string', 'minimum': 0, 'maximum': 10}
    with pytest.raises(validation.ValidationError):
        validation.validate(schema, value)


def test_min_ram_filter_past_a_32_bit_integer_is_400(api):
    resp = api('GET', '/v2.1/flavors?minRam=18446744073709551616')
    _fault(resp, 400, 'badRequest')


# -- version documents --------------------------------------------------------

@pytest.mark.parametrize('path,version_id', [('/v2.1', 'v2.1'),
                                             ('/v2', 'v2.0')])
def test_bare_version_path_is_served_without_a_token(api, path, version_id):
    resp = api('GET', path, token=None)
    assert resp.status_int == 200
    assert resp.json_body_or_none['version']['id'] == version_id


def test_paths_below_the_version_still_need_a_token(api):
    assert api('GET', '/v2.1/', token=None).status_int == 401
    assert api('GET', '/v2.1/servers', token=None).status_int == 401
    assert api('GET', '/v2/servers', token=None).status_int == 401


def test_bare_version_path_refuses_other_methods(api):
    resp = api('POST', '/v2.1', token=None, body={})
    _fault(resp, 405, 'badMethod')


# -- repeated query parameters ----------------------------------------------

def test_statuses_merge_the_states_of_every_status():
    vm, task = common.states_from_statuses(['ACTIVE', 'ERROR'])
    assert set(vm) == {vm_states.ACTIVE, vm_states.ERROR} and task is None
    vm, task = common.states_from_statuses(['reboot'])
    assert vm == [vm_states.ACTIVE]
    assert set(task) == set(task_states.SOFT_REBOOT_STATES)
    vm, task = common.states_from_statuses(['REBOOT', 'HARD_REBOOT'])
    assert set(task) == set(task_states.SOFT_REBOOT_STATES +
                            task_states.HARD_REBOOT_STATES)
    assert common.states_from_statuses(['nonsense']) is None
    vm, task = common.states_from_statuses(['nonsense', 'SHUTOFF'])
    assert vm == [vm_states.STOPPED] and task is None


def test_repeated_status_filter_uses_every_value(api):
    with mock.patch.object(objects.InstanceList, 'get_by_filters',
                           return_value=objects.InstanceList(
                               objects=[])) as get:
        resp = api('GET', '/v2.1/servers?status=ACTIVE&status=ERROR')
    assert resp.status_int == 200
    filters = get.call_args.args[1]
    assert set(filters['vm_state']) == {vm_states.ACTIVE, vm_states.ERROR}
    assert 'task_state' not in filters


# -- availability zones -----------------------------------------------------

def test_availability_zone_with_three_colons_is_400():
    from novalite.api.openstack.compute import servers
    with pytest.raises(exception.ValidationError) as info:
        servers._availability_zone(mock.Mock(), 'a:b:c:d')
    assert info.value.code == 400
    assert 'availability_zone' in info.value.format_message()


def test_unknown_availability_zone_is_400():
    from novalite.compute import api as compute_api
    service = objects.Service(binary='novalite-compute', host='cn1',
                              availability_zone=None, disabled=False)
    with mock.patch.object(objects.ServiceList, 'get_all',
                           return_value=[service]):
        ctxt = mock.Mock()
        compute_api.API.__new__(compute_api.API)._check_availability_zone(
            ctxt, 'nova')
        with pytest.raises(exception.InvalidAvailabilityZone):
            compute_api.API.__new__(
                compute_api.API)._check_availability_zone(ctxt, 'nowhere')
