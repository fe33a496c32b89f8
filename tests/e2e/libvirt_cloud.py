"""A novalite cloud whose compute drives the real libvirtd, for the libvirt
e2e tests and ``tools/bench_libvirt.py``.

:class:`LibvirtCloud` starts conductor, a compute with
``compute_driver = libvirt.LibvirtDriver`` (``virt_type = qemu``), scheduler,
consoleauth, novncproxy and novalite-api as real processes on a fresh vhost and
database (:class:`tests.functional.cloud.Cloud`), imports the tiny guest
with ``tools/import-guest-image.sh`` and creates a flavor. Everything on
the host it owns carries its tag: domains ``nle2e-<tag>-%08x``, the
libvirt network ``nle2e-<tag>`` on bridge ``nle<tag>`` with a free
10.x.y.0/24, the metadata DNAT rule of that bridge and the instances
directory (0755, so QEMU running as libvirt-qemu can read it).
:meth:`cleanup` removes exactly those; a run that died before its
clean-up is swept by the next one (:func:`sweep_dead_runs`, by the owner
PID recorded in the instances directory).

Also here: reading a guest's serial console from its pty (typing a command
and waiting for its output) and small REST helpers.
"""

import glob
import json
import os
import random
import re
import select
import shutil
import subprocess
import tempfile
import time
import tty
import uuid
import xml.etree.ElementTree as ET

import requests

from tests.e2e import libvirt_helpers as lh
from tests.functional import cloud as cloud_mod
from tests.functional import console_helpers as ch

URI = lh.URI
FLAVOR_RAM_MB = 96
OWNER = 'owner.json'


def _used_prefixes():
    out = subprocess.run(['ip', '-o', '-4', 'addr', 'show'],
                         capture_output=True, text=True).stdout
    return {m.group(1) for m in re.finditer(r'inet (\d+\.\d+\.\d+)\.', out)}


def free_subnet():
    """A 10.x.y.0/24 no interface of this host is on."""
    used = _used_prefixes()
    for _ in range(100):
        prefix = '10.%d.%d' % (random.randrange(100, 250),
                               random.randrange(1, 255))
        if prefix not in used:
            return prefix + '.0/24'
    raise RuntimeError('no free 10.x.y.0/24 found')


class Api:
    """Minimal osapi_compute client (noauth2 tokens)."""

    def __init__(self, base, token='admin:admin', version='2.11'):
        self.base = base + '/v2.1'
        self.headers = {'X-Auth-Token': token,
                        'OpenStack-API-Version': 'compute %s' % version}

    def __call__(self, method, path, body=None, expect=None):
        resp = requests.request(method, self.base + path, json=body,
                                headers=self.headers, timeout=60)
        if expect is not None and resp.status_code != expect:
            raise AssertionError('%s %s -> %d (wanted %d): %s' % (
                method, path, resp.status_code, expect, resp.text[:2000]))
        return resp

    def server(self, server_id):
        resp = self('GET', '/servers/%s' % server_id)
        return resp.json()['server'] if resp.status_code == 200 else None

    def wait_status(self, server_id, status, timeout=120, task_done=True):
        def check():
            server = self.server(server_id)
            if server is None:
                return None
            if server['status'] == 'ERROR' and status != 'ERROR':
                raise AssertionError('server %s went to ERROR: %s' % (
                    server_id, server.get('fault')))
            if server['status'] != status:
                return None
            if task_done and server.get('OS-EXT-STS:task_state'):
                return None
            return server
        return cloud_mod.wait_for(check, timeout, interval=0.25,
                                  message='server %s %s' % (server_id,
                                                            status))

    def wait_gone(self, server_id, timeout=60):
        return cloud_mod.wait_for(
            lambda: self('GET', '/servers/%s' % server_id).status_code
            == 404, timeout, interval=0.25,
            message='server %s deleted' % server_id)

    def action(self, server_id, body, expect=202):
        return self('POST', '/servers/%s/action' % server_id, body,
                    expect=expect)

    def console_output(self, server_id):
        resp = self.action(server_id, {'os-getConsoleOutput': {}},
                           expect=200)
        return resp.json()['output']

    def wait_banners(self, server_id, count, timeout=90):
        """Wait until the console output holds ``count`` banners; returns
        the last one (a ``BANNER_RE`` match)."""
        def check():
            found = list(lh.BANNER_RE.finditer(
                self.console_output(server_id)))
            return found[count - 1] if len(found) >= count else None
        return cloud_mod.wait_for(check, timeout, interval=0.5,
                                  message='%d banner(s) of %s'
                                  % (count, server_id))


