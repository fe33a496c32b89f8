"""Server side of the compute RPC API (topic ``compute.<host>``).

Thin: each RPC method hands the work to a flow module beside it —
:mod:`~novalite.compute.build`, :mod:`~novalite.compute.power`,
:mod:`~novalite.compute.terminate`, :mod:`~novalite.compute.console`,
:mod:`~novalite.compute.recovery` — which take the instance's lock and
guard every state write. Periodic tasks refresh the node's resources,
reconcile power states and fail builds that will never finish.
"""

import contextlib

import oslo_messaging as messaging
from oslo_concurrency import lockutils
from oslo_log import log as logging
from oslo_service import periodic_task
from oslo_utils import importutils

from novalite.compute import build
from novalite.compute import console
from novalite.compute import power
from novalite.compute import power_state
from novalite.compute import recovery
from novalite.compute import resource_tracker
from novalite.compute import terminate
from novalite.conductor import rpcapi as conductor_rpcapi
from novalite import conf
from novalite import context as nl_context
from novalite import exception
from novalite import green
from novalite import manager
from novalite import objects
from novalite.network import api as network_api
from novalite.virt import driver as virt_driver

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Periodic task name -> (group, option) holding its spacing in seconds.
_SPACING_OPTS = {
    'update_available_resource': (None, 'update_resources_interval'),
    'sync_power_states': (None, 'sync_power_state_interval'),
    'run_image_cache_manager_pass': ('image', 'image_cache_manager_interval'),
}
_BUILD_TIMEOUT_CHECK_SPACING = 10


