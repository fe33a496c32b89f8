"""The conductor's ``compute_task`` endpoint: build orchestration over RPC.

Thin: the work is in :mod:`novalite.conductor.build`. Registered next to
the object proxy by :class:`~novalite.conductor.manager.ConductorManager`.
"""

import datetime

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_utils import timeutils

from novalite.compute import rpcapi as compute_rpcapi
from novalite.conductor import build
from novalite.conductor import rpcapi as conductor_rpcapi
from novalite import conf
from novalite import context as nl_context
from novalite import green
from novalite.scheduler import rpcapi as scheduler_rpcapi

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Seconds after start-up before orphaned builds are looked for: casts that
# waited in the queue while no conductor ran get picked up first.
ORPHAN_SWEEP_DELAY = 5


class ComputeTaskManager:
    """RPC endpoint for namespace ``compute_task``, version 1.0."""

    target = messaging.Target(
        namespace=conductor_rpcapi.COMPUTE_TASK_NAMESPACE, version='1.0')

    def __init__(self, host=None):
        self.host = host or CONF.host
        self.builder = build.BuildConductor(scheduler_rpcapi.SchedulerAPI(),
                                            compute_rpcapi.ComputeAPI(),
                                            host=self.host)
        self.started_at = None

    def build_instances(self, context, instances, image, request_spec,
                        requested_networks=None, admin_password=None,
                        injected_files=None, host_lists=None,
                        filter_properties=None):
        """Schedule and build ``instances``, or reschedule one (cast)."""
        new_request = host_lists is None and \
            not (filter_properties or {}).get('retry')
        if new_request and not self.builder.accept_request(context,
                                                           instances):
            return
        self.builder.build_instances(
            context, instances, image, request_spec,
            requested_networks=requested_networks,
            admin_password=admin_password, injected_files=injected_files,
            host_lists=host_lists, filter_properties=filter_properties)

    def resume_build(self, context, instance, failed_host=None,
                     reason=None):
        """Schedule again a build a compute hands back (cast): it restarted
        in the middle of it, or the build's cast never reached it.

        ``failed_host`` is not tried again; when the attempts are spent the
        instance goes to ERROR with a fault that gives ``reason``.
        """
        self.builder.redrive_build(context, instance,
                                   failed_host=failed_host, reason=reason)

    def check_lost_builds(self, context):
        """Re-drive builds left in ``scheduling`` with no host for longer
        than ``[conductor] lost_build_timeout``: the cast that carried them
        was lost (a broker restart) or the conductor handling it died."""
        timeout = CONF.conductor.lost_build_timeout
        if not timeout:
            return
        older_than = timeutils.utcnow() - datetime.timedelta(seconds=timeout)
        lost = self.builder.lost_builds(context, older_than)
        if lost:
            LOG.warning('Re-driving %d build(s) waiting for a host for more '
                        'than %d s', len(lost), timeout)
        self._redrive(context, lost, older_than)

    def post_start_hook(self):
        """Start the one-off sweep for builds a dead conductor lost."""
        self.started_at = timeutils.utcnow()
        green.spawn_n(self._redrive_orphans)

    def _redrive_orphans(self):
        green.sleep(ORPHAN_SWEEP_DELAY)
        ctxt = nl_context.get_admin_context()
        try:
            orphans = self.builder.orphaned_builds(ctxt, self.started_at)
        except Exception:
            LOG.exception('Could not look for orphaned builds')
            return
        if orphans:
            LOG.warning('Re-driving %d build(s) lost by a previous '
                        'conductor', len(orphans))
        self._redrive(ctxt, orphans, self.started_at)

    def _redrive(self, ctxt, instances, untouched_since):
        # Every conductor worker looks; the one that touches the row first
        # re-drives it.
        for instance in instances:
            try:
                if not instance.take_over_build(untouched_since):
                    continue
                self.builder.redrive_build(ctxt, instance)
            except Exception:
                LOG.exception('Could not re-drive the build of %s',
                              instance.uuid)
