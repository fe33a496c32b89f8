"""novncproxy + consoleauth as real daemons, relaying a real QEMU VNC server.

The cloud runs novalite-conductor, two novalite-consoleauth processes (one
with a 2 s token TTL, addressed by host for the expiry test) and
novalite-novncproxy. No compute runs here, so the consoleauth processes
have ``[consoleauth] validate_console_port = False`` (the explicit testing
switch); tokens are authorized over RPC the way the API does it.
"""

import concurrent.futures
import hashlib
import os
import struct
import threading
import time
import uuid

import psutil
import pytest

from tests.functional import console_helpers as ch
from tests.functional.cloud import Cloud, free_port, wait_for

pytestmark = pytest.mark.skipif(ch.qemu_missing_reason() is not None,
                                reason=ch.qemu_missing_reason() or '')

RECHECK = 1


def _up_count(daemon):
    return daemon.log().count('is up')


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    """The cloud, a QEMU VNC server and a consoleauth client."""
    web = ch.install_novnc()
    cloud = Cloud(conf_overrides={
        'consoleauth': {'validate_console_port': False},
        'console': {'session_recheck_interval': RECHECK,
                    'allowed_origins': ['console.example']},
        'vnc': {'web': web},
    })
    qemus, client = [], None
    try:
        cloud.sync_db()
        cloud.start('conductor', wait=True, timeout=60)
        cloud.consoleauth = cloud.start('consoleauth')
        cloud.consoleauth_short = cloud.start(
            'consoleauth', host='consoleauth-short',
            extra_conf={'consoleauth': {'token_ttl': 2}})
        cloud.proxy = cloud.start('novncproxy')
        for host in ('consoleauth', 'consoleauth-short'):
            cloud.wait_for_service(binary='consoleauth', host=host,
                                   timeout=60)
        ch.wait_for_http(cloud.ports['novncproxy'])
        logdir = str(tmp_path_factory.mktemp('qemu'))
        qemus = [ch.QemuVNC(logdir).start() for _ in range(2)]
        client = ch.ConsoleAuthClient(cloud.transport_url)
        cloud.qemus = qemus
        cloud.client = client
        yield cloud
        client.cleanup()
        client = None
        for daemon in reversed(cloud.daemons):  # the conductor last
            daemon.stop()
            assert not ch.unexpected_tracebacks(daemon.log()), \
                daemon.log()[-6000:]
    finally:
        if client is not None:
            client.cleanup()
        for qemu in qemus:
            qemu.stop()
        cloud.cleanup()


def _ws(env, path, **kwargs):
    return ch.WSClient(env.ports['novncproxy'], path, **kwargs)


def test_page_and_library_are_served(env):
    port = env.ports['novncproxy']
    status, _, body = ch.http_get(port, '/vnc_auto.html?path=%3Ftoken%3Dx')
    assert status == 200
    assert b'id="status"' in body and b'vnc_auto.js' in body
    status, headers, body = ch.http_get(port, '/core/rfb.js')
    assert status == 200 and b'export default class RFB' in body
    assert 'javascript' in headers['content-type']
    # No directory listings.
    assert ch.http_get(port, '/core/')[0] == 404


def test_sighup_does_not_stop_the_proxy(env):
    import signal
    os.kill(env.proxy.pid, signal.SIGHUP)
    env.proxy.wait_for_log('SIGHUP: novncproxy reloads nothing')
    assert env.proxy.running()
    assert ch.http_get(env.ports['novncproxy'], '/vnc_auto.html')[0] == 200


@pytest.mark.parametrize('form', ['query', 'path', 'cookie'])
def test_valid_token_relays_rfb(env, form):
    token = env.client.authorize(env.qemus[0].port)
    path, headers = {
        'query': ('/?token=%s' % token, None),
        'path': ('/websockify?path=%%3Ftoken%%3D%s' % token, None),
        'cookie': ('/', {'Cookie': 'theme=dark; token=%s' % token}),
    }[form]
    ws = _ws(env, path, headers=headers)
    try:
        assert ws.upgraded, ws.status
        width, height, bpp = ch.rfb_handshake(ws)
        assert width > 0 and height > 0
        assert ch.rfb_update_roundtrip(ws, bpp) < 5
    finally:
        ws.close()
    log = env.proxy.log()
    assert token not in log, 'the proxy logged a token'


