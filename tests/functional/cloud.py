"""A throw-away novalite cloud made of real processes, for functional tests.

A :class:`Cloud` owns one fresh RabbitMQ vhost, one fresh MariaDB database
(plus a DB user for the conductor and another for novalite-manage), a work
directory with the config files and one log file per daemon. Daemons are
started as real processes of the venv's console scripts::

    cloud = Cloud(conf_overrides={'DEFAULT': {'service_down_time': 5}})
    try:
        cloud.sync_db()
        cloud.start('conductor')
        cloud.start('compute', host='cn1')
        cloud.wait_for_service(binary='novalite-compute', host='cn1')
    finally:
        cloud.cleanup()

Only the conductor and novalite-manage are given ``[database]``: the shared
config file has no such section, so the other daemons hold no credentials.

:class:`RabbitNode` runs a private RabbitMQ node (own port, own Mnesia
directory) for tests that must stop or restart the broker without disturbing
the machine's shared one.

:class:`NetLab` builds network namespaces on a private bridge for
multi-node tests: a daemon runs in one with ``cloud.start(...,
netns=...)``, a RabbitNode with ``RabbitNode(netns=..., host=...)``.
"""

import configparser
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pymysql

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

RABBIT_HOST = os.environ.get('NOVALITE_TEST_RABBIT_HOST', '127.0.0.1')
RABBIT_PORT = int(os.environ.get('NOVALITE_TEST_RABBIT_PORT', '5672'))
RABBIT_USER = 'guest'
RABBIT_PASSWORD = 'guest'
MYSQL_HOST = os.environ.get('NOVALITE_TEST_MYSQL_HOST', '127.0.0.1')
MYSQL_PORT = int(os.environ.get('NOVALITE_TEST_MYSQL_PORT', '3306'))
MYSQL_SOCKET = os.environ.get('NOVALITE_TEST_MYSQL_SOCKET',
                              '/run/mysqld/mysqld.sock')
NAME_PREFIX = 'nltest_'
OWNER_FILE = 'owner.json'

# Binaries Cloud.start() knows, by short name.
BINARIES = ('conductor', 'scheduler', 'compute', 'consoleauth', 'api',
            'novncproxy', 'all')
# HTTP daemons: start(wait=True) waits for this entry of Cloud.ports.
LISTENERS = {'api': 'osapi_compute', 'novncproxy': 'novncproxy'}
# The daemons that get the [database] section.
DB_BINARIES = ('conductor', 'all')


class HarnessError(Exception):
    """The test harness could not do what it was asked."""


