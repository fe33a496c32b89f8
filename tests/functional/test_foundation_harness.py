"""The functional-test harness itself: resources exist while a cloud lives
and are gone after ``cleanup()``."""

import os
import subprocess

import pytest

from tests.functional import cloud as cloud_mod


def _vhosts():
    out = subprocess.run(['rabbitmqctl', '-q', 'list_vhosts'],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return set(out.split())


def _databases():
    with cloud_mod.mysql_admin() as conn, conn.cursor() as cur:
        cur.execute('SHOW DATABASES')
        return {row[0] for row in cur.fetchall()}


def _users():
    with cloud_mod.mysql_admin() as conn, conn.cursor() as cur:
        cur.execute('SELECT User FROM mysql.user')
        return {row[0] for row in cur.fetchall()}


def test_cloud_creates_and_removes_its_resources(cloud_factory):
    c = cloud_factory()
    assert c.vhost in _vhosts()
    assert c.db_name in _databases()
    assert {c.db_user, c.manage_db_user} <= _users()
    assert os.path.isdir(c.workdir)
    with open(c.conf_path) as fh:
        shared = fh.read()
    # Only the conductor's and novalite-manage's extra files hold credentials.
    assert '[database]' not in shared
    assert c.transport_url in shared
    c.sync_db()
    d = c.start('conductor', wait=True)
    pid = d.pid
    c.cleanup()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert c.vhost not in _vhosts()
    assert c.db_name not in _databases()
    assert not {c.db_user, c.manage_db_user} & _users()
    assert not os.path.exists(c.workdir)


def test_parse_table():
    text = ('+----+---------+\n| Id | Binary  |\n+----+---------+\n'
            '| 1  | novalite-conductor |\n+----+---------+\n')
    assert cloud_mod.parse_table(text) == [
        {'id': '1', 'binary': 'novalite-conductor'}]


def test_sweep_removes_clouds_of_dead_runs_only(cloud_factory):
    """A cloud whose owner process died is swept; a live one is kept."""
    import json
    import sys

    live = cloud_factory()
    # A test process that creates a cloud and dies without cleaning up.
    script = ('from tests.functional.cloud import Cloud; import os; '
              'c = Cloud(); c.sync_db(); c.start("conductor"); '
              'print(c.name, c.workdir, c.daemons[0].pid, flush=True); '
              'os._exit(0)')
    out = subprocess.run([sys.executable, '-c', script], cwd=cloud_mod.REPO_ROOT,
                         stdout=subprocess.PIPE, text=True, check=True,
                         timeout=120).stdout.split()
    name, workdir, daemon_pid = out[0], out[1], int(out[2])
    with open(os.path.join(workdir, cloud_mod.OWNER_FILE)) as fh:
        assert json.load(fh)['daemon_pids'] == [daemon_pid]
    assert name in _databases() and name in _vhosts()

    swept = cloud_mod.sweep_leftovers(log=lambda msg: None)
    assert name in swept and live.name not in swept
    assert name not in _databases() and name not in _vhosts()
    assert not os.path.exists(workdir)
    cloud_mod.wait_for(lambda: not cloud_mod._alive(daemon_pid), 10,
                       message='the dead run\'s conductor to be killed')
    assert live.db_name in _databases() and os.path.isdir(live.workdir)
