"""The compute driver contract: what novalite-compute asks a hypervisor.

A driver is the only code that knows the hypervisor. It never touches the
database (``virt/`` does not import ``novalite.db``) and it never writes
instance state: it is handed Instance objects, acts on the guest and
returns; the compute manager records the outcome with guarded saves.

Each method's docstring says what must hold when it returns. Methods raise
:class:`~novalite.exception.InstanceNotFound` for a guest the hypervisor
does not know, and :class:`~novalite.exception.VirtDriverError` (or a
subclass) when the hypervisor refused.

``compute_driver`` names the class relative to ``novalite.virt``
(``fake.FakeDriver``, ``libvirt.LibvirtDriver``); :func:`load_compute_driver`
turns it into an instance or a :class:`~novalite.exception.ConfigError`.
"""

import collections

from oslo_log import log as logging
from oslo_utils import importutils

from novalite import conf
from novalite import exception

CONF = conf.CONF
LOG = logging.getLogger(__name__)

#: ``get_info`` answer. ``state`` is a :mod:`novalite.compute.power_state`.
InstanceInfo = collections.namedtuple('InstanceInfo', ['state'])

#: ``get_vnc_console`` answer; unpacks as ``host, port``.
VncConsole = collections.namedtuple('VncConsole', ['host', 'port'])

# Lifecycle transitions a driver reports through ``emit_event``.
EVENT_LIFECYCLE_STARTED = 0
EVENT_LIFECYCLE_STOPPED = 1
EVENT_LIFECYCLE_PAUSED = 2
EVENT_LIFECYCLE_RESUMED = 3
EVENT_LIFECYCLE_SUSPENDED = 4

#: One guest changed state behind the manager's back (or in front of it).
LifecycleEvent = collections.namedtuple('LifecycleEvent',
                                        ['instance_uuid', 'transition'])


