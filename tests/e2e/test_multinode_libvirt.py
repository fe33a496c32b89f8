"""A real tiny guest on a libvirt compute node that lives in its own network
namespace, its console opened through the controller's proxy.

The lab (:class:`~tests.functional.cloud.NetLab`) as in
``tests/functional/test_multinode.py``: namespace ``controller`` holds the
lab bridge (``<subnet>.1``), a private RabbitMQ node, novalite-conductor,
-scheduler, -consoleauth, -novncproxy and -api; namespace ``cn1``
(``<subnet>.11``) runs novalite-compute with ``libvirt.LibvirtDriver``
(``virt_type = qemu``), ``host = cn1`` and ``my_ip`` its lab address. The
host-side veth of the lab (``<subnet>.254``) is how the test process
reaches the controller.

libvirtd, QEMU and the flat network's bridge and dnsmasq stay in the
host's network namespace: the compute in ``cn1`` drives libvirtd through
its unix socket (the filesystem is shared), so the guest's NIC, its DHCP
and its VNC server are all on the host side. ``[vnc] server_listen`` and
``server_proxyclient_address`` are therefore the lab's host-side address
``<subnet>.254``: QEMU can bind it (it is the host's) and the controller's
novncproxy reaches it over the lab bridge, as a controller reaches a
compute node's management address.

The host state (libvirt network, domains, instances directory) is named
and swept as :class:`tests.e2e.libvirt_cloud.LibvirtCloud` does; the lab,
the RabbitMQ node, the database and the daemons go with the functional
harness (also for a run that died). One guest, booted once.

Not tested here: **metadata**. The compute adds its DNAT rule for
169.254.169.254 through its privileged helper, which runs in the
compute's namespace (``cn1``), while the guest's packets enter the host's
namespace on the libvirt bridge: the rule never sees them (and the
metadata API listens in ``controller``, not on the bridge's gateway the
guest falls back to). So ``[network] metadata_redirect`` is off and the
guest's banner says ``metadata=none``; the same goes for the DHCP lease
release on delete (``dhcp_release`` runs in ``cn1``, where the bridge does
not exist), which is why the freed lease is not checked either.
"""

import os
import re
import shutil
import time

import pytest

from tests.e2e import libvirt_cloud as lc
from tests.e2e import libvirt_helpers as lh
from tests.e2e import test_novnc_browser as nb
from tests.e2e.test_libvirt_driver import _save_logs
from tests.e2e.test_novnc_browser import page  # noqa: F401 (fixture)
from tests.functional import boot_client as bc
from tests.functional import cloud as cloud_mod
from tests.functional import console_helpers as ch

NODES = ('controller', 'cn1')
COMPUTE = 'cn1'
BANNER_TIMEOUT = 150      # create -> banner; TCG on 2 shared cores


def _skip_reason():
    if os.geteuid() != 0:
        return 'network namespaces and system libvirt domains need root'
    for tool in ('ip', 'rabbitmq-server', 'rabbitmqctl', 'virsh'):
        if shutil.which(tool) is None:
            return '%s is not installed' % tool
    if not os.path.exists(cloud_mod.MYSQL_SOCKET):
        return ('the conductor reaches MariaDB from its namespace through '
                'the unix socket %s, which does not exist'
                % cloud_mod.MYSQL_SOCKET)
    return None


pytestmark = [pytest.mark.libvirt,
              pytest.mark.skipif(_skip_reason() is not None,
                                 reason=_skip_reason() or '')]