def test_unknown_token_refused(env):
    ws = _ws(env, '/?token=%s' % uuid.uuid4())
    assert ws.upgraded
    code, reason = ws.wait_closed()
    assert (code, reason) == (1008, 'Invalid or expired console token')
    env.proxy.wait_for_log('Refused console connection from 127.0.0.1: '
                           'invalid, expired or revoked token')


def test_missing_token_refused(env):
    code, reason = _ws(env, '/').wait_closed()
    assert (code, reason) == (1008, 'No console token')


def test_expired_token_refused(env):
    # consoleauth-short issues tokens for 2 s.
    token = env.client.authorize(env.qemus[0].port,
                                 server='consoleauth-short')
    ws = _ws(env, '/?token=%s' % token)
    ch.rfb_handshake(ws)  # valid while fresh
    time.sleep(2.5)
    code, reason = _ws(env, '/?token=%s' % token).wait_closed()
    assert (code, reason) == (1008, 'Invalid or expired console token')
    # A session opened in time outlives the token's expiry.
    ch.rfb_update_roundtrip(ws, 4)
    ws.close()


def test_revoked_token_refused_and_open_session_closed(env):
    instance = str(uuid.uuid4())
    other = str(uuid.uuid4())
    token = env.client.authorize(env.qemus[0].port, instance_uuid=instance)
    kept = env.client.authorize(env.qemus[1].port, instance_uuid=other)
    open_ws = _ws(env, '/?token=%s' % token)
    ch.rfb_handshake(open_ws)
    other_ws = _ws(env, '/?token=%s' % kept)
    width, height, bpp = ch.rfb_handshake(other_ws)

    env.client.cast('delete_tokens_for_instance', instance_uuid=instance)
    start = time.monotonic()
    code, reason = open_ws.wait_closed()
    assert (code, reason) == (1008, 'Console session revoked')
    assert time.monotonic() - start < RECHECK + 5
    code, reason = _ws(env, '/?token=%s' % token).wait_closed()
    assert (code, reason) == (1008, 'Invalid or expired console token')
    # Another instance's session is untouched.
    time.sleep(RECHECK + 0.5)
    ch.rfb_update_roundtrip(other_ws, bpp)
    other_ws.close()
    assert env.sql('SELECT COUNT(*) AS n FROM console_auth_tokens WHERE '
                   'instance_uuid = %s', (instance,))[0]['n'] == 0


def test_any_consoleauth_answers_for_any_token(env):
    """Tokens live in the database: the other process knows them too."""
    token = env.client.authorize(env.qemus[0].port, server='consoleauth')
    for host in ('consoleauth', 'consoleauth-short'):
        info = env.client.client.prepare(server=host).call(
            env.client.ctxt, 'check_token', token=token)
        assert info['port'] == env.qemus[0].port


def test_regression_every_session_is_rechecked_not_only_the_newest(env):
    """Forked session processes once shared their parent's epoll hub: only
    the newest one's timers fired, older sessions were never re-checked
    and outlived the revocation of their tokens."""
    instances = [str(uuid.uuid4()) for _ in range(3)]
    sessions = []
    for instance in instances:
        ws = _ws(env, '/?token=%s' % env.client.authorize(
            env.qemus[0].port, instance_uuid=instance))
        ch.rfb_handshake(ws)
        sessions.append(ws)
    env.client.cast('delete_tokens_for_instance', instance_uuid=instances[0])
    assert sessions[0].wait_closed() == (1008, 'Console session revoked')
    for ws in sessions[1:]:
        ch.rfb_update_roundtrip(ws, 4)
        ws.close()


