"""A controller and two compute nodes, each in its own network namespace.

The lab (:class:`~tests.functional.cloud.NetLab`): namespace ``controller``
holds a bridge with ``<subnet>.1``, a private RabbitMQ node listening there,
novalite-api, -scheduler, -conductor, -consoleauth and -novncproxy;
namespaces ``cn1`` and ``cn2`` (``<subnet>.11`` / ``.12``) each run
novalite-compute with its own ``host`` and ``my_ip`` (fake driver) and an RFB
stub (``rfb_stub.py``) on the VNC ports the fake driver hands out. The
conductor reaches MariaDB through its unix socket; the test process reaches
the controller through the lab's host-side veth. Everything is fresh per
run and removed afterwards, pass or fail.

Checked: boots through the REST API spread over both computes; a console
URL from the API opens, through the controller's novncproxy, the RFB stream
of the stub inside the guest's compute namespace; a stopped compute turns
``down`` in ``os-services`` after ``service_down_time`` and new boots avoid
it; started again, it is ``up`` and chosen again.
"""

import collections
import os
import shutil
import struct
import subprocess
import sys
import time
import urllib.parse

import pytest

from tests.functional import boot_client as bc
from tests.functional import cloud as cloud_mod
from tests.functional import console_helpers as ch
from tests.functional.cloud import Cloud, NetLab, RabbitNode, wait_for

NODES = ('controller', 'cn1', 'cn2')
COMPUTES = ('cn1', 'cn2')
REPORT_INTERVAL = 1
SERVICE_DOWN_TIME = 6
CONF = bc.merge_conf(bc.BOOT_CONF, {
    'DEFAULT': {'report_interval': REPORT_INTERVAL,
                'service_down_time': SERVICE_DOWN_TIME},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
    # After an idle spell the scheduler answers the first request from its
    # old snapshot (while it fetches a new one) if that is younger than
    # pending_claim_seconds (default 30). A compute going down is seen at
    # decision time anyway (its heartbeat ages in the snapshot); one coming
    # back is only seen in a fresh snapshot, so keep the window short.
    'scheduler': {'host_state_refresh_seconds': 1,
                  'pending_claim_seconds': 2},
    # The API listens on the lab's private address, reachable only from
    # this machine.
    'api': {'allow_noauth2_on_public_address': True},
})
RFB_STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'rfb_stub.py')
VNC_PORTS = '5900-5915'  # the fake driver's, from [fake_driver] vnc_port_base


def _skip_reason():
    if os.geteuid() != 0:
        return 'network namespaces need root'
    for tool in ('ip', 'rabbitmq-server', 'rabbitmqctl'):
        if shutil.which(tool) is None:
            return '%s is not installed' % tool
    if not os.path.exists(cloud_mod.MYSQL_SOCKET):
        return ('the conductor reaches MariaDB from its namespace through '
                'the unix socket %s, which does not exist'
                % cloud_mod.MYSQL_SOCKET)
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None,
                                reason=_skip_reason() or '')


def _stub_name(lab, node):
    return 'novalite fake guest on %s %s' % (node, lab.address[node])


