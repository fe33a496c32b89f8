"""Power actions on a guest: stop, start, reboot, pause, suspend and back.

The api has already moved the instance into a task state (powering-off,
rebooting, pausing...) and answered 202. Each action here takes the
instance's lock, asks the driver, then writes the outcome with a save
guarded by that task state. A failure reverts ``task_state``, records a
fault and fails the action event, all in
:func:`novalite.compute.utils.instance_task`.

Final states (vm_state / power_state from the driver / task_state None):

========  ==========================  ==========
action    task states walked          vm_state
========  ==========================  ==========
stop      powering-off                stopped
start     powering-on                 active
reboot    rebooting -> reboot_pending active
          -> reboot_started (``_hard``
          variants for HARD)
pause     pausing                     paused
unpause   unpausing                   active
suspend   suspending                  suspended
resume    resuming                    active
========  ==========================  ==========
"""

from oslo_log import log as logging

from novalite.compute import power_state
from novalite.compute import task_states
from novalite.compute import utils as compute_utils
from novalite.compute import vm_states
from novalite import conf

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def _finish(manager, instance, vm_state, expected):
    instance.power_state = manager.power_state_of(instance)
    instance.vm_state = vm_state
    instance.task_state = None
    instance.save(expected_task_state=expected)


def _simple(manager, context, instance, event, expected, vm_state, act):
    with manager.instance_lock(instance.uuid):
        with compute_utils.instance_task(context, instance, event,
                                         manager.host):
            act()
            _finish(manager, instance, vm_state, [expected])


def stop_instance(manager, context, instance, clean_shutdown=True):
    """Shut the guest down (cleanly within ``shutdown_timeout`` unless
    ``clean_shutdown`` is False); vm_state ``stopped``."""
    timeout = CONF.shutdown_timeout if clean_shutdown else 0
    _simple(manager, context, instance, 'compute_stop_instance',
            task_states.POWERING_OFF, vm_states.STOPPED,
            lambda: manager.driver.power_off(instance, timeout))


def start_instance(manager, context, instance):
    """Start a stopped guest; vm_state ``active``."""
    _simple(manager, context, instance, 'compute_start_instance',
            task_states.POWERING_ON, vm_states.ACTIVE,
            lambda: manager.driver.power_on(
                context, instance, instance.get_network_info()))


def pause_instance(manager, context, instance):
    _simple(manager, context, instance, 'compute_pause_instance',
            task_states.PAUSING, vm_states.PAUSED,
            lambda: manager.driver.pause(instance))


def unpause_instance(manager, context, instance):
    _simple(manager, context, instance, 'compute_unpause_instance',
            task_states.UNPAUSING, vm_states.ACTIVE,
            lambda: manager.driver.unpause(instance))


def suspend_instance(manager, context, instance):
    _simple(manager, context, instance, 'compute_suspend_instance',
            task_states.SUSPENDING, vm_states.SUSPENDED,
            lambda: manager.driver.suspend(context, instance))


def resume_instance(manager, context, instance):
    _simple(manager, context, instance, 'compute_resume_instance',
            task_states.RESUMING, vm_states.ACTIVE,
            lambda: manager.driver.resume(context, instance,
                                          instance.get_network_info()))


def reboot_instance(manager, context, instance, reboot_type):
    """Reboot SOFT or HARD.

    A failed reboot that leaves the guest running keeps its vm_state (with
    a fault); one that leaves it down puts the instance in ERROR.
    """
    soft = reboot_type == 'SOFT'
    if soft:
        expected = list(task_states.SOFT_REBOOT_STATES)
        pending, started = (task_states.REBOOT_PENDING,
                            task_states.REBOOT_STARTED)
    else:
        expected = list(task_states.HARD_REBOOT_STATES)
        pending, started = (task_states.REBOOT_PENDING_HARD,
                            task_states.REBOOT_STARTED_HARD)
    with manager.instance_lock(instance.uuid):
        with compute_utils.instance_task(context, instance,
                                         'compute_reboot_instance',
                                         manager.host):
            instance.task_state = pending
            instance.save(expected_task_state=expected)
            instance.task_state = started
            instance.save(expected_task_state=[pending])
            try:
                manager.driver.reboot(context, instance,
                                      instance.get_network_info(),
                                      'SOFT' if soft else 'HARD')
            except Exception:
                state = manager.power_state_of(instance)
                instance.power_state = state
                if state != power_state.RUNNING:
                    instance.vm_state = vm_states.ERROR
                raise
            _finish(manager, instance, vm_states.ACTIVE, [started])