def test_regression_recheck_beside_busy_relay(env):
    """A re-check that waited for consoleauth inside the relay loop could
    be woken by a stale select() callback (browser and console sockets
    readable in the same poll) and crash on a tuple instead of the RPC
    reply. Requests pipelined from browsers while the console answers,
    across many re-checks, must leave the sessions and the log clean."""
    sessions, seconds = 4, RECHECK * 8
    before = len(env.proxy.log())
    request = struct.pack('!BBHHHH', 3, 0, 0, 0, 64, 64)

    def busy_session(_):
        ws = _ws(env, '/?token=%s' % env.client.authorize(
            env.qemus[0].port))
        _, _, bpp = ch.rfb_handshake(ws)
        stop = threading.Event()

        def pipeline():
            while not stop.is_set():
                ws.send(request)
                time.sleep(0.001)
        sender = threading.Thread(target=pipeline, daemon=True)
        sender.start()
        received = 0
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                received += ws.drain(quiet=0.05)
        finally:
            stop.set()
            sender.join(5)
        received += ws.drain(quiet=1.0)
        rtt = ch.rfb_update_roundtrip(ws, bpp)
        ws.close()
        return received, rtt

    with concurrent.futures.ThreadPoolExecutor(sessions) as pool:
        results = list(pool.map(busy_session, range(sessions)))
    for received, rtt in results:
        assert received > 100 * 64 * 64 and rtt < 5
    added = env.proxy.log()[before:]
    assert added.count('Re-checking the console session') >= \
        sessions * (seconds // RECHECK - 2)
    assert 'AttributeError' not in added
    assert not ch.unexpected_tracebacks(added)


def test_tokens_stored_hashed(env):
    token = env.client.authorize(env.qemus[0].port)
    rows = env.sql('SELECT token_hash FROM console_auth_tokens')
    hashes = {row['token_hash'] for row in rows}
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert not any(token in h for h in hashes)


def test_token_valid_after_consoleauth_restarts(env):
    token = env.client.authorize(env.qemus[0].port, server='consoleauth')
    # ... while an expired one is purged when consoleauth starts.
    expired = str(uuid.uuid4())
    env.client.authorize(env.qemus[0].port, instance_uuid=expired,
                         server='consoleauth-short')
    time.sleep(2.5)
    for daemon in (env.consoleauth, env.consoleauth_short):
        before = _up_count(daemon)
        daemon.restart()
        wait_for(lambda d=daemon, n=before: _up_count(d) > n, 60,
                 message='%r up again' % daemon)
    for _ in range(4):  # whichever consoleauth answers
        ws = _ws(env, '/?token=%s' % token)
        ch.rfb_handshake(ws)
        ws.close()
    wait_for(lambda: not env.sql(
        'SELECT id FROM console_auth_tokens WHERE instance_uuid = %s',
        (expired,)), 30, message='expired token purged')


def test_session_survives_consoleauth_down(env):
    token = env.client.authorize(env.qemus[0].port)
    ws = _ws(env, '/?token=%s' % token)
    _, _, bpp = ch.rfb_handshake(ws)
    for daemon in (env.consoleauth, env.consoleauth_short):
        daemon.stop()
    try:
        time.sleep(RECHECK * 3)
        assert ch.rfb_update_roundtrip(ws, bpp) < 15
    finally:
        for daemon in (env.consoleauth, env.consoleauth_short):
            before = _up_count(daemon)
            daemon.start()
            wait_for(lambda d=daemon, n=before: _up_count(d) > n, 60,
                     message='%r up again' % daemon)
        ws.close()


@pytest.mark.parametrize('origin,headers,allowed', [
    ('http://evil.example', None, False),
    ('http://127.0.0.1.evil.example', None, False),
    ('https://127.0.0.1:{port}', None, False),            # wrong scheme
    ('null', None, False),
    ('http://127.0.0.1:{port}', {'X-Forwarded-Proto': 'https'}, False),
    ('https://127.0.0.1:{port}', {'X-Forwarded-Proto': 'https'}, True),
    ('http://console.example', None, True),               # allowed_origins
    ('http://127.0.0.1:9999', None, True),                # host, any port
    (None, None, True),                                   # non-browser
])
def test_origin_checked(env, origin, headers, allowed):
    port = env.ports['novncproxy']
    token = env.client.authorize(env.qemus[0].port)
    ws = _ws(env, '/?token=%s' % token, headers=headers,
             origin=origin.format(port=port) if origin else None)
    try:
        if allowed:
            assert ws.upgraded, ws.status
            ch.rfb_handshake(ws)
        else:
            assert ws.status == 403
    finally:
        ws.close()


@pytest.mark.parametrize('target', [
    '//evil.example/',
    '//evil.example/%2e%2e',
    '///evil.example/',
    '////evil.example//core',
    '/\\evil.example/',
    '/%09/evil.example/',
    'http://evil.example/core',
    '//evil.example/core',
])
def test_open_redirect_probes_answer_4xx(env, target):
    status, headers, _ = ch.http_get(env.ports['novncproxy'], target)
    assert 400 <= status < 500, (target, status)
    assert 'location' not in headers


def test_directory_redirect_stays_on_site(env):
    status, headers, _ = ch.http_get(env.ports['novncproxy'], '/core')
    assert status == 301
    assert headers['location'] == '/core/'


def test_twenty_consoles_stay_responsive(env):
    count = 20
    tokens = [env.client.authorize(env.qemus[i % 2].port)
              for i in range(count)]

    def open_console(token):
        start = time.monotonic()
        ws = _ws(env, '/?token=%s' % token, timeout=60)
        _, _, bpp = ch.rfb_handshake(ws)
        return ws, bpp, time.monotonic() - start

    sessions = []
    try:
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            for result in pool.map(open_console, tokens):
                sessions.append(result)
        opened = sorted(s[2] for s in sessions)
        # Every session relays a frame update, all at once.
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            rtts = sorted(pool.map(
                lambda s: ch.rfb_update_roundtrip(s[0], s[1]), sessions))
        # With 20 open, a page load and a 21st console are still quick.
        start = time.monotonic()
        assert ch.http_get(env.ports['novncproxy'], '/vnc_auto.html')[0] \
            == 200
        page = time.monotonic() - start
        extra, bpp, extra_open = open_console(
            env.client.authorize(env.qemus[0].port))
        extra.close()
        # What the 20 sessions (one forked process each) cost.
        children, pss = 0, 0
        for child in psutil.Process(env.proxy.pid).children():
            try:
                pss += child.memory_full_info().pss
                children += 1
            except (psutil.Error, OSError):
                pass  # a connection that just ended
        pss_mib = pss / 2 ** 20
        assert children >= count
        # ... and the 20 still relay after a few re-check rounds.
        time.sleep(RECHECK * 2.5)
        later = [ch.rfb_update_roundtrip(s[0], s[1]) for s in sessions]
        print('\n20 consoles: open p50 %.3fs max %.3fs; update rtt p50 '
              '%.3fs max %.3fs; page %.3fs; 21st open %.3fs; later rtt max '
              '%.3fs; proxy processes %d, PSS %.0f MiB' % (
                  opened[count // 2], opened[-1], rtts[count // 2], rtts[-1],
                  page, extra_open, max(later), children, pss_mib))
        assert opened[-1] < 20
        assert rtts[-1] < 5
        assert page < 2
        assert extra_open < 10
        assert max(later) < 5
    finally:
        for ws, _, _ in sessions:
            ws.close()


def test_unreachable_console_closes_cleanly(env):
    token = env.client.authorize(free_port())
    code, reason = _ws(env, '/?token=%s' % token).wait_closed()
    assert (code, reason) == (1011, 'Failed to connect to the console')


def test_rfb_bytes_relayed_unchanged(env):
    """The RFB exchange passes through byte for byte in both directions."""
    token = env.client.authorize(env.qemus[0].port)
    ws = _ws(env, '/?token=%s' % token)
    assert ws.recv_bytes(12) == b'RFB 003.008\n'
    ws.send(b'RFB 003.008\n')
    count = ws.recv_bytes(1)[0]
    assert 1 in ws.recv_bytes(count)
    ws.send(struct.pack('!B', 1))
    assert ws.recv_bytes(4) == bytes(4)
    ws.close()


def test_stopping_proxy_tells_open_sessions(env):
    port = free_port()
    proxy = env.start('novncproxy', host='short-lived-proxy',
                      extra_conf={'vnc': {'novncproxy_port': port}})
    try:
        ch.wait_for_http(port)
        token = env.client.authorize(env.qemus[0].port)
        ws = ch.WSClient(port, '/?token=%s' % token)
        ch.rfb_handshake(ws)
        proxy.stop()
        assert proxy.returncode == 0
        assert ws.wait_closed() == (1001, 'Console proxy is shutting down')
    finally:
        proxy.stop()
    assert not ch.unexpected_tracebacks(proxy.log())


def test_tls_only_proxy(env, tmp_path):
    """``[console] ssl_only`` with a cert and key: wss works, plain HTTP is
    refused, and the Origin must be https."""
    import subprocess

    cert, key = tmp_path / 'proxy.crt', tmp_path / 'proxy.key'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
                    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-keyout', str(key), '-out', str(cert)],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    proxy = env.start('novncproxy', host='tls-proxy', extra_conf={
        'vnc': {'novncproxy_port': port},
        'console': {'ssl_only': True, 'cert': str(cert), 'key': str(key)}})
    try:
        ch.wait_for_http(port, tls=True)
        assert ch.http_get(port, '/vnc_auto.html')[0] == 0  # no answer
        proxy.wait_for_log('non-SSL connection received but disallowed')
        token = env.client.authorize(env.qemus[0].port)
        ws = ch.WSClient(port, '/?token=%s' % token, tls=True)
        assert ws.upgraded
        ch.rfb_handshake(ws)
        ws.close()
        ws = ch.WSClient(port, '/?token=%s' % token, tls=True,
                         origin='http://127.0.0.1:%d' % port)
        assert ws.status == 403
    finally:
        proxy.stop()


