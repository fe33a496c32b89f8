"""Server side of the scheduler RPC API (topic ``scheduler``).

Thin: the work lives in :mod:`~novalite.scheduler.filter_scheduler` and the
host states in :mod:`~novalite.scheduler.host_manager`.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from novalite import context as nl_context
from novalite import exception
from novalite import manager
from novalite.scheduler import filter_scheduler
from novalite.scheduler import host_manager

LOG = logging.getLogger(__name__)


class SchedulerManager(manager.Manager):
    """Chooses destination hosts for builds."""

    target = messaging.Target(version='1.0')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.driver = filter_scheduler.FilterScheduler(
            host_manager.HostManager(background_refresh=True))

    def post_start_hook(self):
        """Fetch the host states once so the first build does not wait."""
        try:
            self.driver.host_manager.refresh(
                nl_context.get_admin_context())
        except Exception as exc:  # the first request fetches again
            LOG.warning('Could not prefetch host states: %s', exc)

    @messaging.expected_exceptions(exception.NoValidHost)
    def select_destinations(self, context, request_spec, instance_uuids=None,
                            return_alternates=True):
        """Hosts for the instances of ``request_spec``.

        :returns: one list per instance: the chosen Selection, then up to
            ``[scheduler] max_attempts - 1`` alternates.
        :raises: NoValidHost
        """
        return self.driver.select_destinations(
            context, request_spec, instance_uuids=instance_uuids,
            return_alternates=return_alternates)