def _start_stub(lab, node, logdir):
    """The RFB stub in ``node``'s namespace, on its my_ip."""
    log = open(os.path.join(logdir, 'rfb-%s.log' % node), 'wb')
    try:
        proc = subprocess.Popen(
            lab.prefix(node) + [sys.executable, RFB_STUB,
                                '--listen', lab.address[node],
                                '--ports', VNC_PORTS,
                                '--name', _stub_name(lab, node)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()
    wait_for(lambda: proc.poll() is not None or
             b'listening' in open(log.name, 'rb').read(), 30,
             message='RFB stub on %s' % node)
    if proc.poll() is not None:
        raise cloud_mod.HarnessError('RFB stub on %s exited: %s' % (
            node, open(log.name, 'rb').read()))
    return proc


def _start_compute(cloud, node):
    lab = cloud.lab
    address = lab.address[node]
    return cloud.start('compute', host=node, netns=lab.netns[node],
                       extra_conf={
                           'DEFAULT': {'my_ip': address},
                           'vnc': {'server_listen': address,
                                   'server_proxyclient_address': address}})


def _start_api(cloud, timeout=60):
    return bc.start_api(cloud, timeout,
                        netns=cloud.lab.netns['controller'])


@pytest.fixture(scope='module')
def mn(tmp_path_factory):
    """The multi-node cloud (a Cloud with ``lab``, ``api``, ``flavor``,
    ``image``, ``stubs``)."""
    try:
        lab = NetLab(NODES)
    except cloud_mod.HarnessError as exc:
        if 'netns add' in str(exc):
            pytest.skip('cannot create network namespaces here: %s' % exc)
        raise
    rabbit = cloud = None
    stubs = []
    try:
        ctl = lab.netns['controller']
        rabbit = RabbitNode(netns=ctl, host=lab.address['controller'])
        lab.adopt_dir(rabbit.basedir)
        rabbit.start()
        cloud = Cloud(conf_overrides=CONF, rabbit=rabbit,
                      listen_host=lab.address['controller'],
                      db_socket=cloud_mod.MYSQL_SOCKET)
        cloud.lab = lab
        cloud.sync_db()
        cloud.start('conductor', netns=ctl)
        bc.wait_for_service_row(cloud, 'novalite-conductor', 'conductor')
        logdir = str(tmp_path_factory.mktemp('rfb'))
        for node in COMPUTES:
            stubs.append(_start_stub(lab, node, logdir))
            _start_compute(cloud, node)
        cloud.start('consoleauth', netns=ctl)
        cloud.start('novncproxy', netns=ctl)
        bc.wait_for_computes(cloud, COMPUTES, timeout=90)
        # Started after the computes: its first snapshot holds both.
        cloud.start('scheduler', netns=ctl)
        for binary in ('scheduler', 'consoleauth'):
            bc.wait_for_service_row(cloud, 'novalite-' + binary, binary)
        _start_api(cloud)
        cloud.wait_for_port(cloud.ports['novncproxy'],
                            daemon=bc.daemon(cloud, 'novncproxy'))
        cloud.api = bc.Api(cloud)
        cloud.image = bc.import_image(cloud, tmp_path_factory.mktemp('img'))
        resp = cloud.api('POST', '/flavors', {'flavor': {
            'name': 'mn.tiny', 'vcpus': 1, 'ram': 64, 'disk': 1,
            'id': 'mn-tiny'}})
        assert resp.status_code == 200, resp.text
        cloud.flavor = 'mn-tiny'
        cloud.stubs = stubs
        yield cloud
        bc.stop_daemons(cloud)
        for daemon in cloud.daemons:
            assert not ch.unexpected_tracebacks(daemon.log()), \
                '%r:\n%s' % (daemon, daemon.log()[-6000:])
    finally:
        errors = []
        for step in ([lambda: bc.stop_daemons(cloud)] if cloud else []) + \
                [lambda: cloud and cloud.cleanup(),
                 lambda: rabbit and rabbit.cleanup(),
                 lab.cleanup]:
            try:
                step()
            except Exception as exc:  # clean up the rest anyway
                errors.append(str(exc))
        for proc in stubs:  # killed with the namespaces
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if errors:
            raise cloud_mod.HarnessError('; '.join(errors))


def _boot(mn, count, name):
    """``count`` POST /servers, one server each; returns their ids."""
    ids = []
    for index in range(count):
        resp = mn.api('POST', '/servers', {'server': {
            'name': '%s-%d' % (name, index), 'imageRef': mn.image,
            'flavorRef': mn.flavor}})
        assert resp.status_code == 202, resp.text
        ids.append(resp.json()['server']['id'])
    return ids


def _hosts(mn, ids):
    """``{id: OS-EXT-SRV-ATTR:host}`` once every server is ACTIVE."""
    servers = mn.api.wait(ids, ('ACTIVE', 'ERROR'), timeout=90)
    states = {s['id']: s['status'] for s in servers.values()}
    assert set(states.values()) == {'ACTIVE'}, states
    return {i: s['OS-EXT-SRV-ATTR:host'] for i, s in servers.items()}


def _compute_states(mn):
    resp = mn.api('GET', '/os-services?binary=novalite-compute')
    assert resp.status_code == 200, resp.text
    return {s['host']: s['state'] for s in resp.json()['services']}


def _wait_compute_state(mn, host, state, timeout):
    return wait_for(lambda: _compute_states(mn).get(host) == state,
                    timeout, interval=0.5,
                    message='%s to be %s in os-services' % (host, state))


def _rfb_server_name(ws):
    """RFB handshake through the proxy; returns (desktop name, bpp)."""
    assert ws.recv_bytes(12) == b'RFB 003.008\n'
    ws.send(b'RFB 003.008\n')
    count = ws.recv_bytes(1)[0]
    assert 1 in ws.recv_bytes(count)
    ws.send(b'\x01')
    assert ws.recv_bytes(4) == b'\x00\x00\x00\x00'
    ws.send(b'\x01')
    ws.recv_bytes(4)  # width, height
    bpp = ws.recv_bytes(16)[0] // 8
    length = struct.unpack('!I', ws.recv_bytes(4))[0]
    return ws.recv_bytes(length).decode(), bpp


def test_boots_spread_over_both_computes(mn):
    assert _compute_states(mn) == {'cn1': 'up', 'cn2': 'up'}
    hosts = _hosts(mn, _boot(mn, 4, 'spread'))
    per_host = collections.Counter(hosts.values())
    assert set(per_host) == set(COMPUTES), per_host
    # Hypervisors carry the computes' own addresses.
    resp = mn.api('GET', '/os-hypervisors/detail')
    assert resp.status_code == 200, resp.text
    ips = {h['hypervisor_hostname']: h.get('host_ip')
           for h in resp.json()['hypervisors']}
    for node in COMPUTES:
        assert ips.get(node) == mn.lab.address[node], ips


def test_console_through_controller_proxy(mn):
    """For a guest on each compute: the API's console URL names the
    controller's proxy, and its WebSocket relays the RFB stream of the
    server inside that compute's namespace."""
    hosts = _hosts(mn, _boot(mn, 2, 'console'))
    by_host = {}
    for server_id, host in hosts.items():
        by_host.setdefault(host, server_id)
    if len(by_host) < 2:  # both computes should have one; make sure
        by_host.update({h: s for s, h in _hosts(
            mn, _boot(mn, 2, 'console-more')).items()})
    assert set(by_host) == set(COMPUTES), by_host
    controller = mn.lab.address['controller']
    for node, server_id in sorted(by_host.items()):
        resp = mn.api('POST', '/servers/%s/remote-consoles' % server_id,
                      {'remote_console': {'protocol': 'vnc',
                                          'type': 'novnc'}})
        assert resp.status_code == 200, resp.text
        url = resp.json()['remote_console']['url']
        parsed = urllib.parse.urlsplit(url)
        assert (parsed.hostname, parsed.port) == (
            controller, mn.ports['novncproxy']), url
        inner = urllib.parse.parse_qs(parsed.query)['path'][0]
        token = urllib.parse.parse_qs(inner.lstrip('?'))['token'][0]
        ws = ch.WSClient(parsed.port, '/websockify?path=%s'
                         % urllib.parse.quote('?token=' + token),
                         address=controller)
        try:
            assert ws.upgraded, ws.status
            name, bpp = _rfb_server_name(ws)
            assert name == _stub_name(mn.lab, node)
            assert ch.rfb_update_roundtrip(ws, bpp) < 10
        finally:
            ws.close()


def test_compute_down_is_avoided_and_chosen_again_when_up(mn):
    cn2 = bc.daemon(mn, 'compute', 'cn2')
    # Its last heartbeat is at most a report_interval before this.
    stopping = time.monotonic()
    cn2.stop()
    _wait_compute_state(mn, 'cn2', 'down', timeout=SERVICE_DOWN_TIME + 30)
    # (1 s of slack: heartbeat times are stored to the second.)
    assert time.monotonic() - stopping >= SERVICE_DOWN_TIME - \
        REPORT_INTERVAL - 1, 'down before service_down_time'
    assert _compute_states(mn)['cn1'] == 'up'
    hosts = _hosts(mn, _boot(mn, 3, 'while-down'))
    assert set(hosts.values()) == {'cn1'}, hosts

    _start_compute(mn, 'cn2')
    _wait_compute_state(mn, 'cn2', 'up', timeout=60)
    time.sleep(3)  # older than pending_claim_seconds: a fresh snapshot
    # cn2 now carries fewer guests than cn1: the RAM weigher prefers it.
    hosts = _hosts(mn, _boot(mn, 2, 'back-up'))
    assert 'cn2' in hosts.values(), hosts
    # Guests it had before it stopped are still there and ACTIVE.
    resp = mn.api('GET', '/servers/detail?host=cn2')
    assert resp.status_code == 200, resp.text
    statuses = {s['id']: s['status'] for s in resp.json()['servers']}
    assert len(statuses) > len([h for h in hosts.values() if h == 'cn2'])
    assert set(statuses.values()) == {'ACTIVE'}, statuses
