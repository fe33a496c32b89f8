"""Foundation behaviour of real daemons over RabbitMQ and MariaDB.

Services register and heartbeat through the conductor, go down when
stopped, only the conductor holds a database connection, and the others
survive a conductor restart.
"""

import datetime
import os
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.functional import cloud as cloud_mod
from tests.functional.conftest import CloudFactory

REPORT_INTERVAL = 2
SERVICE_DOWN_TIME = 6
COMPUTES = ('cn1', 'cn2', 'cn3')
OTHERS = ('scheduler', 'consoleauth')


@pytest.fixture(scope='module')
def fcloud():
    """conductor, scheduler, consoleauth and three fake computes, all up."""
    factory = CloudFactory()
    try:
        cloud = factory(conf_overrides={'DEFAULT': {
            'report_interval': REPORT_INTERVAL,
            'service_down_time': SERVICE_DOWN_TIME,
            'rpc_response_timeout': 10}})
        cloud.sync_db()
        cloud.start('conductor', wait=True)
        for name in OTHERS:
            cloud.start(name)
        for host in COMPUTES:
            cloud.start('compute', host=host,
                        extra_conf={'DEFAULT': {
                            'compute_driver': 'fake.FakeDriver'}})
        yield cloud
    finally:
        factory.cleanup()


def _daemon(cloud, binary, host):
    for daemon in cloud.daemons:
        if daemon.binary == 'novalite-' + binary and daemon.host == host:
            return daemon
    raise LookupError((binary, host))


def _report_count(cloud, binary, host):
    rows = cloud.sql('SELECT report_count FROM services WHERE host=%s AND '
                     '`binary`=%s AND deleted=0', (host, 'novalite-' + binary))
    return rows[0]['report_count'] if rows else None


def _all_rpc_daemons():
    return ([('conductor', 'conductor')] + [(b, b) for b in OTHERS] +
            [('compute', h) for h in COMPUTES])


def test_every_daemon_is_up_in_service_list(fcloud):
    for binary, host in _all_rpc_daemons():
        fcloud.wait_for_service('novalite-' + binary, host, timeout=60)
    rows = {(r['binary'], r['host']): r for r in fcloud.services()}
    for binary, host in _all_rpc_daemons():
        row = rows[('novalite-' + binary, host)]
        assert row['state'] == 'up'
        assert row['status'] == 'enabled'
    assert rows[('novalite-compute', 'cn1')]['zone'] == 'nova'
    assert rows[('novalite-scheduler', 'scheduler')]['zone'] == 'internal'


def test_new_compute_is_up_as_soon_as_it_has_started(fcloud):
    """Registration heartbeats at once: the list shows ``up`` the moment
    the daemon reports itself started, well within one report interval."""
    fcloud.wait_for_service('novalite-conductor', 'conductor', timeout=60)
    compute = fcloud.start('compute', host='cn-late')
    compute.wait_for_log('novalite-compute on cn-late is up', timeout=60)
    row = fcloud.service('novalite-compute', 'cn-late')
    assert row is not None and row['state'] == 'up', row
    age = fcloud.sql("SELECT TIMESTAMPDIFF(SECOND, updated_at, NOW()) AS age "
                     "FROM services WHERE host='cn-late'")[0]['age']
    assert age <= REPORT_INTERVAL, age
    compute.stop()


def test_heartbeats_arrive_every_report_interval(fcloud):
    for binary, host in _all_rpc_daemons():
        fcloud.wait_for_service('novalite-' + binary, host, timeout=60)
    before = {key: _report_count(fcloud, *key) for key in _all_rpc_daemons()}
    window = 4 * REPORT_INTERVAL
    time.sleep(window)
    after = {key: _report_count(fcloud, *key) for key in _all_rpc_daemons()}
    for key in _all_rpc_daemons():
        beats = after[key] - before[key]
        # One beat per interval, give or take scheduling jitter.
        assert window / REPORT_INTERVAL - 2 <= beats <= \
            window / REPORT_INTERVAL + 1, (key, beats)
    # updated_at is never older than one report interval (plus jitter).
    running = [host for _binary, host in _all_rpc_daemons()]
    rows = fcloud.sql('SELECT host, updated_at, NOW() AS now '
                      'FROM services WHERE deleted=0')
    for row in [r for r in rows if r['host'] in running]:
        age = (row['now'] - row['updated_at']).total_seconds()
        assert age <= REPORT_INTERVAL + 2, row


