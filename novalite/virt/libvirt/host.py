"""The connection to libvirtd and the guests' lifecycle events.

:class:`Host` opens ``[libvirt] connection_uri`` lazily, and again after
libvirtd went away (keepalive and the close callback notice it). In a
green-threaded daemon every call on the connection and on the domains it
returns runs in a native worker thread (:func:`novalite.green.native_proxy`)
so a slow libvirt call (a managed save takes seconds) never stalls RPC or
heartbeats.

Events: libvirt's default event loop runs in one native thread per
process. Its callback only queues ``(uuid, event, detail)`` and writes a
byte into a pipe; a dispatcher (a green thread when the process is
patched) drains the queue, translates each event with
:func:`translate_event` and hands the result to the listener the driver
was given (the compute manager's, through ``ComputeDriver.emit_event``).
"""

import collections
import os
import threading

from oslo_log import log as logging

from novalite import exception
from novalite import green
from novalite.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

_event_loop_started = False


def _libvirt():
    import libvirt
    return libvirt


def translate_event(event, detail):
    """The contract's lifecycle transition of a libvirt lifecycle event,
    or None for events that are not a power-state change."""
    lv = _libvirt()
    if event == lv.VIR_DOMAIN_EVENT_STARTED:
        return virt_driver.EVENT_LIFECYCLE_STARTED
    if event == lv.VIR_DOMAIN_EVENT_STOPPED:
        if detail == lv.VIR_DOMAIN_EVENT_STOPPED_SAVED:
            return virt_driver.EVENT_LIFECYCLE_SUSPENDED
        return virt_driver.EVENT_LIFECYCLE_STOPPED
    if event == lv.VIR_DOMAIN_EVENT_SUSPENDED:
        return virt_driver.EVENT_LIFECYCLE_PAUSED
    if event == lv.VIR_DOMAIN_EVENT_RESUMED:
        return virt_driver.EVENT_LIFECYCLE_RESUMED
    if event == lv.VIR_DOMAIN_EVENT_PMSUSPENDED:
        return virt_driver.EVENT_LIFECYCLE_SUSPENDED
    if event == lv.VIR_DOMAIN_EVENT_CRASHED:
        return virt_driver.EVENT_LIFECYCLE_STOPPED
    return None     # DEFINED, UNDEFINED, SHUTDOWN (still running), ...


def _run_event_loop():
    # Native thread: no logging, no green primitives.
    lv = _libvirt()
    while True:
        lv.virEventRunDefaultImpl()


def start_event_loop():
    """Register and run libvirt's default event loop (once per process).

    Must happen before the first connection is opened for that connection
    to deliver events and keepalives.
    """
    global _event_loop_started
    if _event_loop_started:
        return
    lv = _libvirt()
    # libvirt prints every error on stderr by default; ours are raised
    # and handled (a lookup of a missing domain is not news).
    lv.registerErrorHandler(lambda ctxt, err: None, None)
    lv.virEventRegisterDefaultImpl()
    green.start_native_thread(_run_event_loop, name='libvirt-events')
    _event_loop_started = True


