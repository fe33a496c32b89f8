"""Client side of the conductor RPC API (topic ``conductor``).

Two clients, one per endpoint of novalite-conductor:

- :class:`ConductorAPI` (default namespace), the object proxy: what
  ``NovaliteObject.indirection_api`` calls when a remotable method runs
  outside the conductor. Object calls are ``call``: the caller needs the
  result. :func:`object_indirection` gives the proxy a daemon's entry point
  installs; for novalite-api, which answers a user, it is a
  :class:`DeadlineIndirection`: its calls end by the request's deadline,
  the reads listed in :data:`~novalite.objects.base.IDEMPOTENT_READS` are
  sent again while the broker or the conductor is away, and what finds no
  conductor in time raises
  :class:`~novalite.exception.ConductorUnavailable` (503).
- :class:`ComputeTaskAPI` (namespace ``compute_task``), build
  orchestration: casts, the caller does not wait for the build.
"""

import datetime
import time

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_utils import timeutils

from novalite import exception
from novalite.objects import base as objects_base
from novalite import rpc

LOG = logging.getLogger(__name__)

TOPIC = 'conductor'
# The namespace of the build orchestration endpoint
# (:class:`~novalite.conductor.tasks.ComputeTaskManager`).
COMPUTE_TASK_NAMESPACE = 'compute_task'


def object_indirection(request_deadline=None, retry_after=None):
    """The conductor's object proxy for ``NovaliteObject.indirection_api``.

    :param request_deadline: seconds a request may wait on the conductor,
        from its context's timestamp (novalite-api); with it, remotable
        calls go through a :class:`DeadlineIndirection`.
    :param retry_after: what a 503 tells the client to wait, in seconds.
    """
    api = ConductorAPI()
    if request_deadline:
        api = DeadlineIndirection(api, request_deadline, retry_after)
    return api


class ConductorAPI:
    """The conductor's object proxy, version 1.0."""

    def __init__(self):
        target = messaging.Target(topic=TOPIC, version='1.0')
        self.client = rpc.get_client(
            target, serializer=objects_base.NovaliteObjectSerializer())

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


class DeadlineIndirection:
    """The conductor's object proxy as a caller with a deadline uses it.

    Every call made for a request ends by the request's deadline
    (``request_deadline`` seconds after its context's timestamp). An
    idempotent read, or a write listed as resendable, that gets no answer
    (the broker restarting, the conductor worker holding it killed) is
    sent again, each attempt
    waiting at most a third of the deadline, until one is answered or the
    deadline passes; any other call is sent once. What is still
    unanswered then raises ConductorUnavailable with ``retry_after``.
    """

    # Pause between two attempts of a read: a broker that refuses
    # connections fails an attempt at once.
    RETRY_PAUSE = 0.5

    def __init__(self, api, request_deadline, retry_after=None):
        self._api = api
        self.request_deadline = request_deadline
        self.retry_after = retry_after

    def __getattr__(self, name):  # ping, wait_until_ready
        return getattr(self._api, name)

    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        """The conductor's ``object_class_action_versions``, bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objname, objmethod,
                          self._api.object_class_action_versions, context,
                          objname, objmethod, object_versions, args, kwargs)

    def object_action(self, context, objinst, objmethod, args, kwargs):
        """The conductor's ``object_action``, bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objinst.obj_name(), objmethod,
                          self._api.object_action, context, objinst,
                          objmethod, args, kwargs)

    def object_backport_versions(self, context, objinst, object_versions):
        """The conductor's ``object_backport_versions`` (a read), bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objinst.obj_name(), None,
                          self._api.object_backport_versions, context,
                          objinst, object_versions)

    def deadline(self, context):
        """The ``time.monotonic()`` by which calls for ``context`` end."""
        timestamp = getattr(context, 'timestamp', None)
        age = 0.0
        if isinstance(timestamp, datetime.datetime):
            if timestamp.tzinfo is not None:
                timestamp = timestamp.astimezone(
                    datetime.timezone.utc).replace(tzinfo=None)
            age = (timeutils.utcnow() - timestamp).total_seconds()
        age = min(max(age, 0.0), self.request_deadline)
        return time.monotonic() + self.request_deadline - age

    def _call(self, context, objname, objmethod, func, *args):
        deadline = self.deadline(context)
        retried = objmethod is None or \
            objects_base.is_resendable(objname, objmethod)
        attempt_timeout = self.request_deadline / 3.0 if retried else None
        what = '%s.%s' % (objname, objmethod or 'obj_backport')
        attempts = 0
        while True:
            attempts += 1
            try:
                with rpc.bounded_calls(deadline, attempt_timeout):
                    result = func(*args)
            except rpc.UNREACHABLE as exc:
                if retried and \
                        deadline - time.monotonic() > self.RETRY_PAUSE:
                    time.sleep(self.RETRY_PAUSE)
                    continue
                LOG.warning('novalite-conductor unreachable: %s got no '
                            'answer (%d attempt(s), %s): %s', what,
                            attempts, 'resent' if retried else 'not resent',
                            exc)
                raise exception.ConductorUnavailable(
                    retry_after=self.retry_after) from exc
            if attempts > 1:
                LOG.info('%s answered at attempt %d', what, attempts)
            return result


class ComputeTaskAPI:
    """Build orchestration in the conductor (namespace ``compute_task``)."""

    def __init__(self):
        target = messaging.Target(topic=TOPIC, version='1.0',
                                  namespace=COMPUTE_TASK_NAMESPACE)
        self.client = rpc.get_client(
            target, serializer=objects_base.NovaliteObjectSerializer())

    def build_instances(self, ctxt, instances, image, request_spec,
                        requested_networks=None, admin_password=None,
                        injected_files=None, host_lists=None,
                        filter_properties=None):
        """Schedule and build ``instances`` (cast).

        The api calls this once per request; a compute calls it again for
        a reschedule, passing the alternates it was given in
        ``host_lists`` and the hosts tried so far in
        ``filter_properties['retry']``.
        """
        self.client.prepare().cast(
            ctxt, 'build_instances', instances=instances, image=image,
            request_spec=request_spec,
            requested_networks=requested_networks,
            admin_password=admin_password, injected_files=injected_files,
            host_lists=host_lists,
            filter_properties=filter_properties or {})

    def resume_build(self, ctxt, instance, failed_host=None, reason=None):
        """Hand back a build this compute cannot finish (cast).

        For a build interrupted by the compute's restart, or assigned to
        it but never received: the conductor schedules it again without
        ``failed_host`` while ``[scheduler] max_attempts`` allows, and
        otherwise puts it in ERROR with a fault giving ``reason``.
        """
        self.client.prepare().cast(ctxt, 'resume_build', instance=instance,
                                   failed_host=failed_host, reason=reason)
