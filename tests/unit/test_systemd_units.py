"""``systemd-analyze verify`` accepts every unit under systemd/.

Verification resolves ``ExecStart`` binaries and the units a unit orders
itself against, so it runs under ``--root`` in a scratch tree holding the
host's own unit directory, the venv's console scripts at the path the units
name (/opt/novalite/venv/bin), and /bin/kill for ``ExecReload``.
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNITS = sorted(glob.glob(os.path.join(REPO, 'systemd', '*.service')))
DAEMONS = ('api', 'conductor', 'scheduler', 'compute', 'consoleauth',
           'novncproxy')
SYSTEM_UNIT_DIR = next((d for d in ('/lib/systemd/system',
                                    '/usr/lib/systemd/system')
                        if os.path.isdir(d)), None)

pytestmark = pytest.mark.skipif(
    shutil.which('systemd-analyze') is None or SYSTEM_UNIT_DIR is None,
    reason='systemd is not installed here (tools/install-deps.sh installs '
           'it on Debian)')


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('sdroot')
    shutil.copytree(SYSTEM_UNIT_DIR, root / SYSTEM_UNIT_DIR.lstrip('/'),
                    symlinks=True)
    bindir = root / 'opt/novalite/venv/bin'
    bindir.mkdir(parents=True)
    venv_bin = os.path.dirname(sys.executable)
    for daemon in DAEMONS:
        shutil.copy(os.path.join(venv_bin, 'novalite-' + daemon), bindir)
    (root / 'bin').mkdir(exist_ok=True)
    shutil.copy('/bin/kill', root / 'bin')
    (root / 'etc/systemd/system').mkdir(parents=True)
    return root


def _verify(root, unit_path):
    dest = root / 'etc/systemd/system' / os.path.basename(unit_path)
    shutil.copy(unit_path, dest)
    return subprocess.run(['systemd-analyze', 'verify', '--root', str(root),
                           str(dest)], capture_output=True, text=True,
                          timeout=60)


def test_one_unit_per_daemon():
    names = {os.path.basename(u) for u in UNITS}
    assert names == {'novalite-%s.service' % d for d in DAEMONS}


@pytest.mark.parametrize('unit', UNITS, ids=os.path.basename)
def test_unit_verifies(root, unit):
    result = _verify(root, unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ''


@pytest.mark.parametrize('unit', UNITS, ids=os.path.basename)
def test_unit_runs_as_novalite_with_notify_and_reload(unit):
    with open(unit) as f:
        text = f.read()
    for line in ('Type=notify', 'User=novalite', 'Restart=on-failure',
                 'ExecReload=/bin/kill -HUP $MAINPID',
                 '--config-file /etc/novalite/novalite.conf'):
        assert line in text


def test_verify_rejects_a_broken_unit(root, tmp_path):
    broken = tmp_path / 'novalite-broken.service'
    broken.write_text('[Service]\nType=notify\n'
                      'ExecStart=/opt/novalite/venv/bin/does-not-exist\n')
    assert _verify(root, str(broken)).returncode != 0
