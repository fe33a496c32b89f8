"""The libvirt driver end to end: real daemons, real libvirtd, real QEMU.

One cloud for the module (:class:`tests.e2e.libvirt_cloud.LibvirtCloud`):
conductor, scheduler, consoleauth, novalite-api and a compute with
``libvirt.LibvirtDriver`` under ``virt_type = qemu`` (TCG), its own libvirt
network, DHCP and metadata redirect. ``sync_power_state_interval = -1``:
only libvirt's lifecycle events can tell the compute that a guest powered
itself off. Two tiny guests (AMI: direct kernel boot) are booted through
the REST API once and reused; every state is checked against the real
domain (``virsh``), not only the API.
"""

import os
import re
import socket
import time

import pytest

from tests.e2e import libvirt_cloud as lc
from tests.e2e import libvirt_helpers as lh
from tests.e2e import test_novnc_browser as nb
from tests.e2e.test_novnc_browser import page  # noqa: F401 (fixture)

pytestmark = pytest.mark.libvirt

BANNER_TIMEOUT = 150      # create -> banner; TCG on 2 shared cores


@pytest.fixture(scope='module')
def lv(request):
    virt_type, _image_dir = lh.prepare_host()
    env = lc.LibvirtCloud()
    failed_before = request.session.testsfailed
    try:
        env.start()
        env.virt_type_of_host = virt_type
        env.guests = {}
        for name in ('lv-a', 'lv-b'):
            env.guests[name] = env.boot(name)
        for server_id in env.guests.values():
            env.api.wait_status(server_id, 'ACTIVE', timeout=BANNER_TIMEOUT)
        yield env
    finally:
        if env.cloud is not None and (
                request.session.testsfailed > failed_before or
                not hasattr(env, 'guests')):
            _save_logs(env)
        env.cleanup()


def _save_logs(env):
    """The daemons' logs survive the cloud's clean-up when a test failed."""
    path = os.path.join(lh.REPO_ROOT, 'test-artifacts',
                        'libvirt-e2e-%s.log' % env.tag)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(env.cloud.dump_logs(tail=200000))
    print('\nnovalite logs saved in %s' % path)


def _server(lv, name):
    return lv.api.server(lv.guests[name])


def _pid(lv, server_id):
    return lh.qemu_pid(lv.domain_name(server_id))


def test_boot_shows_banner_with_hostname_and_fixed_ip(lv):
    for name, server_id in lv.guests.items():
        server = lv.api.server(server_id)
        ip, mac = lv.fixed_ip(server)
        assert ip and ip.startswith(lv.prefix), server['addresses']
        banner = lv.api.wait_banners(server_id, 1, timeout=BANNER_TIMEOUT)
        assert banner.group('hostname') == name
        assert banner.group('ip') == ip
        assert banner.group('gw') == lv.gateway
        # the guest's init reached novalite's metadata API
        assert banner.group('metadata') == 'ok'
        assert lv.domstate(server_id) == 'running'
        assert server['OS-EXT-STS:power_state'] == 1
        # the DHCP host entry that gave the guest its address
        assert {'mac': mac, 'ip': ip, 'name': name} in lv.dhcp_hosts()


def test_domain_xml_is_the_config_models(lv):
    server_id = lv.guests['lv-a']
    server = lv.api.server(server_id)
    ip, mac = lv.fixed_ip(server)
    root = lv.dumpxml(server_id)
    assert root.get('type') == 'qemu'
    name = root.findtext('name')
    assert re.fullmatch(re.escape(lv.domain_prefix) + '[0-9a-f]{8}', name)
    assert root.findtext('uuid') == server_id
    assert root.find('memory').text == str(lc.FLAVOR_RAM_MB * 1024)
    assert root.findtext('vcpu') == '1'
    tb_cache = root.find('./features/tcg/tb-cache')   # libvirt says KiB
    assert (tb_cache.get('unit'), tb_cache.text) == ('KiB', '16384')
    inst_dir = os.path.join(lv.instances_path, server_id)
    base = os.path.join(lv.instances_path, '_base')
    # AMI: the cached kernel and ramdisk, booted directly
    assert root.findtext('./os/kernel') == os.path.join(
        base, lv.images['kernel_id'])
    assert root.findtext('./os/initrd') == os.path.join(
        base, lv.images['ramdisk_id'])
    assert 'console=ttyS0' in root.findtext('./os/cmdline')
    disk = root.find("./devices/disk[@device='disk']")
    assert disk.find('source').get('file') == os.path.join(inst_dir, 'disk')
    assert disk.find('driver').get('type') == 'qcow2'
    backing = disk.find('./backingStore/source')
    assert backing.get('file') == os.path.join(base, lv.images['ami_id'])
    nic = root.find("./devices/interface[@type='network']")
    assert nic.find('source').get('network') == lv.network_name
    assert nic.find('mac').get('address') == mac
    log = root.find("./devices/serial[@type='pty']/log")
    assert log.get('file') == os.path.join(inst_dir, 'console.log')
    graphics = root.find("./devices/graphics[@type='vnc']")
    assert graphics.get('listen') == '127.0.0.1'
    assert graphics.get('autoport') == 'yes'
    meta = root.find('./metadata/{%s}instance' % (
        'https://novalite.dev/xmlns/libvirt/instance/1.0'))
    assert meta.findtext('{*}host') == 'lvcn1'
    assert ip in lv.api.console_output(server_id)


