"""Keeping the database and the hypervisor in agreement.

- :func:`init_host` runs when novalite-compute starts, before it consumes
  RPC: every instance the database places on this host is finished or
  failed so that none stays in a transient state — a build in progress
  is handed back to the conductor for a reschedule elsewhere (ERROR with
  a fault once the attempts are spent), a delete is completed, an interrupted power
  action is redone, anything else settles to the hypervisor's state.
- :func:`sync_power_states` (periodic) reconciles idle instances with what
  the driver reports, as Nova's ``_sync_power_states`` does.
- :func:`check_build_timeouts` (periodic) fails builds older than
  ``instance_build_timeout`` and hands back to the conductor builds
  assigned here that never arrived or stopped half way.
"""

from oslo_log import log as logging
from oslo_utils import timeutils

from novalite.compute import build
from novalite.compute import power
from novalite.compute import power_state
from novalite.compute import task_states
from novalite.compute import terminate
from novalite.compute import utils as compute_utils
from novalite.compute import vm_states
from novalite import conf
from novalite import exception
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Interrupted power actions and the flow that redoes them.
_REDO = {
    task_states.POWERING_OFF:
        lambda m, c, i: power.stop_instance(m, c, i),
    task_states.POWERING_ON: power.start_instance,
    task_states.PAUSING: power.pause_instance,
    task_states.UNPAUSING: power.unpause_instance,
    task_states.SUSPENDING: power.suspend_instance,
    task_states.RESUMING: power.resume_instance,
}
for _state in task_states.SOFT_REBOOT_STATES:
    _REDO[_state] = lambda m, c, i: power.reboot_instance(m, c, i, 'SOFT')
for _state in task_states.HARD_REBOOT_STATES:
    _REDO[_state] = lambda m, c, i: power.reboot_instance(m, c, i, 'HARD')


def init_host(manager, context):
    """Recover every instance of this host, then publish the node."""
    manager.driver.init_host(manager.host)
    instances = objects.InstanceList.get_by_host(context, manager.host)
    for instance in instances:
        try:
            init_instance(manager, context, instance)
        except Exception:
            LOG.exception('Could not recover instance %s', instance.uuid)
    try:
        manager.rt.update_available_resource(context)
    except Exception:
        # The periodic task tries again; the host just stays invisible to
        # the scheduler until then.
        LOG.exception('Could not publish the resources of %s', manager.host)
    LOG.info('%s recovered %d instance(s)', manager.host, len(instances))


def init_instance(manager, context, instance):
    """Finish or fail whatever ``instance`` was doing when we stopped."""
    if instance.vm_state == vm_states.BUILDING:
        _hand_back_interrupted_build(manager, context, instance)
        return
    if (instance.task_state == task_states.DELETING or
            instance.vm_state == vm_states.DELETED):
        LOG.info('Finishing the delete of %s', instance.uuid)
        try:
            terminate.delete_instance(manager, context, instance)
        except exception.InstanceNotFound:
            pass
        return
    known = (manager.driver.instance_exists(instance) or
             manager.driver.restore_instance_state(context, instance))
    redo = _REDO.get(instance.task_state)
    if redo is not None and known:
        LOG.info('Redoing %s of %s', instance.task_state, instance.uuid)
        redo(manager, context, instance)
        return
    if instance.task_state is not None:
        # Nothing to redo it with (the guest is gone): settle below.
        LOG.info('Clearing task %s of %s', instance.task_state,
                 instance.uuid)
        compute_utils.revert_task_state(instance)
    sync_instance_power_state(manager, context, instance)


def _hand_back_interrupted_build(manager, context, instance):
    LOG.info('Build of %s was interrupted by a restart of %s',
             instance.uuid, manager.host)
    build.hand_back(manager, context, instance,
                    'novalite-compute on %s restarted during the build'
                    % manager.host)