class LibvirtCloud:
    """See the module docstring. ``start()`` then use, ``cleanup()``
    always."""

    def __init__(self, extra_conf=None):
        self.tag = uuid.uuid4().hex[:6]
        self.network_name = 'nle2e-' + self.tag
        self.bridge = 'nle' + self.tag
        self.domain_prefix = 'nle2e-%s-' % self.tag
        self.cidr = free_subnet()
        self.prefix = self.cidr.rsplit('.', 1)[0] + '.'
        self.gateway = self.prefix + '1'
        sweep_dead_runs()
        self.instances_path = tempfile.mkdtemp(prefix='nl-lv-e2e-%s-'
                                               % self.tag)
        os.chmod(self.instances_path, 0o755)
        # who owns what on the host, for sweep_dead_runs() should this
        # process die before cleanup()
        with open(os.path.join(self.instances_path, OWNER), 'w') as f:
            json.dump(self._owner_record(), f)
        self.cloud = None
        self.extra_conf = extra_conf or {}
        self.images = {}
        self.flavor_id = None

    def _conf(self):
        return cloud_mod._merge({
            'DEFAULT': {
                'compute_driver': 'libvirt.LibvirtDriver',
                'instances_path': self.instances_path,
                # lifecycle events, not the periodic sync, must notice a
                # guest that powers itself off
                'sync_power_state_interval': -1,
                'update_resources_interval': 5,
                'report_interval': 2,
                'shutdown_timeout': 30,
                'metadata_listen': self.gateway,
            },
            'libvirt': {'virt_type': 'qemu',
                        'domain_name_template':
                            self.domain_prefix + '%08x'},
            'network': {'network_name': self.network_name,
                        'bridge': self.bridge,
                        'fixed_range': self.cidr},
            'scheduler': {'host_state_refresh_seconds': 1},
        }, self.extra_conf)

    def start(self):
        self.cloud = cloud_mod.Cloud(conf_overrides=self._conf())
        c = self.cloud
        c.sync_db()
        c.start('conductor', wait=True, timeout=60)
        # The compute creates the bridge the metadata API listens on.
        self.compute = c.start('compute', host='lvcn1', wait=True,
                               timeout=90)
        c.start('scheduler')
        c.start('consoleauth')
        c.start('novncproxy', extra_conf={'vnc': {'web': ch.install_novnc()}})
        self.api_daemon = c.start('api', extra_conf={'DEFAULT': {
            'osapi_compute_workers': 1, 'metadata_workers': 1}})
        for binary in ('scheduler', 'consoleauth'):
            c.wait_for_service(binary=binary, host=binary, timeout=60)
        c.wait_for_port(c.ports['osapi_compute'], daemon=self.api_daemon,
                        timeout=60)
        self.api = Api(c.api_url)
        self._import_images()
        resp = self.api('POST', '/flavors', {'flavor': {
            'name': 'lv.tiny-' + self.tag, 'ram': FLAVOR_RAM_MB,
            'vcpus': 1, 'disk': 1}}, expect=200)
        self.flavor_id = resp.json()['flavor']['id']
        self._wait_schedulable()
        return self

    def _import_images(self):
        proc = subprocess.run(
            [os.path.join(lh.REPO_ROOT, 'tools', 'import-guest-image.sh'),
             '--config-file', self.cloud.conf_path,
             '--config-file', self.cloud.manage_conf_path,
             '--min-ram', '72', lh.GUEST_IMAGE_DIR],
            capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError('import-guest-image.sh failed: %s'
                                 % proc.stderr[-2000:])
        self.images = dict(line.split('=', 1)
                           for line in proc.stdout.split())

    def _wait_schedulable(self):
        def check():
            resp = self.api('GET', '/os-hypervisors/detail')
            return any(h.get('memory_mb', 0) > 0 for h in
                       resp.json().get('hypervisors', []))
        cloud_mod.wait_for(check, 60, interval=0.5,
                           message='the libvirt compute in os-hypervisors')

    # -- servers --------------------------------------------------------------

    def boot(self, name, image='ami_id'):
        resp = self.api('POST', '/servers', {'server': {
            'name': name, 'flavorRef': self.flavor_id,
            'imageRef': self.images[image]}}, expect=202)
        return resp.json()['server']['id']

    @staticmethod
    def fixed_ip(server):
        for addrs in server['addresses'].values():
            for addr in addrs:
                if addr.get('OS-EXT-IPS:type', 'fixed') == 'fixed':
                    return addr['addr'], addr.get('OS-EXT-IPS-MAC:mac_addr')
        return None, None

    # -- the host side --------------------------------------------------------

    def virsh(self, *args, check=True):
        proc = subprocess.run(['virsh', '-c', URI] + list(args),
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError('virsh %s: %s' % (' '.join(args),
                                                   proc.stderr))
        return proc.stdout

    def domain_exists(self, server_id):
        return subprocess.run(['virsh', '-c', URI, 'dominfo', server_id],
                              capture_output=True).returncode == 0

    def domain_name(self, server_id):
        """The libvirt name of the server's domain (via its uuid)."""
        return self.virsh('domname', server_id).strip()

    def domstate(self, server_id):
        return self.virsh('domstate', server_id).strip()

    def dumpxml(self, server_id):
        return ET.fromstring(self.virsh('dumpxml', server_id))

    def dhcp_hosts(self):
        root = ET.fromstring(self.virsh('net-dumpxml', self.network_name))
        return [dict(h.attrib) for h in root.iterfind('./ip/dhcp/host')]

    def dhcp_leases(self):
        """{ip: mac} of the leases dnsmasq holds on our bridge (libvirt's
        lease helper keeps them in a JSON status file)."""
        path = '/var/lib/libvirt/dnsmasq/%s.status' % self.bridge
        try:
            with open(path) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return {}
        return {lease['ip-address']: lease['mac-address']
                for lease in (json.loads(text) if text else [])}

    def our_domains(self):
        names = self.virsh('list', '--all', '--name').split()
        return [n for n in names if n.startswith(self.domain_prefix)]

    def cleanup(self):
        """Stop the daemons, then remove every domain, the network, the
        DHCP/iptables state and the directories this cloud made."""
        errors = []
        if self.cloud is not None:
            try:
                self.cloud.cleanup()
            except Exception as exc:
                errors.append('cloud: %s' % exc)
        try:
            remove_host_state(self._owner_record())
        except Exception as exc:
            errors.append('host state: %s' % exc)
        if errors:
            raise RuntimeError('; '.join(errors))

    def _owner_record(self):
        return {'pid': os.getpid(), 'tag': self.tag,
                'domain_prefix': self.domain_prefix,
                'network_name': self.network_name, 'bridge': self.bridge,
                'instances_path': self.instances_path}


def _virsh(*args):
    return subprocess.run(['virsh', '-c', URI] + list(args),
                          capture_output=True, text=True,
                          timeout=120).stdout


def remove_host_state(record):
    """Remove the domains, network, metadata rule and instances directory
    named in an owner record (this cloud's, or a dead run's)."""
    for name in _virsh('list', '--all', '--name').split():
        if name.startswith(record['domain_prefix']):
            _virsh('destroy', name)
            _virsh('undefine', name, '--managed-save')
    if record['network_name'] in _virsh('net-list', '--all',
                                        '--name').split():
        _virsh('net-destroy', record['network_name'])
        _virsh('net-undefine', record['network_name'])
    from novalite.network import linux_net
    linux_net.remove_metadata_redirect(record['bridge'])
    shutil.rmtree(record['instances_path'], ignore_errors=True)


def sweep_dead_runs(log=print):
    """Remove the host state of libvirt clouds whose test process died
    (killed before its clean-up ran); clouds of live runs are left alone.
    The daemons, database and vhost go with the harness's own sweeper."""
    swept = []
    pattern = os.path.join(tempfile.gettempdir(), 'nl-lv-e2e-*', OWNER)
    for path in glob.glob(pattern):
        try:
            with open(path) as f:
                record = json.load(f)
        except (OSError, ValueError):
            continue
        if cloud_mod._alive(record.get('pid') or 0):
            continue
        remove_host_state(record)
        swept.append(record['tag'])
        log('swept libvirt leftovers of dead test run %s' % record['tag'])
    if swept:
        cloud_mod.sweep_leftovers(log=log)
    return swept


# -- the serial console's pty -------------------------------------------------


def serial_pty(xml_root):
    for serial in xml_root.iterfind('./devices/serial'):
        source = serial.find('source')
        if serial.get('type') == 'pty' and source is not None:
            return source.get('path')
    return None


def type_on_console(pty_path, command, until, timeout=30):
    """Type ``command`` on the guest's serial console and read the pty
    until the regex ``until`` matches what the guest printed.

    :returns: the text read (the match is in it).
    :raises: AssertionError on timeout.
    """
    pattern = re.compile(until)
    fd = os.open(pty_path, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        # QEMU notices a reader on its pty within a second; before that it
        # reads nothing from it.
        time.sleep(1.5)
        os.write(fd, b'\n' + command.encode() + b'\n')
        text = ''
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                text += os.read(fd, 65536).decode('utf-8', 'replace')
                if pattern.search(text):
                    return text
        raise AssertionError('no %r on the console within %d s after %r; '
                             'read:\n%s' % (until, timeout, command,
                                            text[-2000:]))
    finally:
        os.close(fd)
