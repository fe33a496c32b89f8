"""Client side of the scheduler RPC API (topic ``scheduler``).

``select_destinations`` is a call: the conductor needs the hosts before it
can cast the build to a compute. Any scheduler process may answer.
"""

import oslo_messaging as messaging

from novalite.objects import base as objects_base
from novalite import rpc

TOPIC = 'scheduler'


class SchedulerAPI:
    """RPC client to novalite-scheduler, version 1.0."""

    def __init__(self):
        target = messaging.Target(topic=TOPIC, version='1.0')
        self.client = rpc.get_client(
            target, serializer=objects_base.NovaliteObjectSerializer())

    def select_destinations(self, ctxt, request_spec, instance_uuids,
                            return_alternates=True, timeout=None):
        """Choose a host (and alternates) for each instance (call).

        :param request_spec: a RequestSpec (flavor, image properties, zone,
            hints, group, retry_hosts ...).
        :param instance_uuids: the instances to place, one Selection list
            each, in this order.
        :param return_alternates: False returns the chosen host only.
        :param timeout: seconds to wait for the answer; default
            ``rpc_response_timeout``.
        :returns: ``[[Selection, ...], ...]``: per instance the chosen host,
            then up to ``[scheduler] max_attempts - 1`` alternates.
        :raises: NoValidHost when the hosts cannot take every instance.
        """
        cctxt = self.client.prepare(timeout=timeout) if timeout \
            else self.client.prepare()
        return cctxt.call(ctxt, 'select_destinations',
                          request_spec=request_spec,
                          instance_uuids=list(instance_uuids or []),
                          return_alternates=return_alternates)
