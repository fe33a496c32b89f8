"""novalite-all with nothing installed: SQLite, the in-process transport and
the fake driver, all from one command — a server boots to ACTIVE.

The process is started exactly as a user without root would: a config file
naming only ``state_path`` and a port.
"""

import os
import signal
import subprocess
import time

import pytest
import requests

from tests.functional import cloud as harness

pytestmark = pytest.mark.functional


@pytest.fixture
def all_in_one(tmp_path):
    port = harness.free_port()
    conf = tmp_path / 'novalite.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n'
                    'osapi_compute_listen_port = %d\n'
                    'transport_url = fake:/\n'
                    'report_interval = 2\nperiodic_fuzzy_delay = 0\n'
                    % (tmp_path, port))
    log = open(tmp_path / 'all.log', 'w')
    proc = subprocess.Popen(
        [os.path.join(harness.bin_dir(), 'novalite-all'), '--config-file',
         str(conf)], stdout=log, stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:%d/v2.1' % port
    try:
        def answers():
            assert proc.poll() is None, (tmp_path / 'all.log').read_text()
            try:
                return requests.get(url.rsplit('/', 1)[0] + '/',
                                    timeout=2).ok
            except requests.ConnectionError:
                return False
        harness.wait_for(answers, 60, message='novalite-all on %s' % url)
        yield url, conf, tmp_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_boots_a_server_with_nothing_installed(all_in_one):
    url, conf, tmp_path = all_in_one
    headers = {'X-Auth-Token': 'admin:admin'}
    image = tmp_path / 'tiny.img'
    image.write_bytes(b'\0' * 4096)
    out = subprocess.run(
        [os.path.join(harness.bin_dir(), 'novalite-manage'), '--config-file',
         str(conf), 'image', 'import', '--name', 'tiny', '--file',
         str(image), '--disk-format', 'raw'],
        capture_output=True, text=True, check=True).stdout
    image_id = [line.split('|')[2].strip() for line in out.splitlines()
                if line.startswith('| id ')][0]
    resp = requests.post(url + '/flavors', headers=headers, json={
        'flavor': {'name': 'm1.tiny', 'ram': 512, 'vcpus': 1, 'disk': 1,
                   'id': '1'}})
    assert resp.status_code == 200, resp.text
    resp = requests.post(url + '/servers', headers=headers, json={
        'server': {'name': 'demo', 'flavorRef': '1', 'imageRef': image_id,
                   'networks': 'none'}})
    assert resp.status_code == 202, resp.text
    server_id = resp.json()['server']['id']

    deadline = time.time() + 60
    while time.time() < deadline:
        server = requests.get('%s/servers/%s' % (url, server_id),
                              headers=headers).json()['server']
        if server['status'] != 'BUILD':
            break
        time.sleep(0.5)
    assert server['status'] == 'ACTIVE', server
    services = requests.get(url + '/os-services',
                            headers=headers).json()['services']
    assert {s['binary'] for s in services if s['state'] == 'up'} == {
        'novalite-conductor', 'novalite-scheduler', 'novalite-consoleauth',
        'novalite-compute'}
    assert (tmp_path / 'novalite.sqlite').exists()