def bin_dir():
    """Directory of the venv's console scripts (novalite-*)."""
    override = os.environ.get('NOVALITE_BIN_DIR')
    if override:
        return override
    venv_bin = os.path.join(REPO_ROOT, '.venv', 'bin')
    if os.path.exists(os.path.join(venv_bin, 'novalite-manage')):
        return venv_bin
    return os.path.dirname(sys.executable)


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, interval=0.2, message='condition'):
    """Poll ``predicate()`` until it returns something truthy.

    :returns: the truthy value.
    :raises: HarnessError after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError('timed out after %ss waiting for %s'
                               % (timeout, message))
        time.sleep(interval)


def _unique(prefix=NAME_PREFIX):
    return prefix + uuid.uuid4().hex[:10]


def _write_conf(path, sections):
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # keep option names as written
    for section, options in sections.items():
        if section != 'DEFAULT' and not parser.has_section(section):
            parser.add_section(section)
        for key, value in (options or {}).items():
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            elif isinstance(value, (list, tuple)):
                value = ','.join(str(v) for v in value)
            parser.set(section, key, str(value))
    with open(path, 'w') as fh:
        parser.write(fh)


def _merge(base, extra):
    """Two-level merge of ``{section: {option: value}}`` dicts."""
    merged = {section: dict(options) for section, options in base.items()}
    for section, options in (extra or {}).items():
        merged.setdefault(section, {}).update(options or {})
    return merged


def _run(cmd, check=True, timeout=120, env=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise HarnessError('%s failed (%d): %s%s' % (
            ' '.join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc


def mysql_admin():
    """A root connection to MariaDB: the unix socket, else TCP with no password."""
    errors = []
    if os.path.exists(MYSQL_SOCKET):
        try:
            return pymysql.connect(unix_socket=MYSQL_SOCKET, user='root',
                                   autocommit=True)
        except pymysql.MySQLError as exc:
            errors.append('socket %s: %s' % (MYSQL_SOCKET, exc))
    try:
        return pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user='root',
                               password='', autocommit=True)
    except pymysql.MySQLError as exc:
        errors.append('%s:%s: %s' % (MYSQL_HOST, MYSQL_PORT, exc))
    raise HarnessError('cannot reach MariaDB as root: %s' % '; '.join(errors))


def netns_prefix(netns):
    """The command prefix that runs a command in network namespace
    ``netns`` (none for None)."""
    return ['ip', 'netns', 'exec', netns] if netns else []


def rabbitmqctl(*args, node=None, check=True, env=None, timeout=120,
                netns=None):
    """Run ``rabbitmqctl [-n node] args...`` (in ``netns`` if given)."""
    cmd = netns_prefix(netns) + ['rabbitmqctl']
    if node:
        cmd += ['-n', node]
    return _run(cmd + list(args), check=check, env=env, timeout=timeout)


class Daemon:
    """One novalite daemon process started by a :class:`Cloud`."""

    def __init__(self, cloud, name, host, conf_files, log_path, netns=None):
        self.cloud = cloud
        self.netns = netns
        self.name = name
        self.binary = 'novalite-' + name
        self.host = host
        self.conf_files = list(conf_files)
        self.log_path = log_path
        self.proc = None

    def __repr__(self):
        return '<Daemon %s host=%s pid=%s%s>' % (
            self.binary, self.host, self.pid,
            ' netns=%s' % self.netns if self.netns else '')

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def command(self):
        # ``ip netns exec`` execs the daemon: the pid stays the daemon's.
        cmd = netns_prefix(self.netns) + [os.path.join(bin_dir(),
                                                       self.binary)]
        for path in self.conf_files:
            cmd += ['--config-file', path]
        return cmd

    def start(self):
        """Spawn the process in its own session (so its workers die with it)."""
        if self.running():
            raise HarnessError('%r is already running' % self)
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        log = open(self.log_path, 'ab')
        try:
            log.write(('==== start %s at %s ====\n' % (
                ' '.join(self.command), time.strftime('%H:%M:%S'))).encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, cwd=self.cloud.workdir,
                start_new_session=True)
        finally:
            log.close()
        return self

    def running(self):
        # Does not reap the process: stop() still needs its group id.
        return self.proc is not None and self.proc.returncode is None and \
            not self._exited()

    @property
    def returncode(self):
        """Exit status once the process has ended (reaps it), else None."""
        if self.proc is None or not self._exited():
            return None
        return self.proc.wait()

    def _signal_group(self, sig):
        # The daemon leads its own process group (start_new_session), so the
        # group id is its pid: this reaches its forked workers too and
        # nothing the harness did not start. Only called while the leader
        # is not yet reaped, so its pid cannot have been reused.
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def _exited(self):
        """True once the leader has exited, without reaping it."""
        try:
            info = os.waitid(os.P_PID, self.proc.pid,
                             os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:
            return True
        return info is not None

    def _wait_unreaped(self, timeout):
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, timeout=20):
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self._signal_group(signal.SIGTERM)
            if not self._wait_unreaped(timeout):
                self._signal_group(signal.SIGKILL)
                self._wait_unreaped(10)
            # Workers the leader left behind go with the group.
            self._signal_group(signal.SIGKILL)
            self.proc.wait(10)
        return self.proc.returncode

    def kill(self):
        """SIGKILL the daemon and its workers, no clean shutdown."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(10)
        return self.proc.returncode

    def restart(self, timeout=20):
        self.stop(timeout)
        return self.start()

    def wait(self, timeout=30):
        """Wait for the process to exit by itself; returns its exit code.

        :raises: subprocess.TimeoutExpired
        """
        if not self._wait_unreaped(timeout):
            raise subprocess.TimeoutExpired(self.command, timeout)
        return self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, errors='replace') as fh:
                return fh.read()
        except FileNotFoundError:
            return ''

    def wait_for_log(self, text, timeout=30):
        """Wait until ``text`` appears in the daemon's log."""
        return wait_for(lambda: text in self.log(), timeout,
                        message='%r in %s' % (text, self.log_path))