def sync_instance_power_state(manager, context, instance):
    """Align an idle instance with the driver's view of its guest.

    Only instances without a task are touched; the write is guarded by
    that, so an action the api starts meanwhile wins.
    """
    if instance.task_state is not None:
        return
    real = manager.power_state_of(instance)
    vm_state = instance.vm_state
    changed = instance.power_state != real
    instance.power_state = real
    if vm_state == vm_states.ACTIVE and real in (power_state.SHUTDOWN,
                                                 power_state.CRASHED,
                                                 power_state.NOSTATE):
        LOG.info('%s is %s on the hypervisor: stopped', instance.uuid,
                 power_state.STATE_MAP.get(real))
        instance.vm_state = vm_states.STOPPED
        changed = True
    elif vm_state == vm_states.PAUSED and real in (power_state.SHUTDOWN,
                                                   power_state.CRASHED):
        instance.vm_state = vm_states.STOPPED
        changed = True
    elif vm_state == vm_states.STOPPED and real in (power_state.RUNNING,
                                                    power_state.PAUSED):
        LOG.info('%s runs although it is stopped: powering it off',
                 instance.uuid)
        try:
            manager.driver.power_off(instance, 0)
            instance.power_state = manager.power_state_of(instance)
            changed = True
        except Exception:
            LOG.exception('Could not power off %s', instance.uuid)
    if changed:
        try:
            instance.save(expected_task_state=[None])
        except compute_utils.SUPERSEDED as exc:
            LOG.debug('Power sync of %s superseded: %s', instance.uuid,
                      exc.format_message())


def sync_power_states(manager, context):
    """Periodic: reconcile every idle instance of this host."""
    instances = objects.InstanceList.get_by_host(context, manager.host)
    for instance in instances:
        if (instance.task_state is not None or
                instance.vm_state in (vm_states.BUILDING, vm_states.ERROR,
                                      vm_states.DELETED) or
                manager.is_busy(instance.uuid)):
            continue
        if manager.power_state_of(instance) == instance.power_state and \
                not _needs_settling(instance):
            continue
        with manager.instance_lock(instance.uuid):
            try:
                instance.refresh()
            except exception.InstanceNotFound:
                continue
            sync_instance_power_state(manager, context, instance)


def _needs_settling(instance):
    return ((instance.vm_state == vm_states.ACTIVE and
             instance.power_state != power_state.RUNNING) or
            (instance.vm_state == vm_states.STOPPED and
             instance.power_state == power_state.RUNNING))


def check_build_timeouts(manager, context):
    """Periodic: fail builds that will never finish, re-send lost ones.

    - older than ``instance_build_timeout`` (when set): ERROR with an
      InstanceBuildTimeout fault;
    - assigned here and untouched for twice ``rpc_response_timeout`` but
      not being built here: still ``scheduling`` (the cast never arrived:
      a broker restart lost it, or the conductor died before sending it)
      or stopped half way (a build that could not even hand itself back
      while the conductor was unreachable) — handed back to the conductor,
      which schedules it again elsewhere while attempts remain.
    """
    timeout = CONF.instance_build_timeout
    orphan_age = 2 * CONF.rpc_response_timeout
    instances = objects.InstanceList.get_by_filters(
        context, {'host': manager.host, 'vm_state': vm_states.BUILDING})
    for instance in instances:
        if timeout and timeutils.is_older_than(instance.created_at, timeout):
            exc = exception.InstanceBuildTimeout(instance_uuid=instance.uuid)
            LOG.warning('Failing build of %s: %s', instance.uuid,
                        exc.format_message())
            compute_utils.set_error_state(
                context, instance, exc, manager.host,
                expected_task_state=[instance.task_state])
            continue
        if (_being_built(manager, instance) or
                not timeutils.is_older_than(instance.updated_at or
                                            instance.created_at,
                                            orphan_age)):
            continue
        with manager.instance_lock(instance.uuid):
            if _being_built(manager, instance, locked=True):
                continue
            if instance.task_state == task_states.SCHEDULING:
                reason = ('the build request never reached '
                          'novalite-compute on %s' % manager.host)
            else:
                reason = ('the build on %s stopped while %s and could not '
                          'be rescheduled' % (manager.host,
                                              instance.task_state))
            build.hand_back(manager, context, instance, reason)


def _being_built(manager, instance, locked=False):
    # Under the instance's lock the check itself holds it once.
    return (instance.uuid in manager.builds_in_flight or
            (not locked and manager.is_busy(instance.uuid)))
