"""README's command 1: ``tools/stack.sh`` brings a cloud up, a browser sees
the demo server's screen, a second run duplicates nothing and restarts a
dead daemon, ``tools/unstack.sh --purge`` leaves nothing behind.

The stack is private: its own config path, state and log directory,
MariaDB database and user, RabbitMQ vhost and user, ports, libvirt network,
bridge, subnet and domain names, all with a fresh suffix, so it runs beside
a developer's ``/etc/novalite`` stack and other test runs. The one guest is
the tiny TCG guest (m1.nano, 96 MiB). A run killed before its clean-up is
unstacked by the next one (by the owner PID in its work directory).
"""

import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

from tests.e2e import libvirt_cloud
from tests.e2e import libvirt_helpers as lh
from tests.e2e.test_novnc_browser import (  # noqa: F401 (page: a fixture)
    ARTIFACTS, CHROMIUM, _retry_on_network_change, _wait_for_ink, page)
from tests.functional import cloud as cloud_mod

STACK = os.path.join(lh.REPO_ROOT, 'tools', 'stack.sh')
UNSTACK = os.path.join(lh.REPO_ROOT, 'tools', 'unstack.sh')
WORKDIR_PREFIX = 'nlstack-e2e-'
DEFAULT_FLAVORS = {'m1.tiny', 'm1.small', 'm1.medium', 'm1.large',
                   'm1.xlarge', 'm1.nano'}
PASS_ENV = ('NOVALITE_SKIP_APT', 'NOVALITE_STACK_DEBUG')
RPC_DAEMONS = ('conductor', 'compute', 'scheduler', 'consoleauth')


def _missing():
    if os.geteuid() != 0:
        return ('tools/stack.sh needs root (packages, MariaDB and RabbitMQ '
                'users, libvirt domains)')
    if not os.path.exists(CHROMIUM):
        return '%s is not installed: run tools/install-browser.sh' % CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return 'playwright is not installed: run tools/install-browser.sh'
    return None


pytestmark = [pytest.mark.libvirt, pytest.mark.browser,
              pytest.mark.skipif(_missing() is not None,
                                 reason=_missing() or '')]


def _run(cmd, env, timeout):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    proc.seconds = time.monotonic() - start
    print('$ %s  (%.1fs, exit %d)\n%s%s' % (
        ' '.join(os.path.basename(c) for c in cmd), proc.seconds,
        proc.returncode, proc.stdout, proc.stderr))
    return proc


def _unstack(workdir, env=None):
    env = env or dict(os.environ,
                      NOVALITE_STATE_DIR=os.path.join(workdir, 'state'))
    return _run([UNSTACK, '--purge'], env, timeout=300)


def sweep_dead_stacks():
    """Unstack what a killed run of this test left (its owner is gone)."""
    pattern = os.path.join(tempfile.gettempdir(), WORKDIR_PREFIX + '*',
                           'owner.json')
    for path in glob.glob(pattern):
        try:
            with open(path) as f:
                pid = json.load(f)['pid']
        except (OSError, ValueError, KeyError):
            continue
        if not cloud_mod._alive(pid):
            workdir = os.path.dirname(path)
            _unstack(workdir)
            shutil.rmtree(workdir, ignore_errors=True)