class ComputeDriver:
    """Base class of every virt driver; every operation raises
    ``NotImplementedError`` until a driver overrides it."""

    #: What the driver can do; the manager and scheduler read these.
    capabilities = {
        'supports_pause': True,
        'supports_suspend': True,
        'supports_vnc_console': True,
    }

    def __init__(self, virtapi=None):
        self.virtapi = virtapi
        self._event_callback = None

    # -- host ----------------------------------------------------------------

    def init_host(self, host):
        """Connect to the hypervisor before the compute consumes RPC.

        Afterwards every other method may be called. Raise
        :class:`~novalite.exception.HypervisorUnavailable` when the
        hypervisor cannot be reached.
        """

    def cleanup_host(self, host):
        """Release hypervisor connections while the compute stops.

        Guests keep running: a compute restart is not a host reboot.
        """

    def get_available_nodes(self):
        """Names of the nodes this driver manages (one for most drivers).

        The name is the ``hypervisor_hostname`` of the compute node row.
        """
        return [CONF.host]

    def get_available_resource(self, nodename):
        """Totals and hypervisor facts of ``nodename``.

        :returns: dict with ``vcpus``, ``memory_mb``, ``local_gb`` (totals),
            ``vcpus_used``, ``memory_mb_used``, ``local_gb_used`` (what the
            hypervisor itself sees used), ``hypervisor_type``,
            ``hypervisor_version`` (int), ``hypervisor_hostname``,
            ``cpu_info`` (JSON string) and optionally
            ``supported_instances`` (JSON list of
            ``[arch, hypervisor_type, vm_mode]``).
        """
        raise NotImplementedError()

    # -- guests: queries ------------------------------------------------------

    def list_instance_uuids(self):
        """UUIDs of every guest the hypervisor has, running or not."""
        raise NotImplementedError()

    def instance_exists(self, instance):
        """True when the hypervisor knows ``instance``."""
        return instance.uuid in self.list_instance_uuids()

    def get_info(self, instance):
        """The guest's current state.

        :returns: :data:`InstanceInfo`
        :raises: InstanceNotFound
        """
        raise NotImplementedError()

    def restore_instance_state(self, context, instance):
        """Adopt a guest the database places here but the hypervisor lacks.

        Called by the compute at start-up. A driver whose guests do not
        outlive the compute process (the fake) re-creates its record from
        ``instance`` (``power_state``, ``vm_state``) and returns True; a
        real hypervisor returns False and the manager settles the instance
        to the state the hypervisor reports.
        """
        return False

    # -- guests: lifecycle ----------------------------------------------------

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, network_info, block_device_info=None):
        """Create and start a guest for ``instance``.

        Afterwards the guest exists and ``get_info`` reports RUNNING. On
        failure nothing the call created may be left behind except what
        ``destroy`` removes.

        :param image_meta: dict of the image (``id``, ``properties``...).
        :param network_info: list of VIF dicts (``address``, ``mac``,
            ``network``, ``type``, ``version``).
        """
        raise NotImplementedError()

    def destroy(self, context, instance, network_info,
                destroy_disks=True):
        """Stop and undefine the guest; remove its disks when asked.

        Afterwards the hypervisor does not know ``instance``. Destroying a
        guest that does not exist succeeds.
        """
        raise NotImplementedError()

    def reboot(self, context, instance, network_info, reboot_type):
        """Reboot the guest; ``reboot_type`` is ``'SOFT'`` or ``'HARD'``.

        Afterwards the guest is RUNNING. A HARD reboot also starts a guest
        that was shut off, paused or suspended.
        """
        raise NotImplementedError()

    def power_off(self, instance, timeout=0, retry_interval=0):
        """Shut the guest down; give it ``timeout`` seconds to do so
        cleanly (0: pull the plug).

        Afterwards ``get_info`` reports SHUTDOWN.
        """
        raise NotImplementedError()

    def power_on(self, context, instance, network_info):
        """Start a shut-off guest. Afterwards it is RUNNING."""
        raise NotImplementedError()

    def pause(self, instance):
        """Freeze the guest in memory. Afterwards it is PAUSED."""
        raise NotImplementedError()

    def unpause(self, instance):
        """Thaw a paused guest. Afterwards it is RUNNING."""
        raise NotImplementedError()

    def suspend(self, context, instance):
        """Save the guest's memory to disk and stop it.

        Afterwards ``get_info`` reports SUSPENDED (or SHUTDOWN where the
        hypervisor cannot tell the two apart).
        """
        raise NotImplementedError()

    def resume(self, context, instance, network_info):
        """Restore a suspended guest. Afterwards it is RUNNING."""
        raise NotImplementedError()

    # -- consoles -------------------------------------------------------------

    def get_console_output(self, context, instance):
        """The guest's serial console log so far, as text."""
        raise NotImplementedError()

    def get_vnc_console(self, context, instance):
        """Where the guest's VNC server listens.

        :returns: :data:`VncConsole` ``(host, port)``; ``host`` is the
            address novncproxy connects to.
        :raises: ConsoleTypeUnavailable when the guest has no VNC console.
        """
        raise NotImplementedError()

    def manage_image_cache(self, context, instances):
        """Drop cached base images none of ``instances`` (this host's)
        needs any more; drivers without a cache keep nothing.

        :returns: the image ids removed.
        """
        return []

    # -- events ---------------------------------------------------------------

    def register_event_listener(self, callback):
        """Call ``callback(LifecycleEvent)`` for every guest transition the
        hypervisor reports; None unregisters."""
        self._event_callback = callback

    def emit_event(self, event):
        """Hand ``event`` to the registered listener, if any."""
        if self._event_callback is None:
            return
        try:
            self._event_callback(event)
        except Exception:
            LOG.exception('Lifecycle event handler failed for %s', event)


def load_compute_driver(virtapi=None, compute_driver=None):
    """Instantiate ``novalite.virt.<compute_driver>``.

    :raises: ConfigError naming ``[DEFAULT] compute_driver`` when the class
        cannot be imported or is not a :class:`ComputeDriver`.
    """
    name = compute_driver or CONF.compute_driver
    if not name:
        raise exception.ConfigError(option='[DEFAULT] compute_driver',
                                    reason='no driver is set')
    try:
        driver = importutils.import_object_ns('novalite.virt', name,
                                              virtapi)
    except (ImportError, AttributeError, ValueError, TypeError) as exc:
        raise exception.ConfigError(
            option='[DEFAULT] compute_driver',
            reason='cannot load driver %r: %s' % (name, exc))
    if not isinstance(driver, ComputeDriver):
        raise exception.ConfigError(
            option='[DEFAULT] compute_driver',
            reason='%r is not a compute driver' % name)
    LOG.info('Loaded compute driver %s', name)
    return driver
