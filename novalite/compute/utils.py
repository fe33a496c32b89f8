"""Helpers shared by the compute flows: faults, action events, task guards.

:func:`instance_task` is the one place where a failed operation reverts the
instance's ``task_state``, records an instance fault and marks the action
event failed; every flow that works from a task state the api set runs its
body inside it.
"""

import contextlib
import sys
import traceback

import oslo_messaging as messaging
from oslo_log import log as logging

from novalite.compute import vm_states
from novalite import exception
from novalite import green
from novalite import objects

LOG = logging.getLogger(__name__)

# Column width of instance_faults.message.
_FAULT_MESSAGE_MAX = 255

# Raised when the instance was deleted or moved on by someone else while we
# worked: nothing to revert, nothing to blame on this operation.
SUPERSEDED = (exception.UnexpectedTaskStateError,
              exception.UnexpectedVMStateError,
              exception.InstanceNotFound)
# A guarded save lost its race. (InstanceNotFound is left out: a driver
# raises it for a missing guest, which is a failure to revert from.)
LOST_RACE = (exception.UnexpectedTaskStateError,
             exception.UnexpectedVMStateError)


def messaging_failure_message(exc, host=None):
    """What a failure of the message bus means, in words a user can act on.

    A bare ``MessagingTimeout`` says neither what was interrupted nor
    where; this names the host and says that trying again helps.
    """
    where = ' on %s' % host if host else ''
    if isinstance(exc, messaging.MessagingTimeout):
        what = ('got no answer in time from novalite-conductor (the '
                'message queue or the conductor was briefly unavailable)')
    else:
        what = ('could not send a message to novalite-conductor (the '
                'message queue was unavailable)')
    return 'novalite-compute%s %s; the operation was interrupted and may ' \
        'be tried again' % (where, what)


_MESSAGING_ERRORS = (messaging.MessagingTimeout,
                     messaging.MessageDeliveryFailure)


def exception_to_fault(exc, exc_tb=None, host=None):
    """``(code, message, details)`` of an exception, as Nova shows faults.

    Novalite exceptions show their formatted message and HTTP code; a
    failure of the message bus is said in words with the ``host`` it hit;
    any other exception shows its class name with code 500, and the text
    in the details, so no internals leak into ``message``.
    """
    if isinstance(exc, exception.NovaliteException):
        code = exc.kwargs.get('code', exc.code) or 500
        message = exc.format_message()
    elif isinstance(exc, _MESSAGING_ERRORS):
        code = 503
        message = messaging_failure_message(exc, host)
    else:
        code = 500
        message = type(exc).__name__
    details = str(exc)
    if exc_tb is not None:
        if not isinstance(exc_tb, str):
            exc_tb = ''.join(traceback.format_tb(exc_tb))
        details = '%s\n%s' % (details, exc_tb) if details else exc_tb
    return int(code), message[:_FAULT_MESSAGE_MAX], details


def add_instance_fault_from_exc(context, instance, exc, exc_tb=None,
                                host=None, fault_message=None):
    """Record why ``instance`` went wrong (shown as ``fault`` by the api).

    Never raises: failing to record a fault must not hide the failure.
    """
    code, message, details = exception_to_fault(exc, exc_tb, host=host)
    if fault_message:
        message = fault_message[:_FAULT_MESSAGE_MAX]
    try:
        fault = objects.InstanceFault(context, instance_uuid=instance.uuid,
                                      code=code, message=message,
                                      details=details, host=host)
        fault.create()
        return fault
    except Exception:
        LOG.exception('Could not record fault %r for instance %s', message,
                      instance.uuid)


class EventReporter:
    """Context manager recording an instance action event.

    ``with EventReporter(ctxt, 'compute_stop_instance', host, uuid):`` starts
    the event on entry and finishes it on exit, with ``Error`` and the
    traceback when the block raised. An instance without an action for the
    context's request (a periodic task's work, say) gets no event.

    The start is written in a green thread while the block runs (it is one
    conductor round trip the block need not wait for); the exit waits for
    it before writing the finish.
    """

    def __init__(self, context, event_name, host, *instance_uuids):
        self.context = context
        self.event_name = event_name
        self.host = host
        self.instance_uuids = instance_uuids
        self._starting = None

    def _start(self):
        started = []
        for uuid in self.instance_uuids:
            try:
                objects.InstanceActionEvent.event_start(
                    self.context, uuid, self.event_name, want_result=False,
                    host=self.host)
                started.append(uuid)
            except exception.InstanceActionNotFound:
                LOG.debug('No action for request %s on %s; event %s not '
                          'recorded', self.context.request_id, uuid,
                          self.event_name)
            except Exception:
                LOG.exception('Could not start event %s of %s',
                              self.event_name, uuid)
        return started

    def __enter__(self):
        self._starting = green.spawn(self._start)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        for uuid in self._starting.wait():
            try:
                objects.InstanceActionEvent.event_finish_with_failure(
                    self.context, uuid, self.event_name, exc_val=exc_val,
                    exc_tb=exc_tb, want_result=False)
            except Exception:
                LOG.exception('Could not finish event %s of %s',
                              self.event_name, uuid)
        return False


def revert_task_state(instance, expected=()):
    """Put ``task_state`` back to None (plus whatever else the caller set).

    Guarded by the task states the operation may have left the row in
    (``expected`` plus the one the object holds now), so a revert never
    undoes someone else's newer state. Never raises.
    """
    guard = list(expected)
    if instance.task_state not in guard:
        guard.append(instance.task_state)
    instance.task_state = None
    try:
        instance.save(expected_task_state=guard)
        return True
    except SUPERSEDED as exc:
        LOG.info('Not reverting task_state of %s: %s', instance.uuid,
                 exc.format_message())
    except Exception:
        LOG.exception('Could not revert task_state of %s', instance.uuid)
    return False


@contextlib.contextmanager
def instance_task(context, instance, event_name, host):
    """Run an operation that the api started by setting a task state.

    On success the body has written the final state itself. On failure:

    - the instance was deleted or moved on meanwhile (guarded save lost):
      logged, nothing reverted;
    - anything else: an instance fault is recorded and ``task_state`` is
      reverted to None together with any field the body staged (a body
      that decided the instance is broken stages ``vm_state = ERROR``).

    Either way the action event ends ``Error`` and the exception is not
    propagated: the RPC methods using this are casts.
    """
    original = instance.task_state
    try:
        with EventReporter(context, event_name, host, instance.uuid):
            yield
    except LOST_RACE as exc:
        LOG.info('%s of %s superseded: %s', event_name, instance.uuid,
                 exc.format_message())
    except Exception as exc:
        LOG.error('%s of %s failed: %s', event_name, instance.uuid, exc,
                  exc_info=True)
        add_instance_fault_from_exc(context, instance, exc,
                                    sys.exc_info()[2], host=host)
        revert_task_state(instance, expected=[original])


def set_error_state(context, instance, exc, host, expected_task_state=None,
                    exc_tb=None):
    """Put ``instance`` in ERROR with no task and a fault explaining ``exc``.

    :param expected_task_state: guard for the save (None: unguarded).
    :returns: True when the state was written.
    """
    add_instance_fault_from_exc(context, instance, exc, exc_tb, host=host)
    instance.vm_state = vm_states.ERROR
    instance.task_state = None
    try:
        instance.save(expected_task_state=expected_task_state)
        return True
    except SUPERSEDED as save_exc:
        LOG.info('Not setting %s to ERROR: %s', instance.uuid,
                 save_exc.format_message())
    except Exception:
        LOG.exception('Could not set %s to ERROR', instance.uuid)
    return False