def test_compute_service_row_was_created_through_the_conductor(fcloud):
    """The compute has no [database] section: its row came via RPC."""
    compute = _daemon(fcloud, 'compute', 'cn1')
    fcloud.wait_for_service('novalite-compute', 'cn1', timeout=60)
    for path in compute.conf_files:
        with open(path) as fh:
            assert '[database]' not in fh.read(), path
    rows = fcloud.sql('SELECT host, `binary`, topic, report_count, '
                      'created_at FROM services WHERE host=%s', ('cn1',))
    assert len(rows) == 1
    assert rows[0]['binary'] == 'novalite-compute'
    assert rows[0]['topic'] == 'compute'
    assert rows[0]['report_count'] >= 1
    assert 'novalite-compute on cn1 is up' in compute.log()


def test_compute_node_was_created_through_the_conductor(fcloud):
    """The compute's resource tracker creates its ComputeNode object; the
    row can only have come through the conductor."""
    fcloud.wait_for_service('novalite-compute', 'cn2', timeout=60)
    rows = cloud_mod.wait_for(
        lambda: fcloud.sql('SELECT host, hypervisor_hostname, vcpus, '
                           'memory_mb FROM compute_nodes WHERE host=%s '
                           'AND deleted=0', ('cn2',)),
        30, message='compute node row of cn2')
    assert len(rows) == 1
    assert rows[0]['vcpus'] > 0 and rows[0]['memory_mb'] > 0


def _db_pids_by_port():
    """{client port: pid} of every TCP connection to MariaDB's port."""
    found = {}
    for conn in psutil.net_connections(kind='tcp'):
        if conn.raddr and conn.raddr.port == cloud_mod.MYSQL_PORT and \
                conn.pid:
            found[conn.laddr.port] = conn.pid
    return found


def _process_tree(pid):
    proc = psutil.Process(pid)
    return {proc.pid} | {child.pid for child in proc.children(recursive=True)}


def test_only_the_conductor_is_connected_to_the_database(fcloud):
    for binary, host in _all_rpc_daemons():
        fcloud.wait_for_service('novalite-' + binary, host, timeout=60)
    # Let every daemon heartbeat at least once more while we look.
    time.sleep(REPORT_INTERVAL + 1)
    conductor = _daemon(fcloud, 'conductor', 'conductor')
    connections = fcloud.db_connections()
    assert connections, 'the conductor holds no DB connection at all'
    by_user = {}
    for row in connections:
        by_user.setdefault(row['USER'], []).append(row)
    # Only the conductor's DB user is connected to this cloud's database.
    assert set(by_user) == {fcloud.db_user}, by_user
    # ...and every one of those connections belongs to the conductor process
    # (matched by the client port MariaDB reports).
    pids_by_port = _db_pids_by_port()
    conductor_pids = _process_tree(conductor.pid)
    for row in connections:
        port = int(row['HOST'].rsplit(':', 1)[1])
        assert pids_by_port.get(port) in conductor_pids, row
    # No other daemon has any connection to MariaDB, whatever the user.
    for daemon in fcloud.daemons:
        if daemon.binary == 'novalite-conductor' or not daemon.running():
            continue
        for pid in _process_tree(daemon.pid):
            remote_ports = {c.raddr.port for c in
                            psutil.Process(pid).net_connections('inet')
                            if c.raddr}
            assert cloud_mod.MYSQL_PORT not in remote_ports, daemon
            assert not [c for c in psutil.Process(pid).net_connections(
                'unix') if 'mysqld' in (c.raddr or '')], daemon