class PrivateStack:
    """The environment of one private stack and what it printed."""

    def __init__(self):
        self.suffix = uuid.uuid4().hex[:6]
        self.workdir = tempfile.mkdtemp(prefix=WORKDIR_PREFIX + self.suffix
                                        + '-')
        with open(os.path.join(self.workdir, 'owner.json'), 'w') as f:
            json.dump({'pid': os.getpid()}, f)
        os.chmod(self.workdir, 0o755)   # QEMU reads the instances below
        self.name = 'nlstack_' + self.suffix
        self.state_dir = os.path.join(self.workdir, 'state')
        self.log_dir = os.path.join(self.state_dir, 'logs')
        self.run_dir = os.path.join(self.state_dir, 'run')
        self.conf = os.path.join(self.workdir, 'etc', 'novalite.conf')
        self.db_conf = os.path.join(self.workdir, 'etc', 'novalite-db.conf')
        self.api_port = cloud_mod.free_port()
        self.network = 'nlstack-' + self.suffix
        self.host = 'nlstack-' + self.suffix
        self.domain_prefix = 'nlstack-%s-' % self.suffix
        self.cidr = libvirt_cloud.free_subnet()
        # nothing of a developer's own stack settings leaks in
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith('NOVALITE_') or k in PASS_ENV}
        self.env = dict(
            inherited,
            NOVALITE_CONF=self.conf,
            NOVALITE_STATE_DIR=self.state_dir,
            NOVALITE_LOG_DIR=self.log_dir,
            NOVALITE_DB_NAME=self.name, NOVALITE_DB_USER=self.name,
            NOVALITE_RABBIT_VHOST=self.name,
            NOVALITE_RABBIT_USER=self.name,
            NOVALITE_API_PORT=str(self.api_port),
            NOVALITE_METADATA_PORT=str(cloud_mod.free_port()),
            NOVALITE_NOVNC_PORT=str(cloud_mod.free_port()),
            NOVALITE_HOST=self.host,
            NOVALITE_NETWORK_NAME=self.network,
            NOVALITE_BRIDGE='nls' + self.suffix,
            NOVALITE_FIXED_RANGE=self.cidr,
            NOVALITE_DOMAIN_PREFIX=self.domain_prefix,
            NOVALITE_GUEST_IMAGE_DIR=lh.GUEST_IMAGE_DIR,
            NOVALITE_SYSTEMD='0')
        self.api = libvirt_cloud.Api('http://127.0.0.1:%d' % self.api_port)

    def stack(self):
        proc = _run([STACK], self.env, timeout=900)
        assert proc.returncode == 0, 'stack.sh failed:\n%s%s%s' % (
            proc.stdout[-4000:], proc.stderr[-4000:], self.logs())
        printed = dict(re.findall(r'^stack: (demo server|status|ip|console|'
                                  r'elapsed):\s+(.*)$', proc.stdout, re.M))
        printed['seconds'] = proc.seconds
        return printed

    def pids(self):
        """{daemon: pid} from the supervisor's PID files."""
        pids = {}
        for path in glob.glob(os.path.join(self.run_dir, '*.pid')):
            name = os.path.basename(path)[:-len('.pid')]
            with open(path) as f:
                pids[name] = int(f.read().strip())
        return pids

    def services(self):
        proc = subprocess.run(
            [os.path.join(cloud_mod.bin_dir(), 'novalite-manage'),
             '--config-file', self.conf, '--config-file', self.db_conf,
             'service', 'list'], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return cloud_mod.parse_table(proc.stdout)

    def servers(self):
        return self.api('GET', '/servers/detail', expect=200).json()[
            'servers']

    def flavors(self):
        return self.api('GET', '/flavors/detail?is_public=None',
                        expect=200).json()['flavors']

    def images(self):
        return self.api('GET', '/images', expect=200).json()['images']

    def logs(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.log_dir, '*.log'))):
            with open(path, errors='replace') as f:
                out.append('---- %s ----\n%s' % (path, f.read()[-3000:]))
        return '\n'.join(out)

    def our_processes(self):
        """PIDs of processes whose command line names this stack's files."""
        found = []
        for proc_dir in glob.glob('/proc/[0-9]*'):
            try:
                with open(os.path.join(proc_dir, 'cmdline'), 'rb') as f:
                    cmdline = f.read().decode('utf-8', 'replace')
            except OSError:
                continue
            if self.workdir in cmdline:
                found.append(int(os.path.basename(proc_dir)))
        return found


@pytest.fixture
def stack():
    lh.prepare_host()      # libvirt + the guest image; skips when it cannot
    sweep_dead_stacks()
    private = PrivateStack()
    try:
        yield private
    finally:
        # idempotent: after the test's own unstack this finds nothing
        _unstack(private.workdir, private.env)
        shutil.rmtree(private.workdir, ignore_errors=True)


def _console_shows_guest(page, url, shot):
    from playwright.sync_api import expect

    def connect():
        page.goto(url)
        expect(page.locator('#status')).to_have_text('Connected',
                                                     timeout=30000)
        return _wait_for_ink(page, timeout=60)
    ink = _retry_on_network_change(page, connect)
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, shot))
    assert ink > 100, 'the console canvas stayed blank'
    assert 'QEMU' in page.locator('#name').inner_text()


