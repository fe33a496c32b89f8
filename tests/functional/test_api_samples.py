"""novalite's responses against Nova's API samples, key for key.

``tests/functional/api_samples/`` holds one response body per call, written
from Nova's API reference and its published API samples (our own values;
the keys, nesting and JSON types are the facts that matter), under
``v2.N/`` for a microversion that changed the body. Each case below makes
the call against a running cloud at that microversion and compares the
body recursively: every key of the sample must be there and no other, with
the same JSON type (``null`` on either side matches any type: Nova's samples
show nullable fields with a value). Lists compare element by element when
they are as long as the sample's, else each element with the sample's
first; maps keyed by data (server ``addresses`` and ``metadata``,
availability-zone ``hosts``) compare each value with the sample's first.
"""

import base64
import json
import os

import pytest
import requests

from tests.functional.cloud import wait_for
from tests.functional.conftest import CloudFactory
from tests.functional.conftest import start_control_plane
from tests.functional.test_api_clients import _wait_schedulable
from tests.functional.test_api_rest import import_image
from tests.functional.test_api_rest import start_api

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'api_samples')
# Paths (see compare()) of maps whose keys are data, not schema.
FREE_FORM = ('server.addresses', 'server.metadata', 'servers[].addresses',
             'servers[].metadata', 'availabilityZoneInfo[].hosts',
             'availabilityZoneInfo[].hosts.*')


def load(name):
    with open(os.path.join(SAMPLES, name)) as fh:
        return json.load(fh)


def _kind(value):
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'integer' if isinstance(value, int) else 'number'
    return {str: 'string', dict: 'object', list: 'array'}[type(value)]


def compare(sample, actual, path=''):
    """Differences between two bodies' shapes, as a list of strings."""
    if sample is None or actual is None:
        return []
    if _kind(sample) != _kind(actual):
        return ['%s: %s in the sample, %s here' % (
            path or '/', _kind(sample), _kind(actual))]
    errors = []
    if isinstance(sample, dict):
        if path in FREE_FORM:
            first = next(iter(sample.values()), None)
            for key, value in actual.items():
                errors += compare(first, value, path + '.*')
            return errors
        for key in sorted(set(sample) - set(actual)):
            errors.append('%s: missing key %r' % (path or '/', key))
        for key in sorted(set(actual) - set(sample)):
            errors.append('%s: unexpected key %r' % (path or '/', key))
        for key in sorted(set(sample) & set(actual)):
            errors += compare(sample[key], actual[key],
                              (path + '.' if path else '') + key)
    elif isinstance(sample, list) and sample:
        # element by element when the lengths agree (a self link and a
        # describedby link differ), else each against the first
        pairs = zip(sample, actual) if len(sample) == len(actual) else \
            ((sample[0], item) for item in actual)
        for expected, item in pairs:
            errors += compare(expected, item, path + '[]')
    return errors


def test_compare_finds_missing_extra_and_retyped_keys():
    sample = {'a': {'b': 1, 'c': [{'d': 'x'}]}, 'n': None}
    assert compare(sample, {'a': {'b': 2, 'c': [{'d': 'y'}]}, 'n': 3}) == []
    assert compare(sample, {'a': {'b': '2', 'c': [{'e': 'y'}]}}) == [
        "/: missing key 'n'", 'a.b: integer in the sample, string here',
        "a.c[]: missing key 'd'", "a.c[]: unexpected key 'e'"]
    assert compare({'server': {'metadata': {'k': 'v'}}},
                   {'server': {'metadata': {'other': 1}}}) == [
        'server.metadata.*: string in the sample, integer here']


class Api:
    """requests against the cloud as a noauth2 user."""

    def __init__(self, cloud, token='admin:admin'):
        self.base = cloud.api_url
        self.token = token

    def __call__(self, method, path, version=None, body=None, status=None):
        headers = {'X-Auth-Token': self.token}
        if version:
            headers['OpenStack-API-Version'] = 'compute %s' % version
        resp = requests.request(method, self.base + path, headers=headers,
                                json=body, timeout=60)
        if status is not None:
            assert resp.status_code == status, (method, path,
                                                resp.status_code, resp.text)
        return resp.json() if resp.content else None


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    factory = CloudFactory()
    try:
        c = start_control_plane(factory())
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
def made(cloud):
    """The resources the calls below show: every create response kept."""
    api = Api(cloud)
    out = {}
    out['flavor'] = api('POST', '/v2.1/flavors', status=200, body={
        'flavor': {'name': 'm1.tiny', 'ram': 64, 'vcpus': 1, 'disk': 1,
                   'id': '1'}})
    # 2.2 made keypair creation 201
    out['keypair'] = api('POST', '/v2.1/os-keypairs', version='2.2',
                         status=201, body={'keypair': {'name': 'kp1'}})
    out['server'] = api('POST', '/v2.1/servers', status=202, body={
        'server': {'name': 'new-server-test', 'imageRef': cloud.image_id,
                   'flavorRef': '1', 'key_name': 'kp1',
                   'metadata': {'My Server Name': 'Apache1'},
                   'user_data': base64.b64encode(b'echo hi').decode()}})
    sid = out['server']['server']['id']
    wait_for(lambda: api('GET', '/v2.1/servers/%s' % sid)['server'][
        'status'] == 'ACTIVE', 120, interval=0.5, message='ACTIVE')
    api('POST', '/v2.1/servers/%s/action' % sid, status=202,
        body={'os-stop': None})
    wait_for(lambda: api('GET', '/v2.1/servers/%s' % sid)['server'][
        'status'] == 'SHUTOFF', 60, interval=0.5, message='SHUTOFF')
    api('POST', '/v2.1/servers/%s/action' % sid, status=202,
        body={'os-start': None})
    wait_for(lambda: api('GET', '/v2.1/servers/%s' % sid)['server'][
        'status'] == 'ACTIVE', 60, interval=0.5, message='ACTIVE again')
    out['server_group'] = api('POST', '/v2.1/os-server-groups', status=200,
                              body={'server_group': {
                                  'name': 'test',
                                  'policies': ['anti-affinity']}})
    out['sid'] = sid
    actions = api('GET', '/v2.1/servers/%s/os-instance-actions' % sid)
    out['stop_request'] = [a['request_id'] for a in
                           actions['instanceActions']
                           if a['action'] == 'stop'][0]
    return out