class LabLibvirtCloud(lc.LibvirtCloud):
    """A :class:`~tests.e2e.libvirt_cloud.LibvirtCloud` whose daemons are
    spread over a :class:`~tests.functional.cloud.NetLab` (see the module
    docstring). ``start()`` then use, ``cleanup()`` always."""

    def __init__(self):
        super().__init__()
        self.lab = self.rabbit = None

    def _conf(self):
        ctl = self.lab.address['controller']
        return cloud_mod._merge(super()._conf(), {
            # the API (and its metadata half) listen in the controller
            'DEFAULT': {'metadata_listen': ctl},
            'api': {'allow_noauth2_on_public_address': True},
        })

    def start(self):
        try:
            self.lab = cloud_mod.NetLab(NODES)
        except cloud_mod.HarnessError as exc:
            if 'netns add' in str(exc):
                pytest.skip('cannot create network namespaces here: %s'
                            % exc)
            raise
        lab = self.lab
        ctl_ns, ctl = lab.netns['controller'], lab.address['controller']
        self.rabbit = cloud_mod.RabbitNode(netns=ctl_ns, host=ctl)
        lab.adopt_dir(self.rabbit.basedir)
        self.rabbit.start()
        self.cloud = c = cloud_mod.Cloud(
            conf_overrides=self._conf(), rabbit=self.rabbit,
            listen_host=ctl, db_socket=cloud_mod.MYSQL_SOCKET)
        c.sync_db()
        c.start('conductor', netns=ctl_ns, wait=True, timeout=60)
        vnc = lab.host_address
        self.compute = c.start(
            'compute', host=COMPUTE, netns=lab.netns[COMPUTE], wait=True,
            timeout=90, extra_conf={
                'DEFAULT': {'my_ip': lab.address[COMPUTE]},
                'vnc': {'server_listen': vnc,
                        'server_proxyclient_address': vnc},
                'network': {'metadata_redirect': False}})
        c.start('scheduler', netns=ctl_ns)
        c.start('consoleauth', netns=ctl_ns)
        proxy = c.start('novncproxy', netns=ctl_ns,
                        extra_conf={'vnc': {'web': ch.install_novnc()}})
        for binary in ('scheduler', 'consoleauth'):
            c.wait_for_service(binary=binary, host=binary, timeout=60)
        self.api_daemon = bc.start_api(c, 60, netns=ctl_ns)
        c.wait_for_port(c.ports['novncproxy'], daemon=proxy, timeout=60)
        self.api = lc.Api(c.api_url)
        self._import_images()
        resp = self.api('POST', '/flavors', {'flavor': {
            'name': 'lv.tiny-' + self.tag, 'ram': lc.FLAVOR_RAM_MB,
            'vcpus': 1, 'disk': 1}}, expect=200)
        self.flavor_id = resp.json()['flavor']['id']
        self._wait_schedulable()
        return self

    def cleanup(self):
        """The daemons, database and host state (LibvirtCloud's), then the
        RabbitMQ node and the lab."""
        errors = []
        for step in (super().cleanup,
                     lambda: self.rabbit and self.rabbit.cleanup(),
                     lambda: self.lab and self.lab.cleanup()):
            try:
                step()
            except Exception as exc:  # clean up the rest anyway
                errors.append(str(exc))
        if errors:
            raise cloud_mod.HarnessError('; '.join(errors))


@pytest.fixture(scope='module')
def mlv(request):
    lh.prepare_host()
    env = LabLibvirtCloud()
    failed_before = request.session.testsfailed
    try:
        started = time.monotonic()
        env.start()
        booted = time.monotonic()
        env.server_id = env.boot('mlv-guest')
        env.api.wait_status(env.server_id, 'ACTIVE', timeout=BANNER_TIMEOUT)
        print('\nlab and daemons up in %.1f s; POST /servers -> ACTIVE in '
              '%.1f s' % (booted - started, time.monotonic() - booted))
        yield env
    finally:
        if env.cloud is not None and (
                request.session.testsfailed > failed_before or
                not hasattr(env, 'server_id')):
            _save_logs(env)
        env.cleanup()


