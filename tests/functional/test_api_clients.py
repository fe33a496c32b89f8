"""Nova's own clients against a running novalite: the ``openstack`` CLI,
openstacksdk and python-novaclient, unchanged.

The cloud runs the whole control plane, one fake-driver compute and an
image imported with ``novalite-manage image import``; auth is noauth2.

The CLI runs as a subprocess (the venv's ``openstack``) with the
``clouds.yaml`` README's "Using the API" documents, written by
:func:`write_clouds_yaml`: the ``novalite-noauth2`` auth plugin
(keystoneauth's token/endpoint plugin that also knows the token's project,
which ``quota show`` reads), ``compute_endpoint_override`` for the compute
API and ``image_endpoint_override`` for the read-only Glance v2 API
novalite-api serves at ``/image`` (``--image <name>`` and the image names
of ``server list`` are looked up there). The plugin's own endpoint ends in
``/identity/v3`` so that the CLI, which builds an identity client for every
command taking ``--project`` / ``--user``, infers its version without
calling it; nothing answers there, and these commands never need it.

The SDK and novaclient go through keystoneauth's plain ``admin_token``
plugin.
"""

import json
import os
import subprocess

import pytest

from tests.functional.cloud import bin_dir
from tests.functional.cloud import wait_for
from tests.functional.conftest import CloudFactory
from tests.functional.conftest import start_control_plane
from tests.functional.test_api_rest import import_image
from tests.functional.test_api_rest import start_api

# clouds.yaml entries: name -> noauth2 token (user:project).
USERS = {'admin': 'admin:admin', 'alice': 'alice:projA', 'bob': 'bob:projB',
         'rita': 'rita:projA'}


def write_clouds_yaml(path, api_url):
    """The clouds.yaml of README's "Using the API", one cloud per user."""
    lines = ['clouds:']
    for name, token in sorted(USERS.items()):
        lines += [
            '  %s:' % name,
            '    auth_type: novalite-noauth2',
            '    auth:',
            '      endpoint: %s/identity/v3' % api_url,
            '      token: "%s"' % token,
            '    compute_endpoint_override: %s/v2.1' % api_url,
            '    image_endpoint_override: %s/image' % api_url,
        ]
    with open(path, 'w') as fh:
        fh.write('\n'.join(lines) + '\n')


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
        c.clouds_yaml = str(tmp_path_factory.mktemp('osc') / 'clouds.yaml')
        write_clouds_yaml(c.clouds_yaml, c.api_url)
        _wait_schedulable(c)
        yield c
    finally:
        factory.cleanup()


def _wait_schedulable(cloud, timeout=90):
    """Until the scheduler knows cn1: a probe server reaches ACTIVE."""
    conn = sdk(cloud)
    probe_flavor = conn.compute.create_flavor(name='probe', ram=64, vcpus=1,
                                              disk=0, id='probe')

    def probe():
        server = conn.compute.create_server(
            name='probe', flavor_id=probe_flavor.id,
            image_id=cloud.image_id, networks=[])
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=60)
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=60)
        return True

    def attempt():
        try:
            return probe()
        except Exception:  # ERROR while the scheduler has no host yet
            for server in conn.compute.servers(name='probe'):
                conn.compute.delete_server(server)
            return False
    wait_for(attempt, timeout, interval=2, message='a schedulable compute')
    conn.compute.delete_flavor(probe_flavor)