def test_compute_db_access_raises_db_not_allowed(fcloud):
    """The start-up path of novalite-compute arms the guard: a DB call in
    that process fails with DBNotAllowed and opens no connection, while a
    remotable object call still works through the conductor."""
    fcloud.wait_for_service('novalite-conductor', 'conductor', timeout=60)
    script = textwrap.dedent('''
        import sys
        from novalite import green
        green.monkey_patch()
        from novalite.cmd import common
        from novalite import context, exception, objects
        common.setup('novalite-compute', sys.argv[1:])
        try:
            from novalite.db import api
            api.get_engine()
        except exception.DBNotAllowed as exc:
            print('ENGINE', type(exc).__name__, exc.format_message())
        ctxt = context.get_admin_context()
        from novalite.objects import base
        try:
            base.db('services')
        except exception.DBNotAllowed as exc:
            print('OBJECT', type(exc).__name__)
        svc = objects.Service.get_by_host_and_binary(
            ctxt, 'cn1', 'novalite-compute')
        print('VIA-CONDUCTOR', svc.host, svc.binary)
        print('SQLALCHEMY-ENGINE-BUILT', 'engine' in api._FACTORY)
    ''')
    extra = os.path.join(fcloud.workdir, 'dbguard.conf')
    with open(extra, 'w') as fh:
        fh.write('[DEFAULT]\nhost = dbguard\n')
    proc = subprocess.run(
        [os.path.join(cloud_mod.bin_dir(), 'python'), '-c', script,
         '--config-file', fcloud.conf_path, '--config-file', extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=120, cwd=fcloud.workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'ENGINE DBNotAllowed novalite-compute attempted direct database ' \
        'access' in out, out + proc.stderr[-3000:]
    assert 'OBJECT DBNotAllowed' in out
    assert 'VIA-CONDUCTOR cn1 novalite-compute' in out
    assert 'SQLALCHEMY-ENGINE-BUILT False' in out


@pytest.mark.parametrize('entry', ['compute', 'scheduler', 'consoleauth'])
def test_non_db_daemon_does_not_import_the_db_layer(entry):
    """The start-up imports of a non-DB daemon never load SQLAlchemy."""
    script = textwrap.dedent('''
        import sys
        from novalite import green
        green.monkey_patch()
        import novalite.cmd.%s
        from novalite import objects, service  # noqa: F401
        objects.register_all()
        bad = sorted(m for m in sys.modules
                     if m.split('.')[0] in ('sqlalchemy', 'pymysql', 'alembic')
                     or m.startswith('novalite.db.'))
        print('LOADED', bad)
    ''' % entry)
    proc = subprocess.run([sys.executable, '-c', script],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'LOADED []' in proc.stdout, proc.stdout


def test_stopped_service_goes_down_after_service_down_time(fcloud):
    fcloud.wait_for_service('novalite-compute', 'cn3', timeout=60)
    compute = _daemon(fcloud, 'compute', 'cn3')
    started = time.monotonic()
    rc = compute.stop()
    assert rc == 0, compute.log()[-3000:]
    assert 'Stopping novalite-compute on cn3' in compute.log()
    # Still up right after stopping: the last heartbeat is recent.
    row = fcloud.wait_for_service('novalite-compute', 'cn3', state='down',
                                  timeout=SERVICE_DOWN_TIME +
                                  REPORT_INTERVAL + 15)
    elapsed = time.monotonic() - started
    assert elapsed >= SERVICE_DOWN_TIME - REPORT_INTERVAL - 1, elapsed
    assert row['state'] == 'down'
    # The others are unaffected.
    for host in ('cn1', 'cn2'):
        assert fcloud.service('novalite-compute', host)['state'] == 'up'


def test_sigterm_stops_every_daemon_cleanly(cloud_factory):
    cloud = cloud_factory()
    cloud.sync_db()
    cloud.start('conductor', wait=True)
    cloud.start('scheduler', wait=True)
    for daemon in reversed(cloud.daemons):
        started = time.monotonic()
        assert daemon.stop(timeout=15) == 0, daemon.log()[-3000:]
        assert time.monotonic() - started < 15
        assert 'Traceback' not in daemon.log(), daemon.log()[-3000:]


def test_others_recover_when_the_conductor_is_killed_and_restarted(
        cloud_factory):
    cloud = cloud_factory(conf_overrides={'DEFAULT': {
        'report_interval': 1, 'rpc_response_timeout': 5}})
    cloud.sync_db()
    conductor = cloud.start('conductor', wait=True)
    compute = cloud.start('compute', host='cn1')
    scheduler = cloud.start('scheduler')
    cloud.wait_for_service('novalite-compute', 'cn1')
    cloud.wait_for_service('novalite-scheduler', 'scheduler')
    pids = (compute.pid, scheduler.pid)

    conductor.kill()
    count = _report_count(cloud, 'compute', 'cn1')
    time.sleep(3)
    # Nothing reaches the database while the conductor is gone.
    assert _report_count(cloud, 'compute', 'cn1') == count
    compute.wait_for_log('Heartbeat of novalite-compute on cn1 failed',
                         timeout=20)

    conductor.start()

    def resumed(binary, host, since):
        return lambda: (_report_count(cloud, binary, host) or 0) > since + 1
    cloud_mod.wait_for(resumed('compute', 'cn1', count), 45,
                       message='compute heartbeats after conductor restart')
    sched_count = _report_count(cloud, 'scheduler', 'scheduler')
    cloud_mod.wait_for(resumed('scheduler', 'scheduler', sched_count), 30,
                       message='scheduler heartbeats')
    assert (compute.pid, scheduler.pid) == pids
    assert compute.running() and scheduler.running()
    compute.wait_for_log('Heartbeat of novalite-compute on cn1 recovered',
                         timeout=10)
    assert cloud.service('novalite-compute', 'cn1')['state'] == 'up'


def test_heartbeats_resume_after_rabbitmq_restart(rabbit_node, cloud_factory):
    """A private broker is restarted under running daemons."""
    cloud = cloud_factory(rabbit=rabbit_node, conf_overrides={'DEFAULT': {
        'report_interval': 1, 'rpc_response_timeout': 5}})
    cloud.sync_db()
    conductor = cloud.start('conductor', wait=True)
    compute = cloud.start('compute', host='cn1')
    consoleauth = cloud.start('consoleauth')
    cloud.wait_for_service('novalite-compute', 'cn1')
    cloud.wait_for_service('novalite-consoleauth', 'consoleauth')
    daemons = (conductor, compute, consoleauth)
    pids = [d.pid for d in daemons]

    rabbit_node.restart()
    after_restart = {
        'cn1': _report_count(cloud, 'compute', 'cn1'),
        'consoleauth': _report_count(cloud, 'consoleauth', 'consoleauth'),
        'conductor': _report_count(cloud, 'conductor', 'conductor'),
    }
    for binary, host in (('compute', 'cn1'), ('consoleauth', 'consoleauth'),
                         ('conductor', 'conductor')):
        since = after_restart[host]
        cloud_mod.wait_for(
            lambda: _report_count(cloud, binary, host) > since + 2, 60,
            message='%s heartbeats after the broker restart' % binary)
    assert [d.pid for d in daemons] == pids
    assert all(d.running() for d in daemons)
    for binary, host in (('novalite-compute', 'cn1'),
                         ('novalite-consoleauth', 'consoleauth')):
        assert cloud.service(binary, host)['state'] == 'up'


def test_conductor_with_several_workers(cloud_factory):
    """Forked conductor workers each open their own DB connections (none
    inherited from the parent's start-up checks) and serve heartbeats."""
    cloud = cloud_factory(conf_overrides={'conductor': {'workers': 2},
                                          'DEFAULT': {'report_interval': 1}})
    cloud.sync_db()
    conductor = cloud.start('conductor', wait=True)
    cloud.start('compute', host='cn1', wait=True)
    workers = psutil.Process(conductor.pid).children()
    assert len(workers) == 2, workers
    count = _report_count(cloud, 'compute', 'cn1')
    cloud_mod.wait_for(
        lambda: _report_count(cloud, 'compute', 'cn1') >= count + 3, 20,
        message='heartbeats through a multi-worker conductor')
    pids_by_port = _db_pids_by_port()
    owners = {pids_by_port.get(int(row['HOST'].rsplit(':', 1)[1]))
              for row in cloud.db_connections()}
    assert owners and owners <= {w.pid for w in workers}, owners
    assert conductor.stop() == 0


def test_manage_arguments_named_like_global_options(fcloud):
    """Regression: ``host`` arguments of ``service list/enable/disable``
    collided with the global ``host`` option (DuplicateOptError)."""
    fcloud.wait_for_service('novalite-compute', 'cn1', timeout=60)
    rows = fcloud.services(host='cn1')
    assert [(r['binary'], r['host']) for r in rows] == [
        ('novalite-compute', 'cn1')]
    fcloud.manage('service', 'disable', 'cn1', 'novalite-compute',
                  '--reason', 'maintenance', check=True)
    assert fcloud.service('novalite-compute', 'cn1')['status'] == 'disabled'
    assert fcloud.sql("SELECT disabled_reason FROM services WHERE "
                      "host='cn1'") == [{'disabled_reason': 'maintenance'}]
    fcloud.manage('service', 'enable', 'cn1', 'novalite-compute', check=True)
    assert fcloud.service('novalite-compute', 'cn1')['status'] == 'enabled'
    missing = fcloud.manage('service', 'enable', 'nohost', 'novalite-compute')
    assert missing.returncode != 0
    assert 'nohost' in missing.stderr and 'Traceback' not in missing.stderr