class Cloud:
    """A fresh vhost + database + work directory and the daemons on them.

    :param conf_overrides: ``{section: {option: value}}`` written into the
        shared config file over the harness defaults.
    :param rabbit: a :class:`RabbitNode` to use instead of the machine's
        RabbitMQ on 127.0.0.1:5672.
    :param name: resource name (database, vhost, work dir prefix), always
        starting with ``nltest_``; random by default.
    :param listen_host: address novalite-api and novncproxy listen on and
        the URLs name (a namespace's address for multi-node tests).
    :param db_socket: MariaDB unix socket the conductor and novalite-manage
        connect through instead of TCP (it reaches the server from any
        network namespace).
    """

    DEFAULTS = {
        'DEFAULT': {
            'debug': True,
            'report_interval': 2,
            'service_down_time': 20,
            'periodic_fuzzy_delay': 0,
            'rpc_response_timeout': 30,
            'graceful_shutdown_timeout_seconds': 10,
            'compute_driver': 'fake.FakeDriver',
            'my_ip': '127.0.0.1',
            'osapi_compute_listen': '127.0.0.1',
            'metadata_listen': '127.0.0.1',
        },
        'conductor': {'workers': 1},
        'scheduler': {'workers': 1},
        'api': {'auth_strategy': 'noauth2'},
        'vnc': {'novncproxy_host': '127.0.0.1',
                'server_listen': '127.0.0.1',
                'server_proxyclient_address': '127.0.0.1'},
        'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 20,
                                  'rabbit_retry_interval': 1,
                                  'rabbit_retry_backoff': 1,
                                  'rabbit_interval_max': 2},
    }

    def __init__(self, conf_overrides=None, rabbit=None, name=None,
                 listen_host='127.0.0.1', db_socket=None):
        if name and not name.startswith(NAME_PREFIX):
            name = NAME_PREFIX + name  # the sweeper and DB user names rely on it
        self.name = name or _unique()
        self.db_name = self.name
        self.vhost = self.name
        self.rabbit = rabbit
        self.listen_host = listen_host
        self.db_socket = db_socket
        self.daemons = []
        self._created = {'workdir': False, 'vhost': False, 'db': False}
        self.workdir = tempfile.mkdtemp(prefix=self.name + '-')
        self._created['workdir'] = True
        try:
            self._write_owner()
            self._setup(conf_overrides or {})
            self._write_owner()
        except BaseException:
            self.cleanup()
            raise

    # -- set-up -------------------------------------------------------------

    def _setup(self, overrides):
        suffix = self.name[len(NAME_PREFIX):]
        self.db_user = 'nlc_' + suffix       # the conductor's DB user
        self.manage_db_user = 'nlm_' + suffix  # novalite-manage's DB user
        self.db_password = uuid.uuid4().hex
        self.ports = {'osapi_compute': free_port(), 'metadata': free_port(),
                      'novncproxy': free_port()}
        for sub in ('state', 'state/instances', 'locks', 'logs'):
            os.makedirs(os.path.join(self.workdir, sub), exist_ok=True)

        self._create_vhost()
        self._create_database()

        if self.rabbit is not None:
            host, port = self.rabbit.host, self.rabbit.port
        else:
            host, port = RABBIT_HOST, RABBIT_PORT
        self.transport_url = 'rabbit://%s:%s@%s:%d/%s' % (
            RABBIT_USER, RABBIT_PASSWORD, host, port, self.vhost)
        self.db_url = self._db_url(self.db_user)
        self.manage_db_url = self._db_url(self.manage_db_user)
        listen = self.listen_host
        self.api_url = 'http://%s:%d' % (listen, self.ports['osapi_compute'])
        self.metadata_url = 'http://%s:%d' % (listen, self.ports['metadata'])
        self.novncproxy_base_url = ('http://%s:%d/vnc_auto.html'
                                    % (listen, self.ports['novncproxy']))

        self.conf = _merge(self.DEFAULTS, {
            'DEFAULT': {
                'osapi_compute_listen': listen,
                'metadata_listen': listen,
                'transport_url': self.transport_url,
                'state_path': os.path.join(self.workdir, 'state'),
                'instances_path': os.path.join(self.workdir, 'state',
                                               'instances'),
                'osapi_compute_listen_port': self.ports['osapi_compute'],
                'metadata_listen_port': self.ports['metadata'],
            },
            'vnc': {'novncproxy_host': listen,
                    'novncproxy_port': self.ports['novncproxy'],
                    'novncproxy_base_url': self.novncproxy_base_url},
            'oslo_concurrency': {
                'lock_path': os.path.join(self.workdir, 'locks')},
        })
        self.conf = _merge(self.conf, overrides)
        if 'database' in overrides:
            raise HarnessError('[database] goes to the conductor only; the '
                               'harness writes it')
        self.conf_path = os.path.join(self.workdir, 'novalite.conf')
        _write_conf(self.conf_path, self.conf)
        # [database] for the conductor and for novalite-manage, each with
        # its own user so processlist tells them apart.
        self.db_conf_path = os.path.join(self.workdir, 'db-conductor.conf')
        _write_conf(self.db_conf_path,
                    {'database': {'connection': self.db_url}})
        self.manage_conf_path = os.path.join(self.workdir, 'db-manage.conf')
        _write_conf(self.manage_conf_path,
                    {'database': {'connection': self.manage_db_url}})

    def _write_owner(self):
        """Record who owns this cloud, for :func:`sweep_leftovers`."""
        record = {'owner_pid': os.getpid(), 'name': self.name,
                  'db_name': self.db_name, 'vhost': self.vhost,
                  'db_users': [getattr(self, 'db_user', None),
                               getattr(self, 'manage_db_user', None)],
                  'private_rabbit': self.rabbit is not None,
                  'daemon_pids': [d.pid for d in self.daemons if d.pid]}
        tmp = os.path.join(self.workdir, OWNER_FILE + '.tmp')
        with open(tmp, 'w') as fh:
            json.dump(record, fh)
        os.replace(tmp, os.path.join(self.workdir, OWNER_FILE))

    def _db_url(self, user):
        if self.db_socket:
            return ('mysql+pymysql://%s:%s@localhost/%s?unix_socket=%s'
                    '&charset=utf8mb4' % (user, self.db_password,
                                          self.db_name, self.db_socket))
        return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8mb4' % (
            user, self.db_password, MYSQL_HOST, MYSQL_PORT, self.db_name)

    def _rabbitmqctl(self, *args, check=True):
        if self.rabbit is not None:
            return self.rabbit.ctl(*args, check=check)
        return rabbitmqctl(*args, check=check)

    def _create_vhost(self):
        self._created['vhost'] = True
        self._rabbitmqctl('add_vhost', self.vhost)
        self._rabbitmqctl('set_permissions', '-p', self.vhost, RABBIT_USER,
                          '.*', '.*', '.*')

    def _create_database(self):
        self._created['db'] = True
        with contextlib.closing(mysql_admin()) as conn, conn.cursor() as cur:
            cur.execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4'
                        % self.db_name)
            for user in (self.db_user, self.manage_db_user):
                for host in ('localhost', '127.0.0.1', '%'):
                    cur.execute("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'"
                                % (user, host, self.db_password))
                    cur.execute("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'"
                                % (self.db_name, user, host))

    # -- daemons --------------------------------------------------------------

    def start(self, binary, host=None, extra_conf=None, wait=False,
              timeout=30, netns=None):
        """Start ``novalite-<binary>`` as a process; returns its :class:`Daemon`.

        :param host: ``[DEFAULT] host`` of the daemon (default: the binary's
            short name, e.g. ``conductor``).
        :param extra_conf: ``{section: {option: value}}`` for this daemon
            only, written into its own config file after the shared one.
        :param wait: wait until the service is ``up`` in the service list
            (RPC daemons) or its port accepts connections (api, novncproxy).
        :param netns: network namespace to run the daemon in.
        """
        if binary.startswith('novalite-'):
            binary = binary[len('novalite-'):]
        if binary not in BINARIES:
            raise HarnessError('unknown binary %r' % binary)
        host = host or binary
        if extra_conf and 'database' in extra_conf and \
                binary not in DB_BINARIES:
            raise HarnessError('[database] goes to the conductor only')
        tag = '%s-%s-%d' % (binary, host, len(self.daemons))
        sections = _merge({'DEFAULT': {'host': host}}, extra_conf or {})
        extra_path = os.path.join(self.workdir, tag + '.conf')
        _write_conf(extra_path, sections)
        files = [self.conf_path]
        if binary in DB_BINARIES:
            files.append(self.db_conf_path)
        files.append(extra_path)
        daemon = Daemon(self, binary, host, files,
                        os.path.join(self.workdir, 'logs', tag + '.log'),
                        netns=netns)
        self.daemons.append(daemon)
        daemon.start()
        self._write_owner()
        if wait:
            if binary in LISTENERS:
                self.wait_for_port(self.ports[LISTENERS[binary]],
                                   daemon=daemon, timeout=timeout)
            else:
                self.wait_for_service(binary=daemon.binary, host=host,
                                      timeout=timeout)
        return daemon

    def wait_for_port(self, port, daemon=None, timeout=30):
        """Wait until something accepts TCP connections on
        ``listen_host``:port.

        :param daemon: fail early, with its log, if this daemon exits.
        """
        def check():
            if daemon is not None and not daemon.running():
                raise HarnessError('%r exited with %s; log tail:\n%s' % (
                    daemon, daemon.returncode, daemon.log()[-3000:]))
            try:
                socket.create_connection((self.listen_host, port), 1).close()
                return True
            except OSError:
                return False
        return wait_for(check, timeout, message='port %d' % port)

    def stop_all(self):
        for daemon in reversed(self.daemons):
            daemon.stop()

    # -- novalite-manage and the service list --------------------------------

    def manage(self, *args, check=False, timeout=120):
        """Run ``novalite-manage`` with this cloud's config; CompletedProcess."""
        cmd = [os.path.join(bin_dir(), 'novalite-manage'),
               '--config-file', self.conf_path,
               '--config-file', self.manage_conf_path] + list(args)
        proc = _run(cmd, check=False, timeout=timeout,
                    env=dict(os.environ, PYTHONUNBUFFERED='1'))
        if check and proc.returncode != 0:
            raise HarnessError('novalite-manage %s failed (%d): %s%s' % (
                ' '.join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def sync_db(self):
        """``novalite-manage db sync``."""
        return self.manage('db', 'sync', check=True)

    def services(self, host=None):
        """``novalite-manage service list`` as a list of dicts.

        Keys are the lower-cased column headers: ``id``, ``binary``,
        ``host``, ``zone``, ``status``, ``state``, ``updated_at``.
        """
        args = ['service', 'list'] + (['--host', host] if host else [])
        return parse_table(self.manage(*args, check=True).stdout)

    def service(self, binary, host):
        """The service list row of ``binary`` on ``host``, or None."""
        if not binary.startswith('novalite-'):
            binary = 'novalite-' + binary
        for row in self.services():
            if row.get('binary') == binary and row.get('host') == host:
                return row
        return None

    def wait_for_service(self, binary, host, state='up', timeout=30):
        """Wait until ``binary`` on ``host`` has ``state`` in the service list.

        :returns: the matching row.
        """
        if not binary.startswith('novalite-'):
            binary = 'novalite-' + binary
        daemons = [d for d in self.daemons
                   if d.binary == binary and d.host == host]

        def check():
            for daemon in daemons:
                if state == 'up' and not daemon.running():
                    raise HarnessError('%r exited with %s while waiting for '
                                       'it to be up; log tail:\n%s' % (
                                           daemon, daemon.returncode,
                                           daemon.log()[-3000:]))
            row = self.service(binary, host)
            return row if row and row.get('state') == state else None
        return wait_for(check, timeout, interval=0.3,
                        message='%s on %s to be %s' % (binary, host, state))

    # -- direct access for assertions ----------------------------------------

    def sql(self, query, args=None):
        """Run ``query`` as MariaDB root in this cloud's database; all rows as dicts."""
        with contextlib.closing(mysql_admin()) as conn:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute('USE `%s`' % self.db_name)
                cur.execute(query, args)
                return list(cur.fetchall())

    def db_connections(self):
        """This cloud's rows of ``information_schema.processlist``."""
        with contextlib.closing(mysql_admin()) as conn:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute(
                    'SELECT ID, USER, HOST, DB, COMMAND '
                    'FROM information_schema.PROCESSLIST '
                    'WHERE USER IN (%s, %s) OR DB = %s',
                    (self.db_user, self.manage_db_user, self.db_name))
                return list(cur.fetchall())

    def dump_logs(self, tail=4000):
        """The end of every daemon's log, for a failing test's report."""
        out = []
        for daemon in self.daemons:
            text = daemon.log()
            out.append('---- %s (pid %s, rc %s) %s ----\n%s' % (
                daemon.binary, daemon.pid, daemon.returncode, daemon.host,
                text[-tail:]))
        return '\n'.join(out)

    # -- tear-down ------------------------------------------------------------

    def cleanup(self):
        """Stop every daemon, drop the database and users, delete the vhost
        and the work directory. Safe to call twice."""
        errors = []
        for daemon in reversed(self.daemons):
            try:
                daemon.stop(timeout=10)
            except Exception as exc:  # keep cleaning whatever happens
                errors.append('stop %r: %s' % (daemon, exc))
        if self._created.pop('db', False):
            try:
                self._drop_database()
            except Exception as exc:
                errors.append('drop database %s: %s' % (self.db_name, exc))
        if self._created.pop('vhost', False) and (
                self.rabbit is None or self.rabbit.started):
            # (A stopped private node takes its vhosts with it.)
            try:
                proc = self._rabbitmqctl('delete_vhost', self.vhost,
                                         check=False)
                if proc.returncode not in (0, 2) and \
                        'no_such_vhost' not in proc.stderr + proc.stdout:
                    errors.append('delete_vhost %s: %s' % (
                        self.vhost, proc.stderr))
            except Exception as exc:
                errors.append('delete_vhost %s: %s' % (self.vhost, exc))
        if self._created.pop('workdir', False):
            if os.environ.get('NOVALITE_KEEP_TEST_DIRS'):
                sys.stderr.write('keeping %s\n' % self.workdir)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise HarnessError('cleanup of %s: %s' % (self.name,
                                                      '; '.join(errors)))

    def _drop_database(self):
        with contextlib.closing(mysql_admin()) as conn, conn.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS `%s`' % self.db_name)
            for user in (self.db_user, self.manage_db_user):
                for host in ('localhost', '127.0.0.1', '%'):
                    cur.execute("DROP USER IF EXISTS '%s'@'%s'"
                                % (user, host))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.cleanup()


def parse_table(text):
    """Rows of a ``+---+`` / ``| a | b |`` table as dicts keyed by header."""
    headers = None
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if headers is None:
            headers = [h.lower().replace(' ', '_') for h in cells]
            continue
        rows.append(dict(zip(headers, cells)))
    return rows


class RabbitNode:
    """A private RabbitMQ node on its own port and Mnesia directory.

    For tests that stop or restart the broker: never touch the machine's
    shared node. ``start()`` / ``stop()`` / ``restart()`` keep the data
    directory, so vhosts and users survive a restart; ``cleanup()`` stops
    the node and removes everything.

    :param netns: network namespace the node (and every ``rabbitmqctl``
        for it) runs in; its Erlang distribution stays on that namespace's
        loopback.
    :param host: address AMQP listens on. Off loopback, ``guest`` may log
        in from other addresses (only sensible on a private namespace
        address).
    """

    def __init__(self, netns=None, host='127.0.0.1'):
        self.name = _unique('nltest-')
        self.node = '%s@localhost' % self.name
        self.netns = netns
        self.host = host
        self.port = free_port()
        self.dist_port = free_port()
        self.basedir = tempfile.mkdtemp(prefix=self.name + '-rabbit-')
        # Debian's wrapper runs the node as the rabbitmq user (via su, which
        # keeps the RABBITMQ_* environment): it must own the directory.
        _chown_to_rabbitmq(self.basedir)
        self.url = 'rabbit://%s:%s@%s:%d/' % (
            RABBIT_USER, RABBIT_PASSWORD, host, self.port)
        conf_file = os.path.join(self.basedir, 'rabbitmq.conf')
        with open(conf_file, 'w') as fh:
            fh.write('listeners.tcp.local = %s:%d\n' % (host, self.port))
            if host.startswith('127.'):
                fh.write('loopback_users.guest = true\n')
            else:
                fh.write('loopback_users = none\n')
        plugins = os.path.join(self.basedir, 'enabled_plugins')
        with open(plugins, 'w') as fh:
            fh.write('[].\n')
        env_file = os.path.join(self.basedir, 'rabbitmq-env.conf')
        open(env_file, 'w').close()
        for path in (conf_file, plugins, env_file):
            _chown_to_rabbitmq(path)
        self.env = dict(
            os.environ,
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS=host,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=conf_file,
            RABBITMQ_CONF_ENV_FILE=env_file,
            RABBITMQ_ENABLED_PLUGINS_FILE=plugins,
            RABBITMQ_MNESIA_BASE=os.path.join(self.basedir, 'mnesia'),
            RABBITMQ_LOG_BASE=os.path.join(self.basedir, 'log'),
            RABBITMQ_PLUGINS_EXPAND_DIR=os.path.join(self.basedir,
                                                     'plugins-expand'),
            RABBITMQ_PID_FILE=os.path.join(self.basedir, 'rabbit.pid'),
            ERL_FLAGS='-kernel inet_dist_use_interface {127,0,0,1}',
        )
        self.started = False

    def ctl(self, *args, check=True, timeout=120):
        return rabbitmqctl(*args, node=self.node, check=check, env=self.env,
                           timeout=timeout, netns=self.netns)

    def start(self, timeout=90):
        """Start the node detached and wait until it accepts AMQP."""
        self.started = True
        _run(netns_prefix(self.netns) + ['rabbitmq-server', '-detached'],
             env=self.env)
        self.ctl('wait', '--timeout', str(timeout),
                 self.env['RABBITMQ_PID_FILE'], timeout=timeout + 10)
        self.ctl('await_startup', '--timeout', str(timeout),
                 timeout=timeout + 10)
        wait_for(self._accepts, timeout, message='AMQP port %d' % self.port)
        return self

    def _accepts(self):
        try:
            socket.create_connection((self.host, self.port), 1).close()
            return True
        except OSError:
            return False

    def pid(self):
        try:
            with open(self.env['RABBITMQ_PID_FILE']) as fh:
                return int(fh.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout=60):
        """Stop the whole node (Erlang VM included)."""
        pid = self.pid()
        proc = self.ctl('stop', check=False, timeout=timeout)
        if pid and proc.returncode != 0:
            # The node did not answer: end it by the pid it wrote.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if pid:
            wait_for(lambda: not _alive(pid), timeout,
                     message='rabbit node %s to exit' % self.node)
        wait_for(lambda: not self._accepts(), timeout,
                 message='AMQP port %d to close' % self.port)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        if self.started:
            with contextlib.suppress(Exception):
                self.stop()
            self.started = False
        if not os.environ.get('NOVALITE_KEEP_TEST_DIRS'):
            shutil.rmtree(self.basedir, ignore_errors=True)


class NetLab:
    """Network namespaces on one private bridge, for multi-node tests.

    The first node is the hub: it holds the bridge ``br0`` and the address
    ``<subnet>.1``; every other node gets ``eth0`` on the bridge with
    ``<subnet>.<10+i>``. A veth from the host's namespace to the bridge
    (``<subnet>.254`` on the host side) lets the test process reach every
    node. Names are fresh per lab; the subnet is a free one of
    10.254.0.0/16. Nothing is routed beyond the lab::

        lab = NetLab(['controller', 'cn1', 'cn2'])
        try:
            lab.netns['cn1'], lab.address['cn1']   # for ip netns exec / my_ip
        finally:
            lab.cleanup()

    ``cleanup()`` kills every process left in the lab's namespaces (all of
    them started by the test), then deletes the namespaces and links; the
    sweeper does the same for a lab whose test process died.

    :raises: HarnessError when namespaces cannot be made (not root, no
        ``ip netns``); nothing is left behind then.
    """

    def __init__(self, nodes, subnet=None):
        self.name = _unique()
        short = self.name[len(NAME_PREFIX):][:6]
        self.nodes = list(nodes)
        self.workdir = tempfile.mkdtemp(prefix=self.name + '-netlab-')
        self.netns = {}
        self.address = {}
        self.links = []  # host-side link names, deleted on clean-up
        self.dirs = []   # directories of things run in the lab
        self._write_owner()
        try:
            hub = self.nodes[0]
            for node in self.nodes:
                self._add_netns(node)
            self._ip(hub, 'link', 'add', 'br0', 'type', 'bridge')
            self._ip(hub, 'link', 'set', 'br0', 'up')
            # The host's way in. Choosing the subnet and taking it on the
            # host are one step for concurrent labs (pytest-xdist workers).
            host_end, hub_end = 'nl%sh0' % short, 'nl%sh1' % short
            self._veth(hub_end, host_end, hub)
            with _subnet_lock():
                self.subnet = subnet or _free_subnet()
                self.host_address = '%s.254' % self.subnet
                _run(['ip', 'addr', 'add', '%s/24' % self.host_address,
                      'dev', host_end])
            _run(['ip', 'link', 'set', host_end, 'up'])
            self._ip(hub, 'addr', 'add', '%s.1/24' % self.subnet,
                     'dev', 'br0')
            self.address[hub] = '%s.1' % self.subnet
            for index, node in enumerate(self.nodes[1:], start=1):
                hub_end, node_end = ('nl%sa%d' % (short, index),
                                     'nl%sb%d' % (short, index))
                self._veth(hub_end, node_end, hub)
                _run(['ip', 'link', 'set', node_end,
                      'netns', self.netns[node]])
                self._ip(node, 'link', 'set', node_end, 'name', 'eth0')
                address = '%s.%d' % (self.subnet, 10 + index)
                self._ip(node, 'addr', 'add', address + '/24', 'dev', 'eth0')
                self._ip(node, 'link', 'set', 'eth0', 'up')
                self.address[node] = address
            self._write_owner()
        except BaseException:
            self.cleanup()
            raise

    def _ip(self, node, *args):
        return _run(['ip', '-n', self.netns[node]] + list(args))

    def _add_netns(self, node):
        name = '%s-%s' % (self.name, node)
        self.netns[node] = name
        self._write_owner()
        _run(['ip', 'netns', 'add', name])
        self._ip(node, 'link', 'set', 'lo', 'up')

    def _veth(self, near, far, hub):
        """A veth pair: ``near`` moved onto the hub's bridge, ``far`` left
        in the host's namespace."""
        self.links.append(far)
        self._write_owner()
        _run(['ip', 'link', 'add', near, 'type', 'veth', 'peer', 'name',
              far])
        _run(['ip', 'link', 'set', near, 'netns', self.netns[hub]])
        self._ip(hub, 'link', 'set', near, 'master', 'br0')
        self._ip(hub, 'link', 'set', near, 'up')

    def _write_owner(self):
        record = {'kind': 'netlab', 'owner_pid': os.getpid(),
                  'name': self.name, 'netns': list(self.netns.values()),
                  'links': list(self.links), 'dirs': list(self.dirs)}
        tmp = os.path.join(self.workdir, OWNER_FILE + '.tmp')
        with open(tmp, 'w') as fh:
            json.dump(record, fh)
        os.replace(tmp, os.path.join(self.workdir, OWNER_FILE))

    def adopt_dir(self, path):
        """Remove ``path`` with the lab (e.g. a RabbitNode's directory), also
        when the sweeper removes the lab of a test process that died."""
        self.dirs.append(path)
        self._write_owner()

    def prefix(self, node):
        """Command prefix running a command on ``node``."""
        return netns_prefix(self.netns[node])

    def pids(self, node):
        """Pids of the processes in ``node``'s namespace."""
        return netns_pids(self.netns[node])

    def cleanup(self):
        """Kill what runs in the namespaces, delete them and the links.
        Safe to call twice."""
        _remove_netlab(list(self.netns.values()), list(self.links))
        self.netns = {}
        self.links = []
        if not os.environ.get('NOVALITE_KEEP_TEST_DIRS'):
            for path in self.dirs + [self.workdir]:
                shutil.rmtree(path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.cleanup()


def netns_pids(netns):
    """Pids of the processes in network namespace ``netns`` ([] if none)."""
    proc = _run(['ip', 'netns', 'pids', netns], check=False, timeout=30)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def _remove_netlab(namespaces, links):
    """Kill every process in ``namespaces`` (they belong to the lab), delete
    the namespaces and the host-side ``links``."""
    for netns in namespaces:
        for _ in range(50):
            pids = netns_pids(netns)
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        _run(['ip', 'netns', 'del', netns], check=False, timeout=30)
    for link in links:
        _run(['ip', 'link', 'del', link], check=False, timeout=30)


@contextlib.contextmanager
def _subnet_lock():
    import fcntl
    with open(os.path.join(tempfile.gettempdir(), 'nltest-netlab.lock'),
              'w') as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _free_subnet():
    """``10.254.N`` with N random among those no route or address of this
    namespace uses."""
    import random
    used = _run(['ip', '-4', 'route', 'show', 'table', 'all']).stdout + \
        _run(['ip', '-4', 'addr']).stdout
    candidates = [n for n in range(1, 250)
                  if '10.254.%d.' % n not in used]
    if not candidates:
        raise HarnessError('no free 10.254.N.0/24 subnet')
    return '10.254.%d' % random.choice(candidates)


def _chown_to_rabbitmq(path):
    import pwd
    try:
        entry = pwd.getpwnam('rabbitmq')
    except KeyError:
        return
    if os.geteuid() == 0:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie we do not own still answers kill(0); check /proc.
    try:
        with open('/proc/%d/stat' % pid) as fh:
            return fh.read().split()[2] != 'Z'
    except OSError:
        return False


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as fh:
            return fh.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def sweep_leftovers(tmpdir=None, log=print):
    """Remove what test runs that died left behind, and nothing else.

    A cloud's work directory holds ``owner.json`` naming the test process
    that created it. Only clouds whose owner process is gone are swept:
    their daemons (pids recorded, and only while their command line still
    names the work directory), database, DB users, vhost and directory.
    Clouds of test runs still going, whoever started them, are left alone.

    :returns: the names swept.
    """
    swept = []
    base = tmpdir or tempfile.gettempdir()
    for owner_path in glob.glob(os.path.join(base, NAME_PREFIX + '*',
                                             OWNER_FILE)):
        workdir = os.path.dirname(owner_path)
        try:
            with open(owner_path) as fh:
                record = json.load(fh)
        except (OSError, ValueError):
            continue
        if _alive(record.get('owner_pid') or 0):
            continue
        if record.get('kind') == 'netlab':
            _remove_netlab(record.get('netns') or (),
                           record.get('links') or ())
            for path in (record.get('dirs') or []) + [workdir]:
                shutil.rmtree(path, ignore_errors=True)
            swept.append(record['name'])
            log('swept leftover network lab %s' % record['name'])
            continue
        for pid in record.get('daemon_pids') or ():
            if workdir in _cmdline(pid):
                with contextlib.suppress(ProcessLookupError,
                                         PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            with contextlib.closing(mysql_admin()) as conn, \
                    conn.cursor() as cur:
                cur.execute('DROP DATABASE IF EXISTS `%s`'
                            % record['db_name'])
                for user in filter(None, record.get('db_users') or ()):
                    for host in ('localhost', '127.0.0.1', '%'):
                        cur.execute("DROP USER IF EXISTS '%s'@'%s'"
                                    % (user, host))
        if not record.get('private_rabbit'):
            rabbitmqctl('delete_vhost', record['vhost'], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
        swept.append(record['name'])
        log('swept leftover test cloud %s' % record['name'])
    return swept


if __name__ == '__main__':
    if sys.argv[1:] != ['sweep']:
        sys.exit('usage: python -m tests.functional.cloud sweep')
    sweep_leftovers()
