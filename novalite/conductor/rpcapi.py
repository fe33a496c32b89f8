"""Client side of the conductor RPC API (topic ``conductor``).

Object calls are ``call``: the caller needs the result. Every method here is
what ``NovaliteObject.indirection_api`` calls when a remotable method runs
outside the conductor.
"""

from oslo_log import log as logging
import oslo_messaging as messaging

from novalite import rpc

LOG = logging.getLogger(__name__)

TOPIC = 'conductor'


class ConductorAPI:
    """The conductor's object proxy, version 1.0."""

    def __init__(self):
        self.client = rpc.get_client(TOPIC, version='1.0')

    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        """Run ``objname.objmethod(context, *args, **kwargs)`` in the conductor."""
        cctxt = self.client.prepare()
        return cctxt.call(context, 'object_class_action_versions',
                          objname=objname, objmethod=objmethod,
                          object_versions=object_versions,
                          args=args, kwargs=kwargs)

    def object_action(self, context, objinst, objmethod, args, kwargs):
        """Run ``objinst.objmethod(*args, **kwargs)`` in the conductor.

        :returns: ``(updates, result)``; the caller applies ``updates``.
        """
        cctxt = self.client.prepare()
        return cctxt.call(context, 'object_action', objinst=objinst,
                          objmethod=objmethod, args=args, kwargs=kwargs)

    def object_backport_versions(self, context, objinst, object_versions):
        """Return ``objinst`` backported to the versions the caller knows."""
        cctxt = self.client.prepare()
        return cctxt.call(context, 'object_backport_versions',
                          objinst=objinst, object_versions=object_versions)

    def ping(self, context, timeout=None):
        """Round trip to any conductor; :raises: MessagingTimeout."""
        cctxt = self.client.prepare(timeout=timeout)
        return cctxt.call(context, 'ping')

    def wait_until_ready(self, context, attempt_timeout=5):
        """Block until a conductor answers, logging every failed attempt."""
        attempt = 0
        while True:
            try:
                self.ping(context, timeout=attempt_timeout)
                if attempt:
                    LOG.info('Conductor answered after %d attempts', attempt)
                return
            except messaging.MessagingTimeout:
                attempt += 1
                LOG.warning('Waiting for novalite-conductor (attempt %d)',
                            attempt)