def test_guest_on_namespaced_compute_boots_and_shows_banner(mlv):
    """The guest booted through the API on cn1 prints its banner (name
    and fixed IP by DHCP from the host-side bridge) on its serial console,
    read back through the API."""
    server = mlv.api.server(mlv.server_id)
    assert server['OS-EXT-SRV-ATTR:host'] == COMPUTE
    assert server['OS-EXT-STS:power_state'] == 1
    ip, _mac = mlv.fixed_ip(server)
    assert ip and ip.startswith(mlv.prefix), server['addresses']
    banner = mlv.api.wait_banners(mlv.server_id, 1, timeout=BANNER_TIMEOUT)
    assert banner.group('hostname') == 'mlv-guest'
    assert banner.group('ip') == ip
    assert banner.group('gw') == mlv.gateway
    assert mlv.domstate(mlv.server_id) == 'running'
    # QEMU's VNC server is on the lab's host-side address
    graphics = mlv.dumpxml(mlv.server_id).find("./devices/graphics")
    assert graphics.get('listen') == mlv.lab.host_address
    # the hypervisor carries the compute's own address
    hyps = mlv.api('GET', '/os-hypervisors/detail',
                   expect=200).json()['hypervisors']
    assert [(h['hypervisor_hostname'], h.get('host_ip')) for h in hyps] == \
        [(COMPUTE, mlv.lab.address[COMPUTE])]


@pytest.mark.browser
@pytest.mark.skipif(nb._missing() is not None, reason=nb._missing() or '')
def test_console_through_controller_proxy_shows_guest_in_chromium(mlv,
                                                                  page):
    """The API's console URL names the controller's proxy; opened in
    headless Chromium it shows the guest's own screen, relayed from QEMU's
    VNC server on the lab's host-side address."""
    from playwright.sync_api import expect

    mlv.api.wait_banners(mlv.server_id, 1, timeout=BANNER_TIMEOUT)
    resp = mlv.api('POST', '/servers/%s/remote-consoles' % mlv.server_id,
                   {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}},
                   expect=200)
    url = resp.json()['remote_console']['url']
    # the controller's proxy, in the controller's namespace
    assert url.startswith(mlv.cloud.novncproxy_base_url +
                          '?path=%3Ftoken%3D'), url
    port = int(mlv.dumpxml(mlv.server_id).find(
        "./devices/graphics").get('port'))
    rows = mlv.cloud.sql('SELECT host, port FROM console_auth_tokens '
                         'WHERE instance_uuid = %s', (mlv.server_id,))
    assert {'host': mlv.lab.host_address, 'port': port} in rows, rows

    def connect():
        page.goto(url)
        expect(page.locator('#status')).to_have_text('Connected',
                                                     timeout=30000)
        # the guest's text console, not noVNC's empty black canvas
        assert nb._wait_for_ink(page) > 100
    nb._retry_on_network_change(page, connect)
    # the VNC server's desktop name is this very domain's
    expect(page.locator('#name')).to_contain_text(
        mlv.domain_name(mlv.server_id))
    os.makedirs(nb.ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(nb.ARTIFACTS,
                                      'novnc-multinode-libvirt-guest.png'))


def test_delete_removes_the_domain_and_its_directory(mlv):
    """Deleting the server removes its domain, instance directory and
    DHCP host entry; no daemon logged an unexpected traceback."""
    server_id = mlv.server_id
    _ip, mac = mlv.fixed_ip(mlv.api.server(server_id))
    mlv.api('DELETE', '/servers/%s' % server_id, expect=204)
    mlv.api.wait_gone(server_id)
    assert not mlv.domain_exists(server_id)
    assert mlv.our_domains() == []
    assert not os.path.exists(os.path.join(mlv.instances_path, server_id))
    assert mac not in [h.get('mac') for h in mlv.dhcp_hosts()]
    for daemon in mlv.cloud.daemons:
        log = _without_dhcp_release_debug(daemon.log())
        assert not ch.unexpected_tracebacks(log), \
            '%r:\n%s' % (daemon, log[-6000:])


def _without_dhcp_release_debug(log):
    """The log less the DEBUG records (each with its continuation lines)
    about ``dhcp_release``: the privileged helper logs its expected failure
    here (see the module docstring) with a traceback that
    :func:`~tests.functional.console_helpers.unexpected_tracebacks` cannot
    tell from an error's."""
    records = re.split(r'\n(?=\d{4}-\d\d-\d\d \d\d:)', log)
    return '\n'.join(r for r in records if not (
        re.match(r'\S+ \S+ \d+ DEBUG ', r) and 'dhcp_release' in r))