def _hypervisor_id(api):
    return api('GET', '/v2.1/os-hypervisors')['hypervisors'][0]['id']


# (sample, microversion, method, path template, body)
CASES = [
    ('versions-get-resp.json', None, 'GET', '/', None),
    ('v21-version-get-resp.json', None, 'GET', '/v2.1/', None),
    ('server-get-resp.json', '2.1', 'GET', '/v2.1/servers/{sid}', None),
    ('v2.3/server-get-resp.json', '2.3', 'GET', '/v2.1/servers/{sid}', None),
    ('v2.9/server-get-resp.json', '2.9', 'GET', '/v2.1/servers/{sid}', None),
    ('v2.9/server-get-resp.json', '2.11', 'GET', '/v2.1/servers/{sid}',
     None),
    ('servers-list-resp.json', '2.1', 'GET', '/v2.1/servers', None),
    ('servers-details-resp.json', '2.1', 'GET', '/v2.1/servers/detail',
     None),
    ('v2.9/servers-details-resp.json', '2.11', 'GET',
     '/v2.1/servers/detail', None),
    ('flavors-list-resp.json', '2.11', 'GET', '/v2.1/flavors', None),
    ('flavors-detail-resp.json', '2.11', 'GET', '/v2.1/flavors/detail',
     None),
    ('flavor-get-resp.json', '2.11', 'GET', '/v2.1/flavors/1', None),
    ('keypairs-list-resp.json', '2.1', 'GET', '/v2.1/os-keypairs', None),
    ('v2.2/keypairs-list-resp.json', '2.11', 'GET', '/v2.1/os-keypairs',
     None),
    ('v2.2/keypairs-get-resp.json', '2.11', 'GET',
     '/v2.1/os-keypairs/kp1', None),
    ('limit-get-resp.json', '2.11', 'GET', '/v2.1/limits', None),
    ('quotas-show-get-resp.json', '2.11', 'GET',
     '/v2.1/os-quota-sets/admin', None),
    ('quotas-show-defaults-get-resp.json', '2.11', 'GET',
     '/v2.1/os-quota-sets/admin/defaults', None),
    ('services-list-get-resp.json', '2.1', 'GET', '/v2.1/os-services', None),
    ('v2.11/services-list-get-resp.json', '2.11', 'GET',
     '/v2.1/os-services', None),
    ('hypervisors-list-resp.json', '2.11', 'GET', '/v2.1/os-hypervisors',
     None),
    ('hypervisors-detail-resp.json', '2.11', 'GET',
     '/v2.1/os-hypervisors/detail', None),
    ('hypervisors-show-resp.json', '2.11', 'GET',
     '/v2.1/os-hypervisors/{hid}', None),
    ('hypervisors-statistics-resp.json', '2.11', 'GET',
     '/v2.1/os-hypervisors/statistics', None),
    ('availability-zone-list-resp.json', '2.11', 'GET',
     '/v2.1/os-availability-zone', None),
    ('availability-zone-detail-resp.json', '2.11', 'GET',
     '/v2.1/os-availability-zone/detail', None),
    ('server-groups-get-resp.json', '2.11', 'GET',
     '/v2.1/os-server-groups/{gid}', None),
    ('server-groups-list-resp.json', '2.11', 'GET',
     '/v2.1/os-server-groups', None),
    ('instance-actions-list-resp.json', '2.11', 'GET',
     '/v2.1/servers/{sid}/os-instance-actions', None),
    ('instance-action-get-resp.json', '2.11', 'GET',
     '/v2.1/servers/{sid}/os-instance-actions/{rid}', None),
    ('get-vnc-console-post-resp.json', '2.1', 'POST',
     '/v2.1/servers/{sid}/action', {'os-getVNCConsole': {'type': 'novnc'}}),
    ('v2.6/create-vnc-console-resp.json', '2.6', 'POST',
     '/v2.1/servers/{sid}/remote-consoles',
     {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}}),
]


@pytest.mark.parametrize('sample,version,method,template,body', CASES,
                         ids=['%s@%s' % (c[0], c[1]) for c in CASES])
def test_response_matches_sample(cloud, made, sample, version, method,
                                 template, body):
    api = Api(cloud)
    path = template.format(
        sid=made['sid'], gid=made['server_group']['server_group']['id'],
        rid=made['stop_request'],
        hid=_hypervisor_id(api) if '{hid}' in template else '')
    actual = api(method, path, version=version, body=body)
    expected = load(sample)
    assert compare(expected, actual) == []
    # a sample with an empty list proves nothing: every list we compare
    # has at least one element here
    for key, value in expected.items():
        if isinstance(value, list):
            assert actual[key], key


@pytest.mark.parametrize('sample,key', [
    ('flavor-create-post-resp.json', 'flavor'),
    ('v2.2/keypairs-post-resp.json', 'keypair'),
    ('server-create-resp.json', 'server'),
    ('server-groups-post-resp.json', 'server_group'),
])
def test_create_responses_match_samples(made, sample, key):
    assert compare(load(sample), made[key]) == []
