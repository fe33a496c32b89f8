"""novalite-compute's privileged work, done as a plain user through the
privsep helper, for real: no mocks, iptables in a network namespace of
the test's own, a root-only console log, a throw-away system user.

Two ways the helper starts (tests/functional/privsep_client.py is the
caller):

- a plain user runs the default helper command, ``sudo -n
  <venv>/bin/privsep-helper --config-file ... --privsep_context ...
  --privsep_sock_path ...``, allowed by etc/sudoers.d/novalite-privsep
  installed for that user (the systemd unit's way; the shipped rule
  itself is what is tested);
- root runs the same helper without sudo (novalite-all, stack.sh without
  systemd): it still keeps only its three capabilities.

The plain user runs the repository's venv. A clone in root's home (as
root on a fresh Debian, /root is 0700) is out of that user's reach, so
its commands then run in a mount namespace of their own where a tmpfs
over the closed directory shows the repository again at the same path.
"""

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest

from tests.functional import cloud as cloud_mod

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SUDOERS = os.path.join(REPO, 'etc', 'sudoers.d', 'novalite-privsep')
SECRET = b'novalite console: login as root\n'

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in (
        'ip', 'iptables', 'setpriv', 'useradd', 'userdel')),
    reason='needs root, ip, iptables, setpriv and useradd (util-linux, '
           'passwd, iproute2, iptables)')


def _run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          **kwargs)


@pytest.fixture
def user():
    """A throw-away system user (no home, no shell), deleted afterwards."""
    name = 'nlps' + uuid.uuid4().hex[:8]
    result = _run(['useradd', '--system', '--no-create-home', '--home-dir',
                   '/nonexistent', '--shell', '/usr/sbin/nologin',
                   '--user-group', name])
    assert result.returncode == 0, result.stderr
    try:
        yield pwd.getpwnam(name)
    finally:
        _run(['userdel', name])
        _run(['groupdel', name])  # left when it was no user's group


@pytest.fixture
def netns():
    """A network namespace with the bridge nlbr0 (10.0.0.1/24) in it;
    its processes are killed by pid and it is deleted afterwards."""
    name = 'nlps-' + uuid.uuid4().hex[:8]
    assert _run(['ip', 'netns', 'add', name]).returncode == 0
    try:
        for cmd in (['ip', 'link', 'add', 'nlbr0', 'type', 'bridge'],
                    ['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'nlbr0'],
                    ['ip', 'link', 'set', 'nlbr0', 'up']):
            result = _run(['ip', 'netns', 'exec', name] + cmd)
            assert result.returncode == 0, result.stderr
        yield name
    finally:
        for pid in cloud_mod.netns_pids(name):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        _run(['ip', 'netns', 'del', name])


@pytest.fixture
def workdir():
    """Config file and instances_path, traversable by any user, with one
    instance's console log written the way virtlogd writes it: root,
    0600."""
    path = tempfile.mkdtemp(prefix='nlps_')
    try:
        os.chmod(path, 0o755)
        log_dir = os.path.join(path, 'instances', str(uuid.uuid4()))
        os.makedirs(log_dir, mode=0o755)
        os.chmod(os.path.join(path, 'instances'), 0o755)
        log = os.path.join(log_dir, 'console.log')
        fd = os.open(log, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b'boot noise\n' * 1000 + SECRET)
        os.close(fd)
        conf = os.path.join(path, 'novalite.conf')
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n'
                    'instances_path = %s/instances\n' % (path, path))
        os.chmod(conf, 0o644)
        yield conf, log
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def sudoers(user, workdir):
    """etc/sudoers.d/novalite-privsep as shipped, for the throw-away user,
    this venv and the test's config file; removed afterwards."""
    if not (shutil.which('sudo') and shutil.which('visudo')):
        pytest.skip('sudo is not installed (tools/install-deps.sh '
                    'installs it)')
    conf, _log = workdir
    with open(SUDOERS) as f:
        text = f.read()
    venv_bin = os.path.dirname(sys.executable)
    text = text.replace('novalite ALL=', user.pw_name + ' ALL=')
    text = text.replace('/opt/novalite/venv/bin/', venv_bin + '/')
    text = text.replace(r'/etc/novalite/novalite\.conf',
                        conf.replace('.', r'\.'))
    # sudo skips files of /etc/sudoers.d whose name holds a '.'
    path = '/etc/sudoers.d/%s_test' % user.pw_name
    fd = os.open(path + '~', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        check = _run(['visudo', '-cf', path + '~'])
        assert check.returncode == 0, check.stdout + check.stderr
        os.rename(path + '~', path)
        yield path
    finally:
        for leftover in (path, path + '~'):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _closed_ancestor():
    """The outermost directory above REPO other users cannot enter, or
    None."""
    path = '/'
    for part in REPO.strip('/').split('/')[:-1]:
        path = os.path.join(path, part)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return path
    return None


@pytest.fixture
def as_user(user):
    """The command prefix that runs what follows as the throw-away user
    with REPO (its venv and its code) within reach at the same path."""
    setpriv = ['setpriv', '--reuid', str(user.pw_uid), '--regid',
               str(user.pw_gid), '--init-groups']
    closed = _closed_ancestor()
    if closed is None:
        yield setpriv
        return
    stash = tempfile.mkdtemp(prefix='nlps_repo_')
    try:
        # in a private mount namespace: the repository bound aside, a
        # world-enterable tmpfs over the closed directory, the repository
        # bound back at its own path; nothing of it outlives the command
        yield ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
               'set -e; mount --bind "$1" "$2";'
               ' mount -t tmpfs -o mode=0755 nlps-view "$3";'
               ' mkdir -p "$1"; mount --bind "$2" "$1"; cd "$1";'
               ' shift 3; exec "$@"', 'sh', REPO, stash, closed] + setpriv
    finally:
        os.rmdir(stash)


