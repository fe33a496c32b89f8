"""Regression: with the conductor gone, the API answered 500 after
``rpc_response_timeout`` (a MessagingTimeout on its flavor lookup).

Now a request waits for the conductor no longer than ``[api]
request_deadline`` and then answers 503 ``serviceUnavailable`` with a
``Retry-After`` header; once the conductor is back it answers as before.
"""

import time

import pytest

from tests.functional import boot_client as bc
from tests.functional.conftest import CloudFactory

DEADLINE = 6


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    factory = CloudFactory()
    try:
        cloud = bc.start_boot_cloud(factory, {'fake-1': None}, conf_overrides={
            'api': {'request_deadline': DEADLINE,
                    'unavailable_retry_after': 5}})
        bc.start_api(cloud)
        image = bc.import_image(cloud, tmp_path_factory.mktemp('img'))
        api = bc.Api(cloud)
        resp = api('POST', '/flavors', {'flavor': {
            'name': 'tiny', 'vcpus': 1, 'ram': 64, 'disk': 1, 'id': '501'}})
        assert resp.status_code == 200, resp.text
        try:
            yield cloud, api, image
        finally:
            bc.stop_daemons(cloud)
    finally:
        factory.cleanup()


def _server(image, name):
    return {'server': {'name': name, 'flavorRef': '501', 'imageRef': image}}


def test_api_answers_503_when_conductor_is_gone(env):
    cloud, api, image = env
    assert api('GET', '/flavors').status_code == 200
    bc.daemon(cloud, 'conductor').kill()

    for method, path, body in (('GET', '/flavors', None),
                               ('GET', '/flavors/501', None),
                               ('POST', '/servers', _server(image, 'gone'))):
        started = time.monotonic()
        resp = api(method, path, body)
        took = time.monotonic() - started
        print('%s %s with the conductor gone: %d after %.1f s'
              % (method, path, resp.status_code, took))
        assert resp.status_code == 503, resp.text
        assert resp.headers['Retry-After'] == '5'
        fault = resp.json()['serviceUnavailable']
        assert fault['code'] == 503
        assert 'novalite-conductor' in fault['message']
        assert took < DEADLINE + 10
    assert 'novalite-conductor unreachable' in \
        bc.daemon(cloud, 'api').log()

    cloud.start('conductor')
    bc.wait_for_service_row(cloud, 'novalite-conductor', 'conductor', 60)
    assert api('GET', '/flavors').status_code == 200
    resp = api('POST', '/servers', _server(image, 'back'))
    assert resp.status_code == 202, resp.text
    api.wait([resp.json()['server']['id']], ('ACTIVE',), timeout=60)
