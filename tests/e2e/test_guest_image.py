"""The tiny guest boots on the real libvirtd under QEMU and reports itself.

``tools/install-libvirt.sh`` and ``tools/build-guest-image.sh`` prepare the
host (both idempotent). Each test defines a transient ``<domain
type='qemu'>`` (TCG, 16 MiB translation-block cache, 96 MiB RAM, serial
console to a file) on a transient libvirt NAT network made for this module
(unique name, bridge and subnet, DHCP host entries for the test MACs), and
waits for the banner in the serial log. A small metadata server on the
network's gateway answers the first guest only, so one banner shows the
metadata hostname and the other the DHCP one. Figures (create -> banner,
QEMU RSS) are printed and saved in ``test-artifacts/guest-image.json``.
"""

import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from novalite import context as nl_context
from novalite.image import api as image_api
from novalite.image import cache as image_cache
from novalite.image import file as file_backend
from tests.e2e import libvirt_helpers as lh

pytestmark = pytest.mark.libvirt

MEMORY_MIB = 96
BANNER_TIMEOUT = 90


class _Metadata(http.server.BaseHTTPRequestHandler):
    """meta_data.json for the guest IPs in ``server.hostnames``."""

    def do_GET(self):
        self.server.requests.append((self.client_address[0], self.path))
        name = self.server.hostnames.get(self.client_address[0])
        if name is None or self.path != '/openstack/latest/meta_data.json':
            self.send_error(404)
            return
        body = json.dumps({'uuid': str(uuid.uuid4()), 'name': name,
                           'hostname': name + '.novalocal'}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def env():
    virt_type, image_dir = lh.prepare_host()
    import libvirt
    conn = libvirt.open(lh.URI)
    lh.sweep_stale(conn)
    tag = lh.owned_name('nltest')       # nltest-<pid>-<hex>
    macs = [lh.random_mac(), lh.random_mac()]
    network, gateway, prefix = lh.create_nat_network(
        conn, tag, 'nlt' + tag.rsplit('-', 1)[1],
        [(macs[0], 'dhcp-one', 42), (macs[1], 'dhcp-two', 43)])
    workdir = lh.workdir('nl-guest-e2e')
    server = None
    try:
        try:
            server = http.server.ThreadingHTTPServer((gateway, 8775),
                                                     _Metadata)
        except OSError:
            # 8775 taken host-wide (a running novalite-api): any port, and
            # the guest is told with novalite.metadata_url=
            server = http.server.ThreadingHTTPServer((gateway, 0),
                                                     _Metadata)
        server.requests = []
        server.hostnames = {prefix + '42': 'meta-' + tag.rsplit('-', 1)[1]}
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield {'conn': conn, 'tag': tag, 'macs': macs, 'prefix': prefix,
               'gateway': gateway, 'network': network.name(),
               'workdir': workdir, 'image_dir': image_dir,
               'virt_type': virt_type, 'metadata': server}
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        network.destroy()
        conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _save_figures(name, figures):
    path = os.path.join(lh.REPO_ROOT, 'test-artifacts', 'guest-image.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data[name] = figures
    with open(path, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
    print('\n%s: %s' % (name, figures))


def _boot(env, name, xml, serial_log):
    """Create the transient domain and wait for its banner.

    :returns: (domain, banner match, seconds create -> banner)
    """
    start = time.monotonic()
    dom = env['conn'].createXML(xml, 0)
    try:
        banner, waited = lh.wait_for_banner(serial_log, BANNER_TIMEOUT)
        elapsed = time.monotonic() - start
        if banner is None:
            with open(serial_log, 'rb') as f:
                tail = f.read()[-2000:].decode('utf-8', 'replace')
            pytest.fail('no banner from %s within %d s; serial log tail:\n%s'
                        % (name, BANNER_TIMEOUT, tail))
    except BaseException:
        _destroy(env, name)
        raise
    return dom, banner, elapsed


def _wait_gone(env, name, timeout):
    """True once the (transient) domain no longer exists."""
    import libvirt
    deadline = time.monotonic() + timeout
    while True:
        try:
            env['conn'].lookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return True
            raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _destroy(env, name):
    if not _wait_gone(env, name, 0):
        env['conn'].lookupByName(name).destroy()


def _import_guest(env):
    """tools/import-guest-image.sh into a private images_path.

    :returns: (image API over that path, {'kernel_id': ..., 'ami_id': ...})
    """
    state = os.path.join(env['workdir'], 'state')
    os.makedirs(state)
    conf_file = os.path.join(env['workdir'], 'novalite.conf')
    with open(conf_file, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\n' % state)
    proc = subprocess.run(
        [os.path.join(lh.REPO_ROOT, 'tools', 'import-guest-image.sh'),
         '--config-file', conf_file, env['image_dir']],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    ids = dict(line.split('=', 1) for line in proc.stdout.split())
    backend = file_backend.FileBackend(os.path.join(state, 'images'))
    return image_api.API(backend), ids


def test_ami_boots_through_image_service_and_cache(env):
    """AKI + ARI + AMI the way Nova boots them: imported with
    novalite-manage, fetched into a base-image cache, the machine image as
    vda (a qcow2 overlay on the cached base), kernel and initramfs given to
    QEMU from the cache."""
    name = env['tag'] + '-ami'
    api, ids = _import_guest(env)
    ctxt = nl_context.get_admin_context()
    ami = api.get(ctxt, ids['ami_id'])
    assert ami['disk_format'] == 'ami'
    assert ami['properties']['kernel_id'] == ids['kernel_id']
    assert ami['properties']['ramdisk_id'] == ids['ramdisk_id']
    instances = os.path.join(env['workdir'], 'instances')
    os.makedirs(instances, mode=0o755)
    cache = image_cache.ImageCache(api, os.path.join(instances, '_base'))
    kernel = cache.fetch(ctxt, ami['properties']['kernel_id'])
    initrd = cache.fetch(ctxt, ami['properties']['ramdisk_id'])
    base = cache.fetch(ctxt, ami['id'], ami)
    inst_dir = os.path.join(instances, str(uuid.uuid4()))
    os.makedirs(inst_dir, mode=0o755)
    disk = os.path.join(inst_dir, 'disk')
    image_cache.create_overlay(base, disk, 1, ami['disk_format'])
    serial_log = os.path.join(inst_dir, 'console.log')
    port = env['metadata'].server_address[1]
    extra = '' if port == 8775 else (
        'novalite.metadata_url=http://%s:%d/openstack/latest/meta_data.json'
        % (env['gateway'], port))
    xml = lh.tiny_domain_xml(name, serial_log, disk, env['macs'][0],
                             env['network'], kernel, initrd, MEMORY_MIB,
                             extra)
    dom, banner, elapsed = _boot(env, name, xml, serial_log)
    try:
        assert banner.group('ip') == env['prefix'] + '42'
        assert banner.group('gw') == env['gateway']
        assert banner.group('metadata') == 'ok'
        assert banner.group('hostname') == 'meta-' + env['tag'].rsplit(
            '-', 1)[1]
        assert (env['prefix'] + '42', '/openstack/latest/meta_data.json') \
            in env['metadata'].requests
        rss = lh.rss_mib(lh.qemu_pid(name))
        # cache cleanup keeps what the host says it uses, and the base the
        # guest's disk names as its backing file, even at age 0
        parts = [ids['kernel_id'], ids['ramdisk_id']]
        assert cache.cleanup(in_use_ids=parts, min_age=0) == []
        assert sorted(cache.cleanup(min_age=0)) == sorted(parts)
        assert os.path.exists(base)
        _save_figures('direct_kernel_boot', {
            'create_to_banner_s': round(elapsed, 2),
            'qemu_rss_mib_at_banner': round(rss, 1),
            'memory_mib': MEMORY_MIB, 'virt_type_of_host': env['virt_type']})
        # ACPI power button (virsh shutdown) powers the guest off cleanly
        dom.shutdown()
        assert _wait_gone(env, name, 30), 'guest ignored ACPI shutdown'
        with open(serial_log, 'rb') as f:
            assert b'novalite tiny guest: shutting down' in f.read()
    finally:
        _destroy(env, name)


def test_qcow2_disk_image_boots_from_its_own_boot_loader(env):
    """The plain disk image: BIOS -> syslinux -> kernel, no kernel given to
    QEMU; the DHCP host name stands when metadata has nothing for it; a
    soft reboot boots it again."""
    name = env['tag'] + '-disk'
    disk = os.path.join(env['workdir'], 'disk.qcow2')
    image_cache.create_overlay(os.path.join(env['image_dir'], 'disk.qcow2'),
                               disk, 1, 'qcow2')
    serial_log = os.path.join(env['workdir'], 'disk-console.log')
    xml = lh.tiny_domain_xml(name, serial_log, disk, env['macs'][1],
                             env['network'], memory_mib=MEMORY_MIB)
    dom, banner, elapsed = _boot(env, name, xml, serial_log)
    try:
        assert banner.group('ip') == env['prefix'] + '43'
        assert banner.group('hostname') == 'dhcp-two'
        assert banner.group('metadata') == 'none'
        rss = lh.rss_mib(lh.qemu_pid(name))
        _save_figures('disk_boot', {
            'create_to_banner_s': round(elapsed, 2),
            'qemu_rss_mib_at_banner': round(rss, 1),
            'memory_mib': MEMORY_MIB})
        info = image_cache.qemu_img_info(disk)
        assert info['backing-filename'] == os.path.join(env['image_dir'],
                                                        'disk.qcow2')
        # soft reboot (libvirt: ACPI power button, then QEMU resets instead
        # of exiting): the guest boots again and prints a second banner
        dom.reboot(0)
        again, _ = lh.wait_for_banner(serial_log, BANNER_TIMEOUT, after=1)
        assert again is not None, 'no banner after soft reboot'
        assert again.group('ip') == env['prefix'] + '43'
        assert dom.isActive()
    finally:
        _destroy(env, name)
