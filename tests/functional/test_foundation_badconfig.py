"""A daemon with a bad configuration exits non-zero with one clear log
line naming the option, not a traceback."""

import os
import re
import subprocess
import textwrap

import pytest

from tests.functional import cloud as cloud_mod
from tests.functional.conftest import CloudFactory

ERROR_LINE = re.compile(r' (ERROR|CRITICAL) ')


@pytest.fixture(scope='module')
def bare_cloud():
    """A vhost and an empty (never synced) database; no daemon running."""
    factory = CloudFactory()
    try:
        yield factory()
    finally:
        factory.cleanup()


def _assert_one_clear_error(log, option, rc):
    assert rc not in (0, None), log
    errors = [line for line in log.splitlines() if ERROR_LINE.search(line)]
    assert len(errors) == 1, '\n'.join(errors) or log
    assert option in errors[0], errors[0]
    assert 'cannot start' in errors[0]
    assert 'Traceback' not in log, log


def _start_and_wait_exit(cloud, binary, extra_conf, timeout=60):
    daemon = cloud.start(binary, host='bad-%s' % binary, extra_conf=extra_conf)
    try:
        rc = daemon.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail('%s kept running with a bad config:\n%s'
                    % (binary, daemon.log()[-3000:]))
    return rc, daemon.log()


def test_unknown_compute_driver(bare_cloud):
    rc, log = _start_and_wait_exit(
        bare_cloud, 'compute',
        {'DEFAULT': {'compute_driver': 'nosuch.NoSuchDriver'}})
    _assert_one_clear_error(log, '[DEFAULT] compute_driver', rc)
    assert 'nosuch.NoSuchDriver' in log


@pytest.mark.parametrize('binary', ['compute', 'scheduler', 'conductor'])
def test_unreachable_transport(bare_cloud, binary):
    closed = cloud_mod.free_port()
    rc, log = _start_and_wait_exit(
        bare_cloud, binary,
        {'DEFAULT': {'transport_url':
                     'rabbit://guest:guest@127.0.0.1:%d/' % closed}})
    _assert_one_clear_error(log, '[DEFAULT] transport_url', rc)
    assert '127.0.0.1:%d' % closed in log


def test_unknown_transport_driver(bare_cloud):
    rc, log = _start_and_wait_exit(
        bare_cloud, 'consoleauth',
        {'DEFAULT': {'transport_url': 'nosuchmq://guest:guest@127.0.0.1/'}})
    _assert_one_clear_error(log, '[DEFAULT] transport_url', rc)


def test_invalid_option_value(bare_cloud):
    rc, log = _start_and_wait_exit(
        bare_cloud, 'scheduler', {'DEFAULT': {'report_interval': 'ten'}})
    _assert_one_clear_error(log, '[DEFAULT] report_interval', rc)


def test_conductor_with_unreachable_database(bare_cloud):
    url = 'mysql+pymysql://nobody:secret@127.0.0.1:%d/x' % \
        cloud_mod.free_port()
    rc, log = _start_and_wait_exit(
        bare_cloud, 'conductor', {'database': {'connection': url}})
    _assert_one_clear_error(log, '[database] connection', rc)
    assert 'secret' not in log


def test_conductor_with_wrong_database_password(bare_cloud):
    url = bare_cloud.db_url.replace(bare_cloud.db_password, 'wrong')
    rc, log = _start_and_wait_exit(
        bare_cloud, 'conductor', {'database': {'connection': url}})
    _assert_one_clear_error(log, '[database] connection', rc)
    assert 'Access denied' in log


def test_conductor_on_unsynced_database(bare_cloud):
    rc, log = _start_and_wait_exit(bare_cloud, 'conductor', {})
    _assert_one_clear_error(log, '[database] connection', rc)
    assert 'novalite-manage db sync' in log


def test_config_error_raised_while_the_service_starts(bare_cloud):
    """A manager whose init_host raises ConfigError (the way a virt driver
    that cannot reach its hypervisor does) ends the process with 1 and one
    line. (consoleauth's entry path, so that compute's own driver preflight
    does not answer first.)"""
    bare_cloud.sync_db()
    bare_cloud.start('conductor', wait=True)
    moddir = os.path.join(bare_cloud.workdir, 'failmod')
    os.makedirs(moddir)
    with open(os.path.join(moddir, 'failing_manager.py'), 'w') as fh:
        fh.write(textwrap.dedent('''
            from novalite import exception, manager

            class FailingManager(manager.Manager):
                def init_host(self):
                    raise exception.ConfigError(
                        option='[libvirt] connection_uri',
                        reason='the hypervisor is unreachable')
        '''))
    script = textwrap.dedent('''
        import sys
        from novalite import green
        green.monkey_patch()
        sys.path.insert(0, %r)
        from novalite.cmd import common
        common.serve_rpc('novalite-consoleauth', 'consoleauth',
                         'failing_manager.FailingManager', argv=sys.argv[1:])
    ''' % moddir)
    extra = os.path.join(bare_cloud.workdir, 'failing.conf')
    with open(extra, 'w') as fh:
        fh.write('[DEFAULT]\nhost = failing\n')
    proc = subprocess.run(
        [os.path.join(cloud_mod.bin_dir(), 'python'), '-c', script,
         '--config-file', bare_cloud.conf_path, '--config-file', extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    _assert_one_clear_error(proc.stdout, '[libvirt] connection_uri',
                            proc.returncode)
    assert 'the hypervisor is unreachable' in proc.stdout


def test_wrong_broker_password(bare_cloud):
    url = bare_cloud.transport_url.replace('guest:guest@', 'guest:wrong@')
    rc, log = _start_and_wait_exit(bare_cloud, 'scheduler',
                                   {'DEFAULT': {'transport_url': url}})
    _assert_one_clear_error(log, '[DEFAULT] transport_url', rc)
    assert 'ACCESS_REFUSED' in log and 'wrong' not in log


def test_missing_vhost(bare_cloud):
    url = bare_cloud.transport_url.rsplit('/', 1)[0] + '/nltest_no_such_vhost'
    rc, log = _start_and_wait_exit(bare_cloud, 'consoleauth',
                                   {'DEFAULT': {'transport_url': url}})
    _assert_one_clear_error(log, '[DEFAULT] transport_url', rc)
    assert 'nltest_no_such_vhost' in log