def osc(cloud, *args, user='admin', check=True):
    """Run the venv's ``openstack`` as ``user`` (a clouds.yaml entry).

    :returns: the parsed output with ``-f json``, else the CompletedProcess.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update({'OS_CLIENT_CONFIG_FILE': cloud.clouds_yaml,
                'OS_CLOUD': user})
    proc = subprocess.run([os.path.join(bin_dir(), 'openstack')] +
                          list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=180,
                          env=env)
    if check and proc.returncode != 0:
        raise AssertionError('openstack %s failed (%d): %s%s' % (
            ' '.join(args), proc.returncode, proc.stdout, proc.stderr))
    if '-f' in args and args[args.index('-f') + 1] == 'json' and \
            proc.returncode == 0:
        return json.loads(proc.stdout or 'null')
    return proc


def sdk(cloud, token='admin:admin'):
    import openstack
    return openstack.connect(
        auth_type='admin_token',
        auth={'token': token, 'endpoint': cloud.api_url + '/v2.1'},
        compute_endpoint_override=cloud.api_url + '/v2.1')


def nova(cloud, token='admin:admin', version='2.11'):
    from keystoneauth1 import session
    from keystoneauth1.token_endpoint import Token
    from novaclient import client
    auth = Token(cloud.api_url + '/v2.1', token)
    return client.Client(version, session=session.Session(auth=auth))


@pytest.fixture(scope='module')
def flavor(cloud):
    made = osc(cloud, 'flavor', 'create', '--ram', '128', '--vcpus', '1',
               '--disk', '1', '--id', '42', 'f.small', '-f', 'json')
    assert (made['id'], made['name'], made['ram']) == ('42', 'f.small', 128)
    return made


def test_osc_flavors(cloud, flavor):
    listed = osc(cloud, 'flavor', 'list', '-f', 'json')
    assert 'f.small' in [f['Name'] for f in listed]
    shown = osc(cloud, 'flavor', 'show', '42', '-f', 'json')
    assert (shown['ram'], shown['vcpus'], shown['disk']) == (128, 1, 1)
    assert osc(cloud, 'flavor', 'show', 'f.small', '-f', 'json')['id'] == \
        '42'
    made = osc(cloud, 'flavor', 'create', '--ram', '64', '--vcpus', '2',
               '--disk', '0', 'gone', '-f', 'json')
    assert made['vcpus'] == 2
    denied = osc(cloud, 'flavor', 'create', '--ram', '64', '--vcpus', '1',
                 'mine', user='alice', check=False)
    assert denied.returncode != 0 and '403' in denied.stderr
    osc(cloud, 'flavor', 'delete', 'gone')
    assert 'gone' not in [f['Name'] for f in
                          osc(cloud, 'flavor', 'list', '-f', 'json')]


def _openssh_public_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()


def test_osc_keypairs(cloud, tmp_path):
    private = tmp_path / 'k1.pem'
    made = osc(cloud, 'keypair', 'create', '--private-key', str(private),
               'k1', '-f', 'json', user='alice')
    assert made['name'] == 'k1' and made['fingerprint']
    assert private.read_text().startswith('-----BEGIN OPENSSH PRIVATE KEY')
    public = tmp_path / 'k2.pub'
    public.write_text(_openssh_public_key() + ' k2@novalite\n')
    imported = osc(cloud, 'keypair', 'create', '--public-key', str(public),
                   'k2', '-f', 'json', user='alice')
    assert imported['name'] == 'k2'
    listed = osc(cloud, 'keypair', 'list', '-f', 'json', user='alice')
    assert sorted(k['Name'] for k in listed) == ['k1', 'k2']
    assert osc(cloud, 'keypair', 'list', '-f', 'json', user='bob') == []
    shown = osc(cloud, 'keypair', 'show', 'k2', '-f', 'json', user='alice')
    assert shown['fingerprint'] == imported['fingerprint']
    osc(cloud, 'keypair', 'delete', 'k1', 'k2', user='alice')
    assert osc(cloud, 'keypair', 'list', '-f', 'json', user='alice') == []


def test_osc_services_hypervisors_limits_quota(cloud):
    services = osc(cloud, 'compute', 'service', 'list', '-f', 'json')
    rows = {(s['Binary'], s['Host']): s for s in services}
    assert rows[('novalite-compute', 'cn1')]['State'] == 'up'
    assert rows[('novalite-compute', 'cn1')]['Zone'] == 'nova'
    assert rows[('novalite-conductor', 'conductor')]['Zone'] == 'internal'
    hypervisors = osc(cloud, 'hypervisor', 'list', '-f', 'json')
    assert [h['Hypervisor Hostname'] for h in hypervisors] == ['cn1']
    shown = osc(cloud, 'hypervisor', 'show', 'cn1', '-f', 'json')
    assert shown['hypervisor_hostname'] == 'cn1'
    assert shown['hypervisor_type'] == 'fake'
    limits = osc(cloud, 'limits', 'show', '--absolute', '-f', 'json',
                 user='alice')
    names = {row['Name']: row['Value'] for row in limits}
    assert (names['instances'], names['instances_used']) == (10, 0)
    assert names['total_ram'] == 51200
    quota = osc(cloud, 'quota', 'show', '-f', 'json', user='alice')
    limits = {row['Resource']: row['Limit'] for row in quota}
    assert (limits['instances'], limits['cores'], limits['ram']) == (
        10, 20, 51200)
    assert limits['key-pairs'] == 100
    denied = osc(cloud, 'compute', 'service', 'list', user='alice',
                 check=False)
    assert denied.returncode != 0 and '403' in denied.stderr


def _status(cloud, sid, user):
    return osc(cloud, 'server', 'show', sid, '-f', 'json',
               user=user)['status']


def test_osc_server_lifecycle(cloud, flavor):
    made = osc(cloud, 'server', 'create', '--image', 'tiny', '--flavor',
               'f.small', '--wait', 'osc-vm', '-f', 'json', user='alice')
    sid = made['id']
    assert made['status'] == 'ACTIVE'
    assert made['image'] == 'tiny (%s)' % cloud.image_id
    by_id = osc(cloud, 'server', 'create', '--image', cloud.image_id,
                '--flavor', '42', '--wait', 'osc-vm2', '-f', 'json',
                user='alice')
    assert by_id['status'] == 'ACTIVE'
    listed = osc(cloud, 'server', 'list', '-f', 'json', user='alice')
    rows = {s['Name']: s for s in listed}
    assert set(rows) == {'osc-vm', 'osc-vm2'}
    assert rows['osc-vm']['Image'] == 'tiny'
    assert rows['osc-vm']['Flavor'] == 'f.small'
    assert rows['osc-vm']['Status'] == 'ACTIVE'
    assert list(rows['osc-vm']['Networks']) == ['novalite']
    # another project sees neither the server nor its list entry
    assert osc(cloud, 'server', 'list', '-f', 'json', user='bob') == []
    assert osc(cloud, 'server', 'show', sid, user='bob',
               check=False).returncode != 0
    shown = osc(cloud, 'server', 'show', sid, '-f', 'json', user='alice')
    assert shown['name'] == 'osc-vm' and shown['flavor'] == 'f.small (42)'
    for action, status in (('stop', 'SHUTOFF'), ('start', 'ACTIVE'),
                           ('pause', 'PAUSED'), ('unpause', 'ACTIVE'),
                           ('suspend', 'SUSPENDED'), ('resume', 'ACTIVE'),
                           ('reboot', 'ACTIVE')):
        osc(cloud, 'server', action, sid, user='alice')
        wait_for(lambda: _status(cloud, sid, 'alice') == status, 60,
                 interval=0.5, message='%s -> %s' % (action, status))
    # a wrong state is Nova's 409
    conflict = osc(cloud, 'server', 'unpause', sid, user='alice',
                   check=False)
    assert conflict.returncode != 0 and '409' in conflict.stderr
    osc(cloud, 'server', 'lock', sid, user='alice')
    assert osc(cloud, 'server', 'show', sid, '-f', 'json',
               user='alice')['locked'] is True
    osc(cloud, 'server', 'unlock', sid, user='alice')
    url = osc(cloud, 'console', 'url', 'show', '--novnc', sid, '-f', 'json',
              user='alice')
    assert url['type'] == 'novnc'
    assert url['url'].startswith(cloud.novncproxy_base_url +
                                 '?path=%3Ftoken%3D')
    events = osc(cloud, 'server', 'event', 'list', sid, '-f', 'json',
                 user='alice')
    actions = [e['Action'] for e in events]
    for expected in ('create', 'stop', 'start', 'pause', 'unpause',
                     'suspend', 'resume', 'reboot', 'lock', 'unlock'):
        assert expected in actions
    assert {e['Server ID'] for e in events} == {sid}
    assert osc(cloud, 'server', 'delete', sid, user='bob',
               check=False).returncode != 0
    osc(cloud, 'server', 'delete', '--wait', sid, by_id['id'],
        user='alice')
    assert osc(cloud, 'server', 'list', '-f', 'json', user='alice') == []


def test_osc_project_scope(cloud, flavor):
    """Another user of projA sees alice's server; bob (projB) cannot act
    on it."""
    made = osc(cloud, 'server', 'create', '--image', 'tiny', '--flavor',
               '42', '--wait', 'r-vm', '-f', 'json', user='alice')
    try:
        listed = osc(cloud, 'server', 'list', '-f', 'json', user='rita')
        assert [s['ID'] for s in listed] == [made['id']]
        denied = osc(cloud, 'server', 'stop', made['id'], user='bob',
                     check=False)
        assert denied.returncode != 0
    finally:
        osc(cloud, 'server', 'delete', '--wait', made['id'], user='alice')


def test_sdk_keypairs(cloud):
    mine = sdk(cloud, token='u1:p1')
    made = mine.compute.create_keypair(name='k1')
    assert made.private_key.startswith('-----BEGIN RSA PRIVATE KEY-----')
    assert [k.name for k in mine.compute.keypairs()] == ['k1']
    assert list(sdk(cloud, token='u2:p2').compute.keypairs()) == []
    mine.compute.delete_keypair('k1')
    assert list(mine.compute.keypairs()) == []


def test_sdk_server_lifecycle(cloud, flavor):
    conn = sdk(cloud, token='alice:projA')
    server = conn.compute.create_server(
        name='sdk-vm', flavor_id='42', image_id=cloud.image_id,
        networks=[])
    server = conn.compute.wait_for_server(server, status='ACTIVE',
                                          wait=120)
    assert server.status == 'ACTIVE'
    conn.compute.stop_server(server)
    conn.compute.wait_for_server(server, status='SHUTOFF', wait=60)
    conn.compute.start_server(server)
    conn.compute.wait_for_server(server, status='ACTIVE', wait=60)
    other = sdk(cloud, token='bob:projB')
    assert other.compute.find_server(server.id) is None
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=60)


def test_novaclient(cloud, flavor):
    client = nova(cloud, token='carol:projC')
    assert '42' in [f.id for f in client.flavors.list()]
    keypair = client.keypairs.create('nk')
    assert keypair.private_key
    server = client.servers.create('nc-vm', cloud.image_id, '42')
    wait_for(lambda: client.servers.get(server.id).status == 'ACTIVE', 120,
             interval=0.5, message='ACTIVE')
    client.servers.pause(server)
    wait_for(lambda: client.servers.get(server.id).status == 'PAUSED', 60,
             interval=0.5, message='PAUSED')
    client.servers.unpause(server)
    wait_for(lambda: client.servers.get(server.id).status == 'ACTIVE', 60,
             interval=0.5, message='ACTIVE again')
    assert [s.id for s in client.servers.list()] == [server.id]
    admin = nova(cloud)
    assert [s.binary for s in admin.services.list(host='cn1')] == [
        'novalite-compute']
    assert admin.hypervisors.list()[0].hypervisor_hostname == 'cn1'
    client.servers.delete(server)
    client.keypairs.delete('nk')
