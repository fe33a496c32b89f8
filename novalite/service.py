"""Service: one daemon's RPC server, heartbeat and periodic tasks.

``Service.create(binary=..., topic=..., manager=...)`` builds the manager,
and ``start()`` registers the service through the conductor (retrying until
the conductor answers), starts consuming ``topic`` and ``topic.<host>``,
heartbeats every ``report_interval`` and runs the manager's periodic tasks.
On SIGTERM the launcher calls ``stop()``: heartbeats and periodic tasks
are abandoned where they are (a call they wait on may be to a conductor
that is gone), consuming stops, and the RPC requests being handled get
``graceful_shutdown_timeout_seconds`` to finish.
"""

import random
import sys
import threading

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import service as os_service
from oslo_utils import importutils

from novalite import conf
from novalite import context as nl_context
from novalite import exception
from novalite import objects
from novalite import rpc
from novalite.objects import base as objects_base

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class Service(os_service.Service):
    """A daemon on one host: RPC server, heartbeat, periodic tasks."""

    def __init__(self, host, binary, topic, manager, report_interval=None,
                 periodic_enable=None, periodic_fuzzy_delay=None):
        super().__init__()
        self.host = host
        self.binary = binary
        self.topic = topic
        self.manager = importutils.import_object(manager, host=host,
                                                 service_name=binary)
        self.report_interval = report_interval or CONF.report_interval
        self.periodic_enable = (CONF.periodic_enable
                                if periodic_enable is None
                                else periodic_enable)
        self.periodic_fuzzy_delay = (CONF.periodic_fuzzy_delay
                                     if periodic_fuzzy_delay is None
                                     else periodic_fuzzy_delay)
        self.service_ref = None
        self.rpcserver = None
        self._conductor_lost = False
        self.start_failed = False

    @classmethod
    def create(cls, binary, topic, manager, host=None, **kwargs):
        return cls(host or CONF.host, binary, topic, manager, **kwargs)

    def __repr__(self):
        return '<%s: host=%s binary=%s topic=%s>' % (
            type(self).__name__, self.host, self.binary, self.topic)

    def start(self):
        """Register, start consuming and start the timers.

        A :class:`~novalite.exception.ConfigError` from the manager (say, an
        unloadable ``compute_driver``) is logged as one line and ends the
        process with status 1 (see :func:`serve`).
        """
        try:
            self._start()
            return
        except exception.ConfigError as exc:
            message = exc.format_message()
        except Exception:
            self.start_failed = True
            raise  # oslo.service logs it with its traceback
        self.start_failed = True
        LOG.error('%s cannot start: %s', self.binary, message)
        # Not an Exception, so oslo.service does not log a traceback too.
        raise SystemExit(1)

    def _start(self):
        LOG.info('Starting %s on %s', self.binary, self.host)
        ctxt = nl_context.get_admin_context()
        indirection = objects_base.NovaliteObject.indirection_api
        if indirection is not None:
            indirection.wait_until_ready(ctxt)
        self.manager.init_host()
        self.service_ref = self._register(ctxt)
        if self.topic:
            endpoints = [self.manager] + self.manager.additional_endpoints
            target = messaging.Target(topic=self.topic, server=self.host)
            self.rpcserver = rpc.get_server(
                target, endpoints,
                serializer=objects_base.NovaliteObjectSerializer())
            self.rpcserver.start()
        self.manager.post_start_hook()
        self.tg.add_timer(self.report_interval, self.report_state,
                          self.report_interval)
        if self.periodic_enable:
            delay = (random.randint(0, self.periodic_fuzzy_delay)
                     if self.periodic_fuzzy_delay else None)
            self.tg.add_dynamic_timer(self.periodic_tasks,
                                      initial_delay=delay,
                                      periodic_interval_max=60)
        LOG.info('%s on %s is up', self.binary, self.host)

    def _register(self, ctxt):
        """Find or create our service row, waiting for the conductor."""
        attempt = 0
        while True:
            try:
                try:
                    ref = objects.Service.get_by_host_and_binary(
                        ctxt, self.host, self.binary)
                except exception.HostBinaryNotFound:
                    ref = objects.Service(ctxt, host=self.host,
                                          binary=self.binary,
                                          topic=self.topic, report_count=0)
                    try:
                        ref.create()
                    except exception.ServiceBinaryExists:
                        continue  # another worker of ours created it
                ref.heartbeat()
                return ref
            except messaging.MessagingTimeout:
                attempt += 1
                LOG.warning('Conductor did not answer while registering '
                            '%s on %s (attempt %d); retrying', self.binary,
                            self.host, attempt)

    def report_state(self):
        """Heartbeat through the conductor; survive its absence."""
        try:
            self.service_ref.heartbeat()
        except Exception as exc:  # keep heartbeating whatever happened
            if not self._conductor_lost:
                LOG.warning('Heartbeat of %s on %s failed: %s', self.binary,
                            self.host, exc)
            self._conductor_lost = True
            return
        if self._conductor_lost:
            LOG.info('Heartbeat of %s on %s recovered', self.binary,
                     self.host)
            self._conductor_lost = False

    def periodic_tasks(self, raise_on_error=False):
        ctxt = nl_context.get_admin_context()
        return self.manager.periodic_tasks(ctxt,
                                           raise_on_error=raise_on_error)

    def stop(self, graceful=True):
        """Stop at once what is periodic, give in-flight RPC work
        ``graceful_shutdown_timeout_seconds``, then clean up.

        A heartbeat or periodic task caught in a call is not waited for:
        with the conductor gone that call would hold the stop for
        ``rpc_response_timeout``, and nothing it does has to be finished
        (the next heartbeat or run does it again). Its green thread ends
        with the process.
        """
        LOG.info('Stopping %s on %s', self.binary, self.host)
        self.tg.stop_timers(wait=False)
        if self.rpcserver is not None:
            self._stop_rpcserver(CONF.graceful_shutdown_timeout_seconds)
        try:
            self.manager.cleanup_host()
        except Exception:
            LOG.exception('Error during %s cleanup_host', self.binary)
        super().stop(graceful=graceful)

    def _stop_rpcserver(self, timeout):
        """Stop consuming; wait up to ``timeout`` s for the requests being
        handled. Returns True when they all finished."""
        try:
            self.rpcserver.stop()
        except Exception:
            LOG.exception('Error stopping the RPC server')
            return False
        finished = threading.Event()

        def wait():
            try:
                self.rpcserver.wait()
            except Exception:
                LOG.exception('Error waiting for the RPC server')
            finally:
                finished.set()

        threading.Thread(target=wait, name='rpcserver-wait',
                         daemon=True).start()
        if finished.wait(timeout):
            return True
        LOG.warning('%s on %s: RPC requests still running after %s s; '
                    'exiting without them', self.binary, self.host,
                    timeout)
        return False

    def reset(self):
        self.manager.reset()
        CONF.mutate_config_files()


# How often the parent of worker processes looks for a dead child to
# restart. oslo.service's default (10 ms) costs the idle parent ~13 ms of
# CPU per second; a restart half a second later is as good.
WORKER_CHECK_INTERVAL = 0.5


def process_launcher():
    """The launcher of a daemon running worker processes."""
    return os_service.ProcessLauncher(CONF, restart_method='mutate',
                                      wait_interval=WORKER_CHECK_INTERVAL)


def serve(server, workers=None):
    """Run ``server`` (a Service or WSGIService) until the process stops."""
    if workers and workers > 1:
        launcher = process_launcher()
        launcher.launch_service(server, workers=workers)
    else:
        launcher = os_service.launch(CONF, server, workers=1,
                                     restart_method='mutate')
    launcher.wait()
    if getattr(server, 'start_failed', False):
        sys.exit(1)