def _client(netns, conf, log, as_user=None):
    cmd = ['ip', 'netns', 'exec', netns] + (as_user or [])
    cmd += [sys.executable, '-m', 'tests.functional.privsep_client', conf,
            log]
    # no TMPDIR: the helper's socket goes under /tmp, as the rule says
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': '/',
           'LC_ALL': 'C.UTF-8'}
    result = _run(cmd, cwd=REPO, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _nat_rules(netns=None):
    prefix = ['ip', 'netns', 'exec', netns] if netns else []
    result = _run(prefix + ['iptables', '-w', '-t', 'nat', '-S',
                            'PREROUTING'])
    assert result.returncode == 0, result.stderr
    return result.stdout


def _check(report, uid, netns, host_rules_before):
    assert report['uid'] == report['euid'] == uid
    # a plain user cannot read the log; the helper can
    assert report['direct_open'] == ('ok' if uid == 0 else
                                     'PermissionError')
    assert report['log_tail'] == SECRET.decode()[-6:]
    assert report['added'] is True and report['added_again'] is False
    assert report['packets'] == 0
    assert report['released'] is True
    assert report['refused'] == {'outside_path': True, 'dotdot_path': True,
                                 'bridge_option': True,
                                 'address_with_args': True}
    # the helper: root with exactly the three capabilities
    assert report['helper'] == {'uid': 0, 'caps': sorted([
        'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN', 'CAP_NET_RAW'])}
    # the rule landed in the namespace, and the host's table is untouched
    rules = _nat_rules(netns)
    assert '"novalite-metadata:nlbr0"' in rules
    assert '--to-destination 10.0.0.1:8775' in rules
    assert _nat_rules() == host_rules_before


def test_a_plain_user_does_the_privileged_work_through_sudo(
        user, as_user, netns, workdir, sudoers):
    conf, log = workdir
    before = _nat_rules()
    report = _client(netns, conf, log, as_user)
    _check(report, user.pw_uid, netns, before)


def test_the_sudoers_rule_allows_that_one_command_only(user, workdir,
                                                      sudoers):
    conf, _log = workdir
    helper = os.path.join(os.path.dirname(sys.executable), 'privsep-helper')
    context = ['--privsep_context', 'novalite.privsep.sys_admin_pctxt']
    sock = ['--privsep_sock_path', '/tmp/tmpq1w_2e3r/privsep.sock']

    def allowed(*args):
        # sudo -l CMD: may the user run CMD (without running it)
        result = _run(['setpriv', '--reuid', str(user.pw_uid), '--regid',
                       str(user.pw_gid), '--init-groups', 'sudo', '-n',
                       '-l', helper] + list(args),
                      env={'PATH': '/usr/bin:/bin', 'HOME': '/'})
        return result.returncode == 0

    assert allowed('--config-file', conf, *context, *sock)
    assert not allowed('--config-file', conf, *context, '--privsep_sock_path',
                       '/tmp/x', '--log-config-append', '/tmp/evil',
                       '/privsep.sock')
    assert not allowed('--config-file', '/tmp/evil.conf', *context, *sock)
    assert not allowed('--config-file', conf, '--config-file',
                       '/tmp/evil.conf', *context, *sock)
    assert not allowed('--config-file', conf, '--privsep_context',
                       'os.system', *sock)
    assert not allowed('--config-file', conf, *context, *sock, '--debug')


def test_root_runs_the_helper_without_sudo(netns, workdir):
    conf, log = workdir
    before = _nat_rules()
    report = _client(netns, conf, log)
    _check(report, 0, netns, before)


def test_without_the_sudoers_rule_the_helper_does_not_start(
        as_user, netns, workdir):
    if not shutil.which('sudo'):
        pytest.skip('sudo is not installed')
    conf, log = workdir
    cmd = ['ip', 'netns', 'exec', netns] + as_user + [
        sys.executable, '-c',
        'from novalite import conf, privsep; '
        'from novalite.network import linux_net; '
        'conf.CONF(["--config-file", %r], project="novalite")\n'
        'try:\n'
        '    linux_net.metadata_redirect_packets("nlbr0")\n'
        'except privsep.FAILURES as exc:\n'
        '    print("refused:", type(exc).__name__)\n' % conf]
    result = _run(cmd, cwd=REPO, env={'PATH': '/usr/bin:/bin', 'HOME': '/'})
    assert 'refused: FailedToDropPrivileges' in result.stdout, (
        result.stdout + result.stderr)
    assert '"novalite-metadata:nlbr0"' not in _nat_rules(netns)
