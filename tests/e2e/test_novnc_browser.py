"""The noVNC page in real headless Chromium shows a real guest screen.

Debian's chromium (tools/install-browser.sh) driven by Playwright for Python
with ``executable_path='/usr/bin/chromium'`` (no browser download), a fresh
``--user-data-dir`` per test. The VNC server is QEMU (TCG, SeaBIOS on the
std VGA); the tokens go through the real novalite-consoleauth and the page
and the RFB stream through the real novalite-novncproxy. Screenshots are
saved under ``test-artifacts/``.
"""

import os
import shutil
import time
import uuid

import pytest

from tests.functional import console_helpers as ch
from tests.functional.cloud import REPO_ROOT, Cloud
from tests.functional.conftest import cloud_factory  # noqa: F401 (fixture)

CHROMIUM = '/usr/bin/chromium'
NETWORK_CHANGED = 'ERR_NETWORK_CHANGED'
ARTIFACTS = os.path.join(REPO_ROOT, 'test-artifacts')
BROWSER_ARGS = ['--no-sandbox', '--disable-gpu',
                '--disable-background-networking']


def _missing():
    if not os.path.exists(CHROMIUM):
        return '%s is not installed: run tools/install-browser.sh' % CHROMIUM
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return 'playwright is not installed: run tools/install-browser.sh'
    return ch.qemu_missing_reason()


pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(_missing() is not None,
                                 reason=_missing() or '')]

# Pixels of the console canvas that differ from its top-left pixel (the
# background of SeaBIOS's text screen), or -1 when there is no canvas.
CANVAS_INK = '''() => {
    const canvas = document.querySelector('#screen canvas');
    if (!canvas || !canvas.width || !canvas.height) { return -1; }
    const data = canvas.getContext('2d')
        .getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== data[0] || data[i + 1] !== data[1] ||
                data[i + 2] !== data[2]) { ink++; }
    }
    return ink;
}'''


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    web = ch.install_novnc()
    cloud = Cloud(conf_overrides={
        'consoleauth': {'validate_console_port': False},
        'console': {'session_recheck_interval': 1},
        'vnc': {'web': web},
    })
    qemu = client = None
    try:
        cloud.sync_db()
        cloud.start('conductor', wait=True, timeout=60)
        cloud.start('consoleauth')
        cloud.proxy = cloud.start('novncproxy')
        cloud.wait_for_service(binary='consoleauth', host='consoleauth',
                               timeout=60)
        ch.wait_for_http(cloud.ports['novncproxy'])
        qemu = ch.QemuVNC(str(tmp_path_factory.mktemp('qemu'))).start()
        client = ch.ConsoleAuthClient(cloud.transport_url)
        cloud.qemu, cloud.client = qemu, client
        yield cloud
    finally:
        if client is not None:
            client.cleanup()
        if qemu is not None:
            qemu.stop()
        cloud.cleanup()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright
    profile = tmp_path / 'chromium-profile'
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            args=BROWSER_ARGS, viewport={'width': 1024, 'height': 640})
        page = context.new_page()
        page.network_changes = []

        def console(msg):
            print('browser console: %s %s' % (msg.type, msg.text))
            if NETWORK_CHANGED in msg.text:
                page.network_changes.append(msg.text)
        # Printed: shown with a failing test's captured output.
        page.on('console', console)
        page.on('pageerror', lambda exc: print('browser error: %s' % exc))
        try:
            yield page
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _retry_on_network_change(page, scenario, attempts=3):
    """Run ``scenario()``, again if it failed while Chromium dropped its
    connections because the host's network interfaces changed.

    Other tests on this machine create and remove bridges (libvirt NAT
    networks); Chromium then aborts every request and WebSocket in flight
    with ``ERR_NETWORK_CHANGED``. That is no fault of the console, and any
    other failure is raised at once.
    """
    for attempt in range(1, attempts + 1):
        seen = len(page.network_changes)
        try:
            return scenario()
        except AssertionError:
            if attempt == attempts or len(page.network_changes) == seen:
                raise
            print('retrying after %s' % page.network_changes[-1])


def _console_url(env, token):
    # The form of the URL the compute API hands out.
    return '%s?path=%%3Ftoken%%3D%s' % (env.novncproxy_base_url, token)


def _wait_for_ink(page, timeout=30):
    deadline = time.monotonic() + timeout
    ink = page.evaluate(CANVAS_INK)
    while ink <= 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        ink = page.evaluate(CANVAS_INK)
    return ink