# -- the whole flow, port validation on ---------------------------------------

def _make_image(cloud, tmp_path):
    """A small public raw image in the cloud's file image store."""
    from novalite import context as nl_context
    from novalite.image import api as image_api
    from novalite.image import file as file_backend

    data = tmp_path / 'tiny.raw'
    data.write_bytes(b'\0' * 65536)
    store = file_backend.FileBackend(
        os.path.join(cloud.workdir, 'state', 'images'))
    record = image_api.API(backend=store).create(
        nl_context.get_admin_context(),
        {'name': 'tiny', 'disk_format': 'raw', 'visibility': 'public'},
        data=str(data))
    return record['id']


def test_console_url_from_api_through_compute_validation(cloud_factory,
                                                         tmp_path):
    """POST remote-consoles -> compute makes the token -> consoleauth
    stores it and asks compute validate_console_port on every check ->
    novncproxy relays; deleting the server revokes the token and ends the
    open session.

    The compute runs the fake driver with its first VNC port set to a real
    QEMU's, so the port compute reports is a live VNC server.
    """
    import requests

    from tests.functional.boot_client import wait_for_computes
    from tests.functional.test_api_rest import Client, start_api

    qemu = ch.QemuVNC(str(tmp_path)).start()
    try:
        cloud = cloud_factory(conf_overrides={
            'console': {'session_recheck_interval': RECHECK},
            'vnc': {'web': ch.install_novnc()},
            'fake_driver': {'vnc_port_base': qemu.port},
            # Fetch host states on every request: no stale snapshot from
            # before the compute registered.
            'scheduler': {'host_state_refresh_seconds': 0},
        })
        cloud.sync_db()
        cloud.start('conductor', wait=True, timeout=60)
        for binary in ('scheduler', 'consoleauth'):
            cloud.start(binary)
        cloud.start('compute', host='cn1')
        proxy = cloud.start('novncproxy')
        for binary, host in (('scheduler', 'scheduler'),
                             ('consoleauth', 'consoleauth'),
                             ('compute', 'cn1')):
            cloud.wait_for_service(binary=binary, host=host, timeout=60)
        start_api(cloud)
        ch.wait_for_http(cloud.ports['novncproxy'])
        wait_for_computes(cloud, ['cn1'])
        admin = Client(cloud.api_url + '/v2.1', 'admin:admin', version='2.6')
        image_id = _make_image(cloud, tmp_path)
        resp = admin('POST', '/flavors', {'flavor': {
            'name': 'm1.console', 'ram': 64, 'vcpus': 1, 'disk': 1,
            'id': '42'}})
        assert resp.status_code == 200, resp.text
        resp = admin('POST', '/servers', {'server': {
            'name': 'vm', 'flavorRef': '42', 'imageRef': image_id}})
        assert resp.status_code == 202, resp.text
        server_id = resp.json()['server']['id']
        wait_for(lambda: admin('GET', '/servers/' + server_id).json()
                 ['server']['status'] == 'ACTIVE', 60,
                 message='server ACTIVE')

        resp = admin('POST', '/servers/%s/remote-consoles' % server_id,
                     {'remote_console': {'protocol': 'vnc',
                                         'type': 'novnc'}})
        assert resp.status_code == 200, resp.text
        url = resp.json()['remote_console']['url']
        prefix = cloud.novncproxy_base_url + '?path=%3Ftoken%3D'
        assert url.startswith(prefix)
        token = url[len(prefix):]

        ws = _ws(cloud, '/?token=%s' % token)
        _, _, bpp = ch.rfb_handshake(ws)
        ch.rfb_update_roundtrip(ws, bpp)
        consoleauth = [d for d in cloud.daemons
                       if d.binary == 'novalite-consoleauth'][0]
        assert 'Console token refused' not in consoleauth.log()

        assert admin('DELETE', '/servers/' + server_id).status_code == 204
        wait_for(lambda: admin('GET', '/servers/' + server_id)
                 .status_code == 404, 60, message='server deleted')
        code, reason = ws.wait_closed()
        assert (code, reason) == (1008, 'Console session revoked')
        code, reason = _ws(cloud, '/?token=%s' % token).wait_closed()
        assert (code, reason) == (1008, 'Invalid or expired console token')
        assert not ch.unexpected_tracebacks(proxy.log())
        assert requests.get(cloud.novncproxy_base_url, timeout=10).ok
    finally:
        qemu.stop()