class Host:
    """One libvirt connection with reconnect and event delivery.

    :param uri: libvirt URI.
    :param event_handler: ``callable(LifecycleEvent)``, or None for no
        events.
    """

    def __init__(self, uri, event_handler=None):
        self.uri = uri
        self._event_handler = event_handler
        self._conn = None
        self._broken = False
        self._lock = threading.Lock()
        self._queue = collections.deque()
        self._pipe = None
        self._callback_ids = []

    # -- connection -----------------------------------------------------------

    def get_connection(self):
        """The open connection, reconnecting when it broke.

        :raises: HypervisorUnavailable
        """
        conn = self._conn
        if conn is not None and not self._broken:
            return conn
        with self._lock:
            if self._conn is not None and not self._broken:
                return self._conn
            reconnect = self._conn is not None
            self._close_quietly()
            self._conn = self._connect()
            self._broken = False
            if reconnect and self._event_handler is not None:
                self._resync(self._conn)
            return self._conn

    def _resync(self, conn):
        """Events may have been lost while libvirtd was away: report
        every guest's current state once, as if it had just changed."""
        lv = _libvirt()
        as_event = {lv.VIR_DOMAIN_RUNNING: lv.VIR_DOMAIN_EVENT_STARTED,
                    lv.VIR_DOMAIN_PAUSED: lv.VIR_DOMAIN_EVENT_SUSPENDED,
                    lv.VIR_DOMAIN_SHUTOFF: lv.VIR_DOMAIN_EVENT_STOPPED,
                    lv.VIR_DOMAIN_CRASHED: lv.VIR_DOMAIN_EVENT_STOPPED}
        for dom in conn.listAllDomains(0):
            try:
                event = as_event.get(dom.state(0)[0])
                if event is not None:
                    self._queue.append((dom.UUIDString(), event, 0))
            except lv.libvirtError:
                pass            # went away meanwhile
        LOG.info('Reconnected to libvirt at %s; re-checking every guest',
                 self.uri)
        self._notify(None)

    def _connect(self):
        lv = _libvirt()
        if self._event_handler is not None:
            start_event_loop()
            self._start_dispatcher()
        try:
            raw = lv.open(self.uri)
        except lv.libvirtError as exc:
            LOG.error('Cannot connect to libvirt at %s: %s', self.uri, exc)
            raise exception.HypervisorUnavailable(host=self.uri)
        conn = green.native_proxy(raw, autowrap=(lv.virConnect,
                                                 lv.virDomain,
                                                 lv.virNetwork))
        try:
            conn.registerCloseCallback(self._closed, None)
        except lv.libvirtError:
            LOG.debug('libvirt connection has no close callback')
        if self._event_handler is not None:
            try:
                conn.setKeepAlive(5, 3)
            except lv.libvirtError:
                pass
            self._callback_ids = [conn.domainEventRegisterAny(
                None, lv.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._lifecycle,
                None)]
        LOG.info('Connected to libvirt at %s', self.uri)
        return conn

    def _closed(self, conn, reason, opaque):
        # libvirt's event thread: just flag it; the next call reconnects.
        self._broken = True
        self._notify(None)

    def _close_quietly(self):
        conn, self._conn = self._conn, None
        if conn is None:
            return
        lv = _libvirt()
        for cb_id in self._callback_ids:
            try:
                conn.domainEventDeregisterAny(cb_id)
            except lv.libvirtError:
                pass
        self._callback_ids = []
        try:
            conn.unregisterCloseCallback()
        except lv.libvirtError:
            pass
        try:
            conn.close()
        except lv.libvirtError:
            pass

    def close(self):
        """Deregister events and close the connection (guests keep
        running)."""
        with self._lock:
            self._event_handler = None
            self._close_quietly()

    # -- events ---------------------------------------------------------------

    def _lifecycle(self, conn, dom, event, detail, opaque):
        # libvirt's event thread: queue and wake the dispatcher.
        self._notify((dom.UUIDString(), event, detail))

    def _notify(self, item):
        if item is not None:
            self._queue.append(item)
        if self._pipe is not None:
            try:
                os.write(self._pipe[1], b'.')
            except OSError:
                pass

    def _start_dispatcher(self):
        if self._pipe is not None:
            return
        read_fd, write_fd = os.pipe()
        self._pipe = (read_fd, write_fd)
        if green.is_monkey_patched():
            # The patched os.read waits in the hub on a non-blocking fd.
            os.set_blocking(read_fd, False)
            green.spawn_n(self._dispatch_loop)
        else:
            green.start_native_thread(self._dispatch_loop,
                                      name='libvirt-dispatch')

    def _dispatch_loop(self):
        while True:
            try:
                if not os.read(self._pipe[0], 4096):
                    return
            except BlockingIOError:
                continue
            self.dispatch_pending()

    def dispatch_pending(self):
        """Hand every queued event to the handler (the dispatcher calls
        this; tests may too)."""
        while True:
            try:
                uuid, event, detail = self._queue.popleft()
            except IndexError:
                return
            transition = translate_event(event, detail)
            handler = self._event_handler
            if transition is None or handler is None:
                continue
            LOG.debug('Lifecycle event %s/%s of %s -> %s', event, detail,
                      uuid, transition)
            try:
                handler(virt_driver.LifecycleEvent(uuid, transition))
            except Exception:
                LOG.exception('Lifecycle event handler failed for %s', uuid)