def test_guests_ping_each_other(lv):
    """Typed on guest B's serial console; the answer read back through the
    API's console output."""
    ip_a, _ = lv.fixed_ip(_server(lv, 'lv-a'))
    b = lv.guests['lv-b']
    lv.api.wait_banners(b, 1, timeout=BANNER_TIMEOUT)
    pty = lc.serial_pty(lv.dumpxml(b))
    out = lc.type_on_console(pty, 'ping -c 3 -W 5 %s; echo ping-rc=$?' % ip_a,
                             r'ping-rc=\d', timeout=40)
    assert 'ping-rc=0' in out, out
    assert re.search(r'3 packets transmitted, 3 packets received', out), out
    text = lv.api.console_output(b)
    assert 'ping-rc=0' in text
    assert '64 bytes from %s' % ip_a in text


def test_metadata_address_is_redirected_to_the_metadata_api(lv):
    """169.254.169.254:80 from a guest lands on novalite's metadata API
    (the HTTP status line comes back; only the DNAT rule can route it)."""
    from novalite.network import linux_net
    b = lv.guests['lv-b']
    # the guests' init already tried the address at boot
    assert linux_net.metadata_redirect_packets(lv.bridge) > 0
    pty = lc.serial_pty(lv.dumpxml(b))
    out = lc.type_on_console(
        pty, 'timeout 5 wget -S -O /dev/null '
             'http://169.254.169.254/openstack 2>&1 | grep -m1 HTTP/; '
             'echo md-end-$((40+2))', r'md-end-42', timeout=30)
    assert re.search(r'HTTP/1\.[01] \d{3}', out), out


def test_vnc_console_port_comes_from_the_live_domain(lv):
    a = lv.guests['lv-a']
    resp = lv.api('POST', '/servers/%s/remote-consoles' % a,
                  {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}},
                  expect=200)
    url = resp.json()['remote_console']['url']
    token = url.rsplit('token%3D', 1)[1]
    port = int(lv.dumpxml(a).find("./devices/graphics").get('port'))
    # consoleauth got the port the compute read from the live domain
    rows = lv.cloud.sql('SELECT port, host FROM console_auth_tokens WHERE '
                        'instance_uuid = %s', (a,))
    assert (port, '127.0.0.1') in [(r['port'], r['host']) for r in rows]
    assert token
    with socket.create_connection(('127.0.0.1', port), 5) as sock:
        assert sock.recv(12).startswith(b'RFB ')


