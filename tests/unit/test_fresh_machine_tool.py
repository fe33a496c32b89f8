"""tools/fresh-machine-check.sh: its local apt repository holds every
package the scripts tools/stack.sh runs would install on a fresh machine
(a package added to one of them and not to PACKAGES would only show when
the slow, opt-in fresh-machine test runs)."""

import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CHECK = os.path.join(REPO, 'tools', 'fresh-machine-check.sh')
# what stack.sh runs that may call apt-get (install-browser.sh: it sets
# NOVALITE_SKIP_BROWSER)
SCRIPTS = ['install-deps.sh', 'install-libvirt.sh', 'install-novnc.sh',
           'build-guest-image.sh']
NAME = r'[a-z0-9][a-z0-9.+-]+'


# Essential in Debian: on every machine, never installed by the scripts
ESSENTIAL = {'util-linux'}


def _read(name):
    """The script without comments, continuation lines joined."""
    with open(os.path.join(REPO, 'tools', name)) as f:
        text = f.read().replace('\\\n', ' ')
    return re.sub(r'(^|\s)#.*', '', text)


def _bash_array(text, var):
    m = re.search(r'^\s*(?:local\s+)?%s=\(([^)]*)\)' % var, text, re.M)
    assert m, 'no %s=(...) array' % var
    return set(re.findall(NAME, m.group(1)))


def _wanted():
    names = set()
    for script in SCRIPTS:
        text = _read(script)
        names |= set(re.findall(r'missing\+=\((%s)\)' % NAME, text))
        names |= set(re.findall(r'\]=(%s)' % NAME, text))  # need=([cmd]=pkg)
        for line in re.findall(r'apt-get[^\n]*install[^\n]*', text):
            if '"' not in line:     # a literal package list
                names |= {w for w in line.split()[1:]
                          if re.fullmatch(NAME, w) and w != 'install'}
    names |= _bash_array(_read('install-libvirt.sh'), 'pkgs')
    return names - ESSENTIAL


def test_the_scripts_name_packages_this_test_can_see():
    wanted = _wanted()
    assert {'rabbitmq-server', 'mariadb-server', 'libvirt-daemon-system',
            'npm', 'cpio', 'sudo'} <= wanted


def test_local_repository_holds_every_package_stack_installs():
    packages = _bash_array(_read('fresh-machine-check.sh'), 'PACKAGES')
    assert _wanted() - packages == set(), (
        'add these to PACKAGES in tools/fresh-machine-check.sh')


def test_guest_image_downloads_are_in_the_repository():
    downloads = _bash_array(_read('fresh-machine-check.sh'), 'DOWNLOADS')
    text = _read('build-guest-image.sh')
    assert 'apt-get download' in text
    assert downloads == {'linux-image-cloud-amd64', 'busybox-static'}
    assert all(name in text for name in downloads)


@pytest.mark.parametrize('args', [['-h'], ['--no-such-option']])
def test_usage(args):
    proc = subprocess.run([CHECK] + args, capture_output=True, text=True)
    if args == ['-h']:
        assert proc.returncode == 0
        assert 'Usage: tools/fresh-machine-check.sh' in proc.stdout
    else:
        assert proc.returncode == 2


def test_bash_syntax():
    subprocess.run(['bash', '-n', CHECK], check=True)
