"""Base class of every service's RPC endpoint (``<service>/manager.py``).

A manager is thin: its RPC methods lock, validate and hand work to flow
modules. Periodic tasks are oslo.service ``@periodic_task`` methods.
"""

import oslo_messaging as messaging
from oslo_service import periodic_task

from novalite import conf

CONF = conf.CONF


class Manager(periodic_task.PeriodicTasks):
    """RPC endpoint plus periodic tasks for one service on one host."""

    target = messaging.Target(version='1.0')

    def __init__(self, host=None, service_name='undefined'):
        super().__init__(CONF)
        self.host = host or CONF.host
        self.service_name = service_name
        self.additional_endpoints = []

    def init_host(self):
        """Hook run before the service starts consuming RPC messages."""

    def post_start_hook(self):
        """Hook run once the RPC server is consuming."""

    def cleanup_host(self):
        """Hook run while the service stops."""

    def reset(self):
        """Hook run on SIGHUP."""

    def periodic_tasks(self, context, raise_on_error=False):
        """Run due periodic tasks; returns seconds until the next is due."""
        return self.run_periodic_tasks(context, raise_on_error=raise_on_error)