def test_power_actions_change_the_real_domain(lv):
    a = lv.guests['lv-a']
    api = lv.api
    api.wait_banners(a, 1, timeout=BANNER_TIMEOUT)

    def banners():
        return len(lh.BANNER_RE.findall(api.console_output(a)))

    api.action(a, {'os-stop': None})
    server = api.wait_status(a, 'SHUTOFF', timeout=60)
    assert server['OS-EXT-STS:power_state'] == 4
    assert lv.domstate(a) == 'shut off'
    # the guest went down cleanly (ACPI), not by the plug
    assert 'novalite tiny guest: shutting down' in api.console_output(a)

    seen = banners()
    api.action(a, {'os-start': None})
    api.wait_status(a, 'ACTIVE', timeout=60)
    assert lv.domstate(a) == 'running'
    api.wait_banners(a, seen + 1, timeout=BANNER_TIMEOUT)

    pid = _pid(lv, a)
    api.action(a, {'reboot': {'type': 'SOFT'}})
    api.wait_status(a, 'ACTIVE', timeout=180)
    assert lv.domstate(a) == 'running'
    api.wait_banners(a, seen + 2, timeout=BANNER_TIMEOUT)
    assert _pid(lv, a) != pid        # shut down and started again

    pid = _pid(lv, a)
    api.action(a, {'reboot': {'type': 'HARD'}})
    api.wait_status(a, 'ACTIVE', timeout=60)
    assert lv.domstate(a) == 'running'
    api.wait_banners(a, seen + 3, timeout=BANNER_TIMEOUT)
    assert _pid(lv, a) != pid

    # Its persistent definition lost behind novalite's back (the running
    # domain turns transient and would vanish when stopped): a hard
    # reboot writes the definition again from the instance.
    lv.virsh('undefine', a)
    api.action(a, {'reboot': {'type': 'HARD'}})
    api.wait_status(a, 'ACTIVE', timeout=60)
    assert lv.domstate(a) == 'running'
    assert re.search(r'Persistent:\s+yes', lv.virsh('dominfo', a))
    api.wait_banners(a, seen + 4, timeout=BANNER_TIMEOUT)

    api.action(a, {'pause': None})
    server = api.wait_status(a, 'PAUSED', timeout=60)
    assert server['OS-EXT-STS:power_state'] == 3
    assert lv.domstate(a) == 'paused'
    api.action(a, {'unpause': None})
    api.wait_status(a, 'ACTIVE', timeout=60)
    assert lv.domstate(a) == 'running'

    api.action(a, {'suspend': None})
    server = api.wait_status(a, 'SUSPENDED', timeout=120)
    assert server['OS-EXT-STS:power_state'] == 7
    assert lv.domstate(a) == 'shut off'
    assert re.search(r'Managed save:\s+yes', lv.virsh('dominfo', a))
    api.action(a, {'resume': None})
    api.wait_status(a, 'ACTIVE', timeout=120)
    assert lv.domstate(a) == 'running'
    assert re.search(r'Managed save:\s+no', lv.virsh('dominfo', a))
    # restored, not rebooted: no new banner, and the guest still answers
    assert banners() == seen + 4
    pty = lc.serial_pty(lv.dumpxml(a))
    out = lc.type_on_console(pty, 'echo alive-$((6*7))', r'alive-42',
                             timeout=30)
    assert 'alive-42' in out


@pytest.mark.browser
def test_cli_console_url_shows_the_guest_in_chromium(lv, page, tmp_path):
    """#6's user path on a real guest: ``openstack console url show
    --novnc`` for a libvirt domain, the URL opened in headless Chromium,
    the guest's own screen drawn by noVNC (saved as a test artifact)."""
    missing = nb._missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import expect

    from tests.functional.test_api_clients import osc, write_clouds_yaml

    server_id = lv.guests['lv-b']
    lv.cloud.clouds_yaml = str(tmp_path / 'clouds.yaml')
    write_clouds_yaml(lv.cloud.clouds_yaml, lv.cloud.api_url)
    shown = osc(lv.cloud, 'console', 'url', 'show', '--novnc', server_id,
                '-f', 'json')
    assert shown['type'] == 'novnc'
    assert shown['url'].startswith(lv.cloud.novncproxy_base_url +
                                   '?path=%3Ftoken%3D')

    def connect():
        page.goto(shown['url'])
        expect(page.locator('#status')).to_have_text('Connected',
                                                     timeout=30000)
        # the guest's text console, not noVNC's empty black canvas
        assert nb._wait_for_ink(page) > 100
    nb._retry_on_network_change(page, connect)
    # the VNC server's desktop name is this very domain's
    expect(page.locator('#name')).to_contain_text(lv.domain_name(server_id))
    os.makedirs(nb.ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(nb.ARTIFACTS,
                                      'novnc-libvirt-guest.png'))


def test_compute_restart_keeps_the_guest_manageable(lv):
    a = lv.guests['lv-a']
    api = lv.api
    api.wait_status(a, 'ACTIVE', timeout=60)
    pid = _pid(lv, a)
    lv.compute.restart()
    lv.cloud.wait_for_service(binary='compute', host='lvcn1', timeout=90)
    server = api.wait_status(a, 'ACTIVE', timeout=30)
    assert server['OS-EXT-STS:power_state'] == 1
    assert _pid(lv, a) == pid        # the same QEMU process: never touched
    api.action(a, {'pause': None})
    api.wait_status(a, 'PAUSED', timeout=60)
    assert lv.domstate(a) == 'paused'
    api.action(a, {'unpause': None})
    api.wait_status(a, 'ACTIVE', timeout=60)
    assert lv.domstate(a) == 'running'


