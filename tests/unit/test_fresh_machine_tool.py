"""tools/fresh-machine-check.sh: its local apt repository holds every
package the scripts tools/stack.sh runs would install on a fresh machine,
and, for --tests, what tools/run-tests.sh adds; its wheelhouse what those
scripts pip-install (a package added to one of them and not to the tool
would only show when the slow, opt-in fresh-machine test runs)."""

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
# what run-tests.sh adds: install-deps.sh without NOVALITE_SKIP_BROWSER
TEST_SCRIPTS = ['install-browser.sh']
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


def _wanted(scripts=SCRIPTS):
    names = set()
    for script in scripts:
        text = _read(script)
        names |= set(re.findall(r'missing\+=\((%s)\)' % NAME, text))
        names |= set(re.findall(r'\]=(%s)' % NAME, text))  # need=([cmd]=pkg)
        for line in re.findall(r'apt-get[^\n]*install[^\n]*', text):
            if '"' not in line:     # a literal package list
                names |= {w for w in line.split()[1:]
                          if re.fullmatch(NAME, w) and w != 'install'}
    if 'install-libvirt.sh' in scripts:
        names |= _bash_array(_read('install-libvirt.sh'), 'pkgs')
    return names - ESSENTIAL


def _tool_array(var):
    """A bash array of the tool, its words unquoted."""
    m = re.search(r'^%s=\(([^)]*)\)' % var, _read('fresh-machine-check.sh'),
                  re.M)
    assert m, 'no %s=(...) array' % var
    return {w.strip("'\"") for w in m.group(1).split()}


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


def test_local_repository_holds_what_run_tests_adds():
    wanted = _wanted(TEST_SCRIPTS)
    assert 'chromium' in wanted
    packages = (_bash_array(_read('fresh-machine-check.sh'), 'PACKAGES')
                | _tool_array('TEST_PACKAGES'))
    assert wanted - packages == set(), (
        'add these to TEST_PACKAGES in tools/fresh-machine-check.sh')


def test_wheelhouse_holds_what_the_scripts_pip_install():
    wanted = set()
    for script in SCRIPTS + TEST_SCRIPTS:
        for spec in re.findall(r'pip install -q\s+([^-\s"$]\S*)',
                               _read(script)):
            wanted.add(spec.strip("'\""))
    assert {'libvirt-python', 'playwright>=1.40'} <= wanted
    assert wanted - _tool_array('WHEELS') == set(), (
        'add these to WHEELS in tools/fresh-machine-check.sh')


@pytest.mark.parametrize('args', [['-h'], ['--no-such-option']])
def test_usage(args):
    proc = subprocess.run([CHECK] + args, capture_output=True, text=True)
    if args == ['-h']:
        assert proc.returncode == 0
        assert 'Usage: tools/fresh-machine-check.sh' in proc.stdout
        assert '--tests' in proc.stdout
    else:
        assert proc.returncode == 2
        assert '[--tests]' in proc.stderr


def _summary(log):
    """The tool's tests_summary function run on the text ``log``."""
    with open(CHECK) as f:
        func = re.search(r'^tests_summary\(\) \{.*?^\}$', f.read(),
                         re.M | re.S).group(0)
    return subprocess.run(['bash', '-c', func + '\ntests_summary /dev/stdin'],
                          input=log, capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_tests_summary_one_line_per_layer():
    log = """install-deps: venv ready: /root/novalite/.venv
run-tests: === tests/unit ===
........
SKIPPED [1] tests/unit/test_x.py:3: no sudo
======= 1210 passed, 3 skipped, 2 warnings in 80.21s (0:01:20) ========
run-tests: === tests/functional ===
= 1 failed, 99 passed in 900.00s (0:15:00) =
run-tests: === tests/e2e ===
Traceback (most recent call last):
"""
    assert _summary(log) == [
        'tests/unit: 1210 passed, 3 skipped, 2 warnings in 80.21s (0:01:20)',
        'tests/functional: 1 failed, 99 passed in 900.00s (0:15:00)',
        'tests/e2e: no summary',
    ]


def test_bash_syntax():
    subprocess.run(['bash', '-n', CHECK], check=True)