def test_stack_console_rerun_unstack(stack, page):
    # -- first run: a cloud and an ACTIVE demo server with an IP ----------
    first = stack.stack()
    print('stack.sh, first run: %.1fs' % first['seconds'])
    assert first['status'] == 'ACTIVE'
    server_id = re.search(r'\(([0-9a-f-]{36})\)', first['demo server'])[1]
    prefix = stack.cidr.rsplit('.', 1)[0] + '.'
    assert first['ip'].startswith(prefix), first['ip']
    assert first['console'].startswith(
        'http://127.0.0.1:%s/vnc_auto.html?path=%%3Ftoken%%3D'
        % stack.env['NOVALITE_NOVNC_PORT'])

    servers = stack.servers()
    assert [(s['id'], s['name'], s['status']) for s in servers] == [
        (server_id, 'demo', 'ACTIVE')]
    assert libvirt_cloud.LibvirtCloud.fixed_ip(servers[0])[0] == first['ip']
    assert {f['name'] for f in stack.flavors()} == DEFAULT_FLAVORS
    services = {(s['binary'], s['host']): s['state']
                for s in stack.services()}
    for daemon in RPC_DAEMONS:
        assert services[('novalite-' + daemon, stack.host)] == 'up'
    domain = subprocess.run(['virsh', '-c', lh.URI, 'domname', server_id],
                            capture_output=True, text=True).stdout.strip()
    assert domain.startswith(stack.domain_prefix)
    with open(stack.conf) as f:
        conf = f.read()
    assert 'compute_driver = libvirt.LibvirtDriver' in conf
    assert not re.search(r'^connection\s*=', conf, re.M), \
        'database credentials belong in novalite-db.conf only'

    # -- the printed console URL shows the guest's screen in Chromium -----
    _console_shows_guest(page, first['console'], 'stack-console.png')
    # and the guest really booted: its banner with the IP the API shows
    banner = stack.api.wait_banners(server_id, 1, timeout=180)
    assert banner['ip'] == first['ip']

    # -- second run: nothing duplicated, a dead daemon started again ------
    flavors = len(stack.flavors())
    images = sorted(i['id'] for i in stack.images())
    pids = stack.pids()
    assert set(pids) >= {'%s%s' % (d, s) for d in RPC_DAEMONS +
                         ('api', 'novncproxy')
                         for s in ('', '.supervisor')}
    # the scheduler and its supervisor die (the supervisor leads its session)
    os.killpg(pids['scheduler.supervisor'], 9)
    cloud_mod.wait_for(lambda: not cloud_mod._alive(pids['scheduler']), 10,
                       message='the scheduler gone')
    second = stack.stack()
    print('stack.sh, second run: %.1fs' % second['seconds'])
    assert second['status'] == 'ACTIVE'
    assert second['demo server'] == first['demo server']
    assert second['ip'] == first['ip']
    assert [s['id'] for s in stack.servers()] == [server_id]
    assert len(stack.flavors()) == flavors
    assert sorted(i['id'] for i in stack.images()) == images
    after = stack.pids()
    assert after['scheduler'] != pids['scheduler']
    assert cloud_mod._alive(after['scheduler'])
    for name in ('conductor', 'compute', 'api', 'novncproxy',
                 'consoleauth'):
        assert after[name] == pids[name], '%s was restarted' % name

    # -- unstack --purge: nothing of the stack is left --------------------
    proc = _unstack(stack.workdir, stack.env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print('unstack.sh --purge: %.1fs' % proc.seconds)
    assert stack.our_processes() == []
    for pid in after.values():
        assert not cloud_mod._alive(pid)
    virsh = subprocess.run(['virsh', '-c', lh.URI, 'dominfo', server_id],
                           capture_output=True, text=True)
    assert virsh.returncode != 0, 'domain %s still defined' % server_id
    nets = subprocess.run(['virsh', '-c', lh.URI, 'net-list', '--all',
                           '--name'], capture_output=True,
                          text=True).stdout.split()
    assert stack.network not in nets
    with contextlib.closing(cloud_mod.mysql_admin()) as conn, \
            conn.cursor() as cur:
        cur.execute('SHOW DATABASES LIKE %s', (stack.name,))
        assert cur.fetchall() == ()
        cur.execute('SELECT user FROM mysql.user WHERE user = %s',
                    (stack.name,))
        assert cur.fetchall() == ()
    vhosts = cloud_mod.rabbitmqctl('-q', 'list_vhosts').stdout.split()
    assert stack.name not in vhosts
    users = [line.split()[0] for line in cloud_mod.rabbitmqctl(
        '-q', 'list_users').stdout.splitlines() if line.strip()]
    assert stack.name not in users
    assert not os.path.exists(stack.conf)
    assert not os.path.exists(stack.db_conf)
    assert not os.path.exists(stack.state_dir)
    with pytest.raises(requests.ConnectionError):
        requests.get('http://127.0.0.1:%d/' % stack.api_port, timeout=5)