def test_guest_powered_off_from_inside_is_shutoff_within_seconds(lv):
    """``poweroff`` typed on the console; no periodic sync runs here, so
    the libvirt lifecycle event is what the API shows."""
    b = lv.guests['lv-b']
    lv.api.wait_status(b, 'ACTIVE', timeout=60)
    pty = lc.serial_pty(lv.dumpxml(b))
    lc.type_on_console(pty, 'poweroff', r'shutting down', timeout=30)
    started = time.monotonic()
    server = lv.api.wait_status(b, 'SHUTOFF', timeout=20)
    elapsed = time.monotonic() - started
    assert lv.domstate(b) == 'shut off'
    assert server['OS-EXT-STS:power_state'] == 4
    print('\nguest poweroff -> SHUTOFF in the API: %.1f s' % elapsed)
    assert elapsed < 10


def test_hypervisor_resources_come_from_libvirt(lv):
    hyps = lv.api('GET', '/os-hypervisors/detail',
                  expect=200).json()['hypervisors']
    hyp = [h for h in hyps if h['hypervisor_hostname'] == 'lvcn1'][0]
    assert hyp['hypervisor_type'] == 'QEMU'
    assert hyp['vcpus'] == os.cpu_count()
    assert hyp['memory_mb'] > 1024
    assert hyp['local_gb'] > 0
    assert hyp['hypervisor_version'] > 1000000


def test_qcow2_image_boots_from_its_own_disk(lv):
    server_id = lv.boot('lv-disk', image='qcow2_id')
    try:
        lv.api.wait_status(server_id, 'ACTIVE', timeout=BANNER_TIMEOUT)
        banner = lv.api.wait_banners(server_id, 1, timeout=BANNER_TIMEOUT)
        ip, _ = lv.fixed_ip(lv.api.server(server_id))
        assert banner.group('ip') == ip
        assert banner.group('hostname') == 'lv-disk'
        root = lv.dumpxml(server_id)
        assert root.find('./os/kernel') is None
        assert root.find('./os/boot').get('dev') == 'hd'
    finally:
        lv.api('DELETE', '/servers/%s' % server_id)
        lv.api.wait_gone(server_id)


def test_delete_removes_domain_dir_dhcp_entry_and_frees_the_ip(lv):
    before = {}
    for name, server_id in lv.guests.items():
        before[server_id] = ip, mac = lv.fixed_ip(lv.api.server(server_id))
        assert lv.dhcp_leases().get(ip) == mac      # the guest took it
        lv.api('DELETE', '/servers/%s' % server_id, expect=204)
    for server_id, (ip, mac) in before.items():
        lv.api.wait_gone(server_id)
        assert not lv.domain_exists(server_id)
        assert not os.path.exists(os.path.join(lv.instances_path,
                                               server_id))
        assert mac not in [h.get('mac') for h in lv.dhcp_hosts()]
        # and its lease is released: dnsmasq would otherwise refuse the
        # address to the next guest given it (regression: reused IPs
        # booted with ip=none)
        assert ip not in lv.dhcp_leases()
        rows = lv.cloud.sql('SELECT allocated, instance_uuid FROM '
                            'fixed_ips WHERE address = %s', (ip,))
        assert rows == [{'allocated': 0, 'instance_uuid': None}], rows
    assert lv.our_domains() == []
    # the cache keeps the base images; only instance directories went
    assert sorted(os.listdir(lv.instances_path)) == ['_base', lc.OWNER]


def test_compute_refuses_kvm_where_kvm_cannot_run_guests(lv):
    """``virt_type = kvm`` on a host whose /dev/kvm cannot boot a guest
    ends novalite-compute at start-up with one line naming the option."""
    if lv.virt_type_of_host == 'kvm':
        pytest.skip('KVM runs guests on this host (install-libvirt.sh '
                    'chose virt_type=kvm): nothing to refuse')
    daemon = lv.cloud.start('compute', host='lvcn-kvm', extra_conf={
        'libvirt': {'virt_type': 'kvm'}})
    assert daemon.wait(timeout=60) == 1
    log = daemon.log()
    assert re.search(r'cannot start: .*\[libvirt\] virt_type.*'
                     r'virt_type = qemu', log), log[-3000:]
    assert 'Traceback' not in log