def test_browser_shows_guest_screen(env, page):
    from playwright.sync_api import expect
    os.makedirs(ARTIFACTS, exist_ok=True)

    def empty_screen():
        # noVNC's empty screen: the page with a token nobody issued.
        page.goto(_console_url(env, 'not-a-token'))
        expect(page.locator('#status')).to_have_text(
            'Failed: Invalid or expired console token', timeout=20000)
        assert page.evaluate(CANVAS_INK) <= 0
        return page.screenshot(
            path=os.path.join(ARTIFACTS, 'novnc-empty.png'))
    empty = _retry_on_network_change(page, empty_screen)

    def guest_screen():
        token = env.client.authorize(env.qemu.port,
                                     access_url=env.novncproxy_base_url)
        page.goto(_console_url(env, token))
        expect(page.locator('#status')).to_have_text('Connected',
                                                     timeout=30000)
        return _wait_for_ink(page)
    ink = _retry_on_network_change(page, guest_screen)
    shot = page.screenshot(
        path=os.path.join(ARTIFACTS, 'novnc-guest-screen.png'))
    assert ink > 100, 'the console canvas stayed blank'
    assert shot != empty
    assert 'QEMU' in page.locator('#name').inner_text()


def test_browser_session_ends_when_token_revoked(env, page):
    from playwright.sync_api import expect

    def revoke():
        instance = str(uuid.uuid4())
        token = env.client.authorize(env.qemu.port, instance_uuid=instance)
        page.goto(_console_url(env, token))
        expect(page.locator('#status')).to_have_text('Connected',
                                                     timeout=30000)
        env.client.cast('delete_tokens_for_instance', instance_uuid=instance)
        expect(page.locator('#status')).to_have_text(
            'Disconnected: Console session revoked', timeout=15000)
        page.screenshot(path=os.path.join(ARTIFACTS, 'novnc-revoked.png'))
        # Reloading with the revoked token does not connect again.
        page.reload()
        expect(page.locator('#status')).to_have_text(
            'Failed: Invalid or expired console token', timeout=20000)
    _retry_on_network_change(page, revoke)


def test_openstack_console_url_opens_in_browser(cloud_factory, page,
                                                tmp_path):
    """The user's path: boot through the API, ``openstack console url show
    --novnc``, open the URL in Chromium, see the screen; delete the server
    and the session ends.

    The compute runs the fake driver with its first VNC port set to a live
    QEMU's, so consoleauth's port validation goes to a real compute and the
    screen comes from a real VNC server. (With the libvirt driver the
    compute would report the guest's own VNC port instead.)
    """
    from playwright.sync_api import expect

    from tests.functional.boot_client import wait_for_computes
    from tests.functional.cloud import wait_for
    from tests.functional.test_api_clients import osc, sdk
    from tests.functional.test_api_clients import write_clouds_yaml
    from tests.functional.test_api_rest import start_api
    from tests.functional.test_console_proxy import _make_image

    qemu = ch.QemuVNC(str(tmp_path)).start()
    try:
        cloud = cloud_factory(conf_overrides={
            'console': {'session_recheck_interval': 1},
            'vnc': {'web': ch.install_novnc()},
            'fake_driver': {'vnc_port_base': qemu.port},
            'scheduler': {'host_state_refresh_seconds': 0},
        })
        cloud.sync_db()
        cloud.start('conductor', wait=True, timeout=60)
        for binary in ('scheduler', 'consoleauth', 'novncproxy'):
            cloud.start(binary)
        cloud.start('compute', host='cn1')
        for binary, host in (('scheduler', 'scheduler'),
                             ('consoleauth', 'consoleauth'),
                             ('compute', 'cn1')):
            cloud.wait_for_service(binary=binary, host=host, timeout=60)
        start_api(cloud)
        ch.wait_for_http(cloud.ports['novncproxy'])
        wait_for_computes(cloud, ['cn1'])
        # The CLI set up as README's "Using the API" says.
        cloud.clouds_yaml = str(tmp_path / 'clouds.yaml')
        write_clouds_yaml(cloud.clouds_yaml, cloud.api_url)

        conn = sdk(cloud)
        conn.compute.create_flavor(name='m1.console', ram=64, vcpus=1,
                                   disk=1, id='42')
        server = conn.compute.create_server(
            name='console-vm', flavor_id='42',
            image_id=_make_image(cloud, tmp_path))
        wait_for(lambda: conn.compute.get_server(server.id).status ==
                 'ACTIVE', 60, message='server ACTIVE')

        shown = osc(cloud, 'console', 'url', 'show', '--novnc', server.id,
                    '-f', 'json')
        assert shown['type'] == 'novnc'
        url = shown['url']
        assert url.startswith(cloud.novncproxy_base_url +
                              '?path=%3Ftoken%3D')

        def connect():
            page.goto(url)
            expect(page.locator('#status')).to_have_text('Connected',
                                                         timeout=30000)
            assert _wait_for_ink(page) > 100
        _retry_on_network_change(page, connect)
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS,
                                          'novnc-openstack-cli.png'))

        changes = len(page.network_changes)
        osc(cloud, 'server', 'delete', '--wait', server.id)
        status = page.locator('#status')
        if len(page.network_changes) == changes:
            expect(status).to_have_text(
                'Disconnected: Console session revoked', timeout=20000)
        else:  # the session may have dropped before it was revoked
            expect(status).not_to_have_text('Connected', timeout=20000)

        def reload():
            page.reload()
            expect(status).to_have_text(
                'Failed: Invalid or expired console token', timeout=20000)
        _retry_on_network_change(page, reload)
    finally:
        qemu.stop()