class ComputeManager(manager.Manager):
    """Manages the instances on one compute host."""

    target = messaging.Target(version='1.0')

    def __init__(self, host=None, service_name='novalite-compute'):
        super().__init__(host=host, service_name=service_name)
        # An unknown driver ends the daemon here with one line naming
        # [DEFAULT] compute_driver (ConfigError).
        self.driver = virt_driver.load_compute_driver()
        self.rt = resource_tracker.ResourceTracker(self.host, self.driver)
        self.network_api = network_api.API()
        self.compute_task_api = conductor_rpcapi.ComputeTaskAPI()
        consoleauth = importutils.try_import('novalite.consoleauth.rpcapi')
        self.consoleauth_api = (consoleauth.ConsoleAuthAPI()
                                if consoleauth else None)
        self.build_semaphore = (green.Semaphore(CONF.max_concurrent_builds)
                                if CONF.max_concurrent_builds
                                else contextlib.nullcontext())
        self.builds_in_flight = set()
        self._busy = {}
        self._periodic_spacing = dict(self._periodic_spacing)
        for name, (group, opt) in _SPACING_OPTS.items():
            value = getattr(CONF[group] if group else CONF, opt)
            # Nova's meaning: 0 is the default cadence (60 s); a negative
            # value disables the task, which then only wakes hourly.
            self._periodic_spacing[name] = (value if value > 0 else
                                            60 if value == 0 else 3600)
        # Builds never received are handed back after twice
        # rpc_response_timeout: half that is the cadence, unless a build
        # timeout asks for more.
        self._periodic_spacing['check_build_timeouts'] = (
            _BUILD_TIMEOUT_CHECK_SPACING if CONF.instance_build_timeout
            else min(60, max(5, CONF.rpc_response_timeout // 2)))

    # -- helpers the flows use ------------------------------------------------

    @property
    def nodename(self):
        return self.driver.get_available_nodes()[0]

    @contextlib.contextmanager
    def instance_lock(self, instance_uuid):
        """Serialise work on one instance (builds, actions, deletes)."""
        self._busy[instance_uuid] = self._busy.get(instance_uuid, 0) + 1
        try:
            with lockutils.lock('instance-' + instance_uuid):
                yield
        finally:
            count = self._busy.pop(instance_uuid) - 1
            if count:
                self._busy[instance_uuid] = count

    def group_lock(self, group_uuid):
        """Serialise the late server-group policy checks on this host."""
        return lockutils.lock('group-' + group_uuid)

    def is_busy(self, instance_uuid):
        """True while an operation holds or waits for the instance."""
        return instance_uuid in self._busy

    def power_state_of(self, instance):
        """The driver's power state of ``instance`` (NOSTATE if unknown)."""
        try:
            return self.driver.get_info(instance).state
        except exception.InstanceNotFound:
            return power_state.NOSTATE

    # -- service hooks --------------------------------------------------------

    def init_host(self):
        """Recover this host's instances before consuming RPC."""
        self.driver.register_event_listener(self._handle_lifecycle_event)
        recovery.init_host(self, nl_context.get_admin_context())

    def cleanup_host(self):
        self.driver.register_event_listener(None)
        self.driver.cleanup_host(self.host)

    def _handle_lifecycle_event(self, event):
        # Actions in progress write their own outcome; only transitions
        # nobody asked for (a guest shutting itself down) need a sync.
        if self.is_busy(event.instance_uuid):
            return
        green.spawn_n(self._sync_one, event.instance_uuid)

    def _sync_one(self, instance_uuid):
        ctxt = nl_context.get_admin_context()
        with self.instance_lock(instance_uuid):
            try:
                instance = objects.Instance.get_by_uuid(ctxt, instance_uuid)
            except exception.InstanceNotFound:
                return
            if instance.host == self.host:
                recovery.sync_instance_power_state(self, ctxt, instance)

    # -- builds and deletes ---------------------------------------------------

    def build_and_run_instance(self, context, instance, image, request_spec,
                               filter_properties, requested_networks=None,
                               node=None, limits=None, host_list=None,
                               admin_password=None, injected_files=None):
        """Build ``instance`` here (cast); returns at once."""
        build.build_and_run_instance(
            self, context, instance, image, request_spec, filter_properties,
            requested_networks, node, limits, host_list, admin_password,
            injected_files)

    def terminate_instance(self, context, instance):
        """Delete ``instance`` (cast)."""
        terminate.terminate_instance(self, context, instance)

    # -- power actions (casts) ------------------------------------------------

    def stop_instance(self, context, instance, clean_shutdown=True):
        power.stop_instance(self, context, instance, clean_shutdown)

    def start_instance(self, context, instance):
        power.start_instance(self, context, instance)

    def reboot_instance(self, context, instance, reboot_type):
        power.reboot_instance(self, context, instance, reboot_type)

    def pause_instance(self, context, instance):
        power.pause_instance(self, context, instance)

    def unpause_instance(self, context, instance):
        power.unpause_instance(self, context, instance)

    def suspend_instance(self, context, instance):
        power.suspend_instance(self, context, instance)

    def resume_instance(self, context, instance):
        power.resume_instance(self, context, instance)

    # -- consoles (calls) -----------------------------------------------------

    @messaging.expected_exceptions(exception.NovaliteException)
    def get_vnc_console(self, context, instance, console_type):
        """Connect info with a fresh token.

        :raises: ConsoleTypeUnavailable, ConsoleTypeInvalid,
            InstanceNotFound
        """
        return console.get_vnc_console(self, context, instance, console_type)

    @messaging.expected_exceptions(exception.NovaliteException)
    def validate_console_port(self, context, instance, port, console_type):
        """True when ``port`` is still the instance's console port."""
        return console.validate_console_port(self, context, instance, port,
                                             console_type)

    @messaging.expected_exceptions(exception.NovaliteException)
    def get_console_output(self, context, instance, tail_length=None):
        """The guest's console log. :raises: InstanceNotFound"""
        return console.get_console_output(self, context, instance,
                                          tail_length)

    # -- periodic tasks -------------------------------------------------------

    @periodic_task.periodic_task(spacing=60, run_immediately=False)
    def update_available_resource(self, context):
        """Push the node's totals and usage to its ComputeNode row."""
        self.rt.update_available_resource(context)

    @periodic_task.periodic_task(spacing=600, run_immediately=False)
    def sync_power_states(self, context):
        """Reconcile idle instances with the hypervisor."""
        if CONF.sync_power_state_interval < 0:
            return
        recovery.sync_power_states(self, context)

    @periodic_task.periodic_task(spacing=2400, run_immediately=False)
    def run_image_cache_manager_pass(self, context):
        """Let the driver drop base images this host no longer uses."""
        if CONF.image.image_cache_manager_interval < 0:
            return
        instances = objects.InstanceList.get_by_host(context, self.host)
        removed = self.driver.manage_image_cache(context, instances)
        if removed:
            LOG.info('Removed unused cached base images: %s',
                     ', '.join(removed))

    @periodic_task.periodic_task(spacing=_BUILD_TIMEOUT_CHECK_SPACING)
    def check_build_timeouts(self, context):
        """Fail builds past ``instance_build_timeout``; hand back to the
        conductor those assigned here that never arrived or stalled."""
        recovery.check_build_timeouts(self, context)
