"""novalite-all: every novalite service from one command, for a laptop or a demo.

The RPC services (conductor, scheduler, compute, consoleauth) and the APIs
run together in one process; object calls there run locally against the
database — the one place besides the conductor allowed to. The noVNC proxy
forks a process per console connection, so it gets a child process of its
own (and needs a real broker: the ``fake://`` transport is in-process).

With no configuration at all it still starts: the fake virt driver, an
SQLite database under ``state_path`` (created and synced on start) and the
in-process ``fake://`` transport, so the API can be tried without root.
"""

import os
import socket

from oslo_log import log as logging
from oslo_messaging import opts as messaging_opts
from oslo_service import service as os_service

from novalite.cmd import api as api_cmd
from novalite.cmd import common
from novalite import conf
from novalite import service

CONF = conf.CONF
LOG = logging.getLogger(__name__)

RPC_SERVICES = (
    ('novalite-conductor', 'conductor',
     'novalite.conductor.manager.ConductorManager'),
    ('novalite-consoleauth', 'consoleauth',
     'novalite.consoleauth.manager.ConsoleAuthManager'),
    ('novalite-compute', 'compute',
     'novalite.compute.manager.ComputeManager'),
    # Last: its first host-state snapshot then already has the compute.
    ('novalite-scheduler', 'scheduler',
     'novalite.scheduler.manager.SchedulerManager'),
)
_DEFAULT_TRANSPORT = 'rabbit://'


class ServiceGroup(os_service.ServiceBase):
    """Several services started, stopped and waited for as one."""

    def __init__(self, services):
        self.services = services

    def start(self):
        for svc in self.services:
            svc.start()

    def stop(self):
        for svc in reversed(self.services):
            svc.stop()

    def wait(self):
        for svc in self.services:
            svc.wait()

    def reset(self):
        for svc in self.services:
            svc.reset()


class ProxyService(os_service.ServiceBase):
    """novncproxy in the launcher's child process."""

    def start(self):
        from novalite.console import websocketproxy
        websocketproxy.from_config().start_server()

    def stop(self):
        pass

    def wait(self):
        pass

    def reset(self):
        pass


def _embedded_defaults():
    """Defaults that let novalite-all run with nothing installed."""
    for group, opts in messaging_opts.list_opts():
        if group in (None, 'DEFAULT'):
            CONF.register_opts(opts)
    CONF.set_default('compute_driver', 'fake.FakeDriver')
    CONF.set_default('enabled_apis', ['osapi_compute'])
    CONF.set_default('auth_strategy', 'noauth2', group='api')
    CONF.set_default('osapi_compute_listen', '127.0.0.1')


def _embedded_backends():
    """Fill in an SQLite database and the in-process transport if unset."""
    if not CONF.database.connection:
        os.makedirs(CONF.state_path, exist_ok=True)
        path = os.path.join(CONF.state_path, 'novalite.sqlite')
        CONF.set_override('connection', 'sqlite:///%s' % path,
                          group='database')
        LOG.warning('No [database] connection: using %s', path)
    if CONF.transport_url in (None, '', _DEFAULT_TRANSPORT) and \
            not _port_open('127.0.0.1', 5672):
        CONF.set_override('transport_url', 'fake:/')
        LOG.warning('No transport_url and no broker on 127.0.0.1:5672: '
                    'using the in-process fake:// transport (no console '
                    'proxy, no external computes)')


def _port_open(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def _check_database():
    from novalite.db import migration
    migration.check_database()


def main():
    def _start():
        _embedded_defaults()
        common.setup('novalite-all', db_check=_check_database,
                     prepare=_prepare)
        common.check_compute_driver()
        group = ServiceGroup(
            [service.Service.create(binary=binary, topic=topic,
                                    manager=manager)
             for binary, topic, manager in RPC_SERVICES] +
            [api_cmd.WSGIService(api, api_cmd.find_paste_config())
             for api in CONF.enabled_apis])
        launcher = service.process_launcher()
        launcher.launch_service(group, workers=1)
        if CONF.vnc.enabled and not CONF.transport_url.startswith('fake'):
            launcher.launch_service(ProxyService(), workers=1)
        launcher.wait()
    common.run('novalite-all', _start)


def _prepare():
    """Run between option parsing and the start-up checks."""
    _embedded_backends()
    from novalite.db import migration
    if CONF.database.connection.startswith('sqlite'):
        # A private SQLite file is ours to create and keep current.
        migration.db_sync()

