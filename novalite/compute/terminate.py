"""Deleting an instance on this host.

The api has set task_state ``deleting`` (the delete wins over any other
task: its saves are not guarded). Under the instance's lock — so a build
in progress first notices the delete and stops — the guest is destroyed,
its fixed IP and claim are freed, the row is marked ``deleted`` and
soft-deleted, and consoleauth is told to drop the instance's console
tokens. A failure puts the instance in ERROR with a fault; deleting it
again retries.
"""

import sys

from oslo_log import log as logging
from oslo_utils import timeutils

from novalite.compute import power_state
from novalite.compute import utils as compute_utils
from novalite.compute import vm_states
from novalite import exception

LOG = logging.getLogger(__name__)

EVENT = 'compute_terminate_instance'


def terminate_instance(manager, context, instance):
    """Delete ``instance`` and everything it holds on this host."""
    with manager.instance_lock(instance.uuid):
        try:
            with compute_utils.EventReporter(context, EVENT, manager.host,
                                             instance.uuid):
                delete_instance(manager, context, instance)
        except exception.InstanceNotFound:
            LOG.info('Instance %s was already deleted', instance.uuid)
            manager.rt.drop_instance(context, instance)
        except Exception as exc:
            LOG.error('Delete of %s failed: %s', instance.uuid, exc,
                      exc_info=True)
            compute_utils.set_error_state(context, instance, exc,
                                          manager.host,
                                          exc_tb=sys.exc_info()[2])


def delete_instance(manager, context, instance):
    """The delete itself, without lock or event (init_host reuses it).

    :raises: InstanceNotFound when the row is gone already.
    """
    manager.driver.destroy(context, instance, instance.get_network_info())
    manager.network_api.deallocate_for_instance(context, instance)
    instance.vm_state = vm_states.DELETED
    instance.task_state = None
    instance.power_state = power_state.NOSTATE
    instance.terminated_at = timeutils.utcnow()
    instance.network_info = None
    instance.save()
    instance.destroy()
    manager.rt.drop_instance(context, instance)
    _delete_console_tokens(manager, context, instance)
    LOG.info('Deleted %s', instance.uuid)


def _delete_console_tokens(manager, context, instance):
    if manager.consoleauth_api is None:  # no consoleauth in this build
        return
    try:
        manager.consoleauth_api.delete_tokens_for_instance(context,
                                                           instance.uuid)
    except Exception:
        LOG.exception('Could not ask consoleauth to drop the tokens of %s',
                      instance.uuid)
