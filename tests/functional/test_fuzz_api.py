"""The API fuzz test: tools/api_fuzz.py against real daemons, bounded.

One cloud: conductor, scheduler, two fake computes and novalite-api with
noauth2, where both projects' fixtures are created (servers with metadata,
a keypair, a server group, a private flavor project 1 may use and project 2
may not). A second novalite-api of the same cloud uses ``[api]
auth_strategy = keystone`` with an identity service on a closed loopback
port; there "correct" is: the version documents without a token, 401 for a
request without a token, 503 with Nova's or keystonemiddleware's body for a
request with any token (the token cannot be checked), never a 500 and never
a traceback.

The runs are repeatable (a fixed seed, no hypothesis database) and bounded
in requests and time; the counts and the status histogram are printed
(``pytest -s`` shows them). A longer run: ``tools/api_fuzz.py URL
--max-examples 50000``.
"""

import importlib.util
import os
import socket

import pytest
import requests

from tests.functional import boot_client as bc
from tests.functional.cloud import free_port
from tests.functional.cloud import wait_for
from tests.functional.conftest import CloudFactory

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HOSTS = ['fuzz-1', 'fuzz-2']
# Bounds of the CI runs (requests, seconds).
NOAUTH_EXAMPLES, NOAUTH_SECONDS = 3000, 180
KEYSTONE_EXAMPLES, KEYSTONE_SECONDS = 600, 90


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'api_fuzz', os.path.join(REPO, 'tools', 'api_fuzz.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_tool()


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


@pytest.fixture(scope='module')
def world(cloud):
    return fuzz.setup_world(cloud.api_url, image_id=cloud.image)


def _closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    port = free_port()
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', port), timeout=2).close()
    return port


@pytest.fixture(scope='module')
def keystone_api(cloud):
    """A second novalite-api of the cloud, keystone auth, identity down."""
    port = free_port()
    identity = 'http://127.0.0.1:%d' % _closed_port()
    daemon = cloud.start('api', host='api-keystone', extra_conf={
        'DEFAULT': {'osapi_compute_listen_port': port,
                    'enabled_apis': 'osapi_compute',
                    'osapi_compute_workers': 1},
        'api': {'auth_strategy': 'keystone'},
        'keystone_authtoken': {
            'www_authenticate_uri': identity, 'auth_url': identity,
            'auth_type': 'password', 'username': 'novalite',
            'password': 'unused', 'project_name': 'service',
            'user_domain_name': 'Default',
            'project_domain_name': 'Default',
            'http_connect_timeout': 2, 'http_request_max_retries': 0}})
    url = 'http://127.0.0.1:%d' % port

    def answers():
        if daemon.proc.poll() is not None:
            raise AssertionError('keystone api exited: %s'
                                 % daemon.log()[-3000:])
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.ConnectionError:
            return False
    wait_for(answers, 60, message='keystone novalite-api on %s' % url)
    return url


def test_every_route_is_known_to_the_fuzzer():
    """A route, path parameter, body or server action added to the API
    without teaching tools/api_fuzz.py how to fill it fails here."""
    assert fuzz.uncovered() == []
    prefixes = {prefix + path for prefix, path, _m, _g in fuzz.all_routes()}
    assert fuzz.COMPUTE_PREFIX + '/servers/{server_id}/action' in prefixes
    assert fuzz.IMAGE_PREFIX + '/images/{image_id}' in prefixes


def test_fuzz_noauth2_no_5xx_no_traceback_nova_faults_no_cross_project(
        cloud, world):
    stats = fuzz.run(cloud.api_url, world, seed=14,
                     max_examples=NOAUTH_EXAMPLES,
                     time_budget=NOAUTH_SECONDS)
    print('\nnoauth2 fuzz\n' + stats.report())
    assert stats.sent > 500, stats.report()
    assert not stats.failures, stats.report()


def test_keystone_unreachable_identity_answers_401_or_503(keystone_api):
    base = keystone_api
    # The version documents need no token.
    for path in ('/', '/v2.1', '/v2'):
        assert requests.get(base + path, timeout=30).status_code == 200
    resp = requests.get(base + '/v2.1/servers', timeout=30)
    assert resp.status_code == 401, resp.text
    resp = requests.get(base + '/v2.1/servers', timeout=60,
                        headers={'X-Auth-Token': 'garbage'})
    assert resp.status_code == 503, resp.text
    for marker in ('Traceback', 'File "'):
        assert marker not in resp.text


def test_fuzz_keystone_identity_unreachable(keystone_api):
    world = {'projects': {p: {} for p in fuzz.PROJECTS},
             'shared': {'project': list(fuzz.PROJECTS)}}
    stats = fuzz.run(keystone_api, world, seed=14,
                     max_examples=KEYSTONE_EXAMPLES,
                     time_budget=KEYSTONE_SECONDS, mode='keystone')
    print('\nkeystone fuzz\n' + stats.report())
    assert stats.sent > 100, stats.report()
    assert not stats.failures, stats.report()
