"""Building an instance on this host: claim, network, image, spawn.

``build_and_run_instance`` returns to the RPC worker at once; the build
runs in its own green thread under the instance's lock and the host's
``max_concurrent_builds`` semaphore, and walks the instance through

    vm_state building, task_state scheduling
      -> networking   (accepted here; resources claimed; fixed IP taken)
      -> spawning     (network_info recorded; the driver creates the guest)
      -> vm_state active, task_state None, power_state, launched_at

with every save guarded by the task state before it. A failed claim or
spawn frees what was taken and sends the instance back to the conductor
with the remaining alternates (a reschedule); when the request carries no
retry information, or the failure cannot be cured by another host, the
instance goes to ERROR with a fault. A save that loses its guard means the
instance was deleted or failed by someone else meanwhile: the build cleans
up and stops.
"""

import sys

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils

from novalite.compute import task_states
from novalite.compute import utils as compute_utils
from novalite.compute import vm_states
from novalite import exception
from novalite import green
from novalite import objects

LOG = logging.getLogger(__name__)

EVENT = 'compute_build_and_run_instance'
# A save whose reply was lost (the broker restarted, the conductor worker
# died) is tried this many times; a retry refused by its guard because
# the first one landed is a success.
SAVE_ATTEMPTS = 3
# Failures of the message bus, not of the build: another try (here, or on
# another host) is the cure.
MESSAGING_ERRORS = (messaging.MessagingTimeout,
                    messaging.MessageDeliveryFailure)


def build_and_run_instance(manager, context, instance, image, request_spec,
                           filter_properties, requested_networks, node,
                           limits, host_list, admin_password,
                           injected_files):
    """Accept the build and run it in a green thread of its own."""
    manager.builds_in_flight.add(instance.uuid)
    green.spawn_n(_locked_build, manager, context, instance, image,
                  request_spec, filter_properties or {}, requested_networks,
                  node, host_list, admin_password, injected_files)


def _locked_build(manager, context, instance, image, request_spec,
                  filter_properties, requested_networks, node, host_list,
                  admin_password, injected_files):
    try:
        with manager.instance_lock(instance.uuid):
            if instance.uuid in manager.rt.tracked:
                # A second cast of a build already done here (the conductor
                # re-drove a build it thought lost): building it again
                # would free the first one's fixed IP and claim.
                LOG.info('Build of %s is already on %s; dropping the '
                         'repeated request', instance.uuid, manager.host)
                return
            with manager.build_semaphore:
                _do_build(manager, context, instance, image, request_spec,
                          filter_properties, requested_networks, node,
                          host_list, admin_password, injected_files)
    except Exception:
        LOG.exception('Unexpected error building %s', instance.uuid)
    finally:
        manager.builds_in_flight.discard(instance.uuid)


def _do_build(manager, context, instance, image, request_spec,
              filter_properties, requested_networks, node, host_list,
              admin_password, injected_files):
    node = node or manager.nodename
    try:
        with compute_utils.EventReporter(context, EVENT, manager.host,
                                         instance.uuid):
            _build_and_run(manager, context, instance, image or {}, node,
                           admin_password, injected_files, request_spec)
    except exception.RescheduledException as exc:
        _reschedule_or_error(manager, context, instance, exc, image,
                             request_spec, filter_properties,
                             requested_networks, host_list, admin_password,
                             injected_files)
    except compute_utils.SUPERSEDED as exc:
        LOG.info('Build of %s stopped: %s', instance.uuid,
                 exc.format_message())
    except MESSAGING_ERRORS as exc:
        LOG.warning('Build of %s on %s lost contact with the conductor: %r',
                    instance.uuid, manager.host, exc)
        lost = exception.RescheduledException(
            instance_uuid=instance.uuid,
            reason=compute_utils.messaging_failure_message(exc, manager.host))
        _reschedule_or_error(manager, context, instance, lost, image,
                             request_spec, filter_properties,
                             requested_networks, host_list, admin_password,
                             injected_files)
    except Exception as exc:
        LOG.error('Build of %s failed: %s', instance.uuid, exc,
                  exc_info=True)
        _release_host(instance)
        compute_utils.set_error_state(
            context, instance, exc, manager.host,
            expected_task_state=list(task_states.BUILD_STATES) + [None],
            exc_tb=sys.exc_info()[2])
    else:
        LOG.info('Built %s on %s', instance.uuid, manager.host)


def _build_and_run(manager, context, instance, image, node, admin_password,
                   injected_files, request_spec=None):
    """Claim, allocate, spawn; raises RescheduledException for a failure
    another host may not have."""
    group_uuid = _group_uuid(request_spec)
    if group_uuid:
        with manager.group_lock(group_uuid):
            _check_group_policy(manager, context, instance, group_uuid)
    _claim_and_run(manager, context, instance, image, node, admin_password,
                   injected_files)


def _group_uuid(request_spec):
    if request_spec is None or not request_spec.obj_attr_is_set(
            'group_uuid'):
        return None
    return request_spec.group_uuid


def _check_group_policy(manager, context, instance, group_uuid):
    """The late (anti-)affinity check Nova makes on the compute: two
    requests scheduled at the same time may both have picked this host.

    :raises: RescheduledException
    """
    group_cls = getattr(objects, 'InstanceGroup', None)
    if group_cls is None:
        return
    try:
        group = group_cls.get_by_uuid(context, group_uuid)
    except exception.InstanceGroupNotFound:
        return
    others = [u for u in (group.members or []) if u != instance.uuid]
    hosts = set()
    if others:
        hosts = {i.host for i in objects.InstanceList.get_by_filters(
            context, {'uuid': others}) if i.host}
    policy = group.policy
    if policy == 'anti-affinity' and manager.host in hosts:
        reason = 'Anti-affinity instance group policy was violated.'
    elif policy == 'affinity' and hosts and manager.host not in hosts:
        reason = 'Affinity instance group policy was violated.'
    else:
        return
    # Leave the host before the group's lock is released, so the member
    # checked next here does not see this one and step aside as well.
    instance.host = None
    instance.node = None
    instance.save(expected_task_state=[task_states.SCHEDULING])
    raise exception.RescheduledException(instance_uuid=instance.uuid,
                                         reason=reason)


def _claim_and_run(manager, context, instance, image, node, admin_password,
                   injected_files):
    """Claim, accept (save ``networking``), allocate, spawn."""
    try:
        claim = manager.rt.instance_claim(context, instance, node)
    except exception.ComputeResourcesUnavailable as exc:
        raise exception.RescheduledException(
            instance_uuid=instance.uuid, reason=exc.format_message())

    with claim:
        guest_created = False
        # The fixed IP is taken while the instance is accepted: two
        # conductor round trips at once instead of one after the other.
        allocating = green.spawn(_allocate_network, manager, context,
                                 instance)
        try:
            try:
                instance.vm_state = vm_states.BUILDING
                instance.task_state = task_states.NETWORKING
                _save(manager, context, instance, [task_states.SCHEDULING])
            except BaseException:
                _wait_quietly(allocating)
                raise
            network_info = allocating.wait()
            instance.network_info = jsonutils.dumps(network_info)
            instance.task_state = task_states.SPAWNING
            _save(manager, context, instance, [task_states.NETWORKING])

            guest_created = True
            try:
                manager.driver.spawn(context, instance, image, injected_files,
                                     admin_password, network_info)
            except Exception as exc:
                raise exception.RescheduledException(
                    instance_uuid=instance.uuid,
                    reason=_reason(exc))

            instance.power_state = manager.power_state_of(instance)
            instance.vm_state = vm_states.ACTIVE
            instance.task_state = None
            instance.launched_at = timeutils.utcnow()
            instance.launched_on = manager.host
            _save(manager, context, instance, [task_states.SPAWNING])
        except BaseException:
            _cleanup(manager, context, instance, guest_created)
            raise


def _save(manager, context, instance, expected):
    """A build's guarded save that survives a lost reply.

    A save whose answer never came (MessagingTimeout) may or may not have
    landed; it is sent again. When the repeat is refused by its guard and
    the row holds exactly what this host wrote, the first one landed.

    :raises: the save's errors, the last MessagingTimeout
    """
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        try:
            instance.save(expected_task_state=expected)
            return
        except MESSAGING_ERRORS as exc:
            if attempt == SAVE_ATTEMPTS:
                raise
            LOG.warning('Saving %s (%s) got no answer (%r); trying again',
                        instance.uuid, instance.task_state, exc)
        except compute_utils.LOST_RACE:
            if attempt == 1:
                raise
            try:
                landed = _landed(context, instance, manager.host)
            except MESSAGING_ERRORS:
                # Unknown yet, and a guest may be running that the row
                # calls ACTIVE: ask again rather than undo the build.
                if attempt == SAVE_ATTEMPTS:
                    raise
                continue
            if landed:
                instance.obj_reset_changes()
                return
            raise


def _landed(context, instance, host):
    row = objects.Instance.get_by_uuid(context, instance.uuid)
    return (row.host == host and row.vm_state == instance.vm_state and
            row.task_state == instance.task_state)


def hand_back(manager, context, instance, reason):
    """Give a build this host will not finish back to the conductor.

    For a build interrupted by a restart of this compute (seen by
    ``init_host``) or assigned here but never received, or stopped half
    way without a reschedule (seen by the periodic check): whatever the
    build left here is undone, the instance goes back to ``scheduling``
    on no host (guarded by the task state it was found in, so a build
    that got going meanwhile wins) and the conductor schedules it again
    without this host, or fails it with ``reason`` when the attempts are
    spent.

    :returns: True when the build was handed back.
    """
    LOG.warning('Handing the build of %s back to the conductor: %s',
                instance.uuid, reason)
    # The guarded save comes first: a build that got going meanwhile (or
    # a delete) wins, and what it holds here is left alone.
    found_in = instance.task_state
    instance.task_state = task_states.SCHEDULING
    instance.host = None
    instance.node = None
    instance.network_info = None
    try:
        instance.save(expected_task_state=[found_in],
                      expected_vm_state=[vm_states.BUILDING])
    except compute_utils.SUPERSEDED as exc:
        LOG.info('Not handing back %s: %s', instance.uuid,
                 exc.format_message())
        return False
    _cleanup(manager, context, instance, guest_created=True)
    manager.rt.drop_instance(context, instance)
    try:
        manager.compute_task_api.resume_build(
            context, instance, failed_host=manager.host, reason=reason)
    except Exception:
        # It waits in scheduling on no host, where the conductor's
        # lost-build check finds it.
        LOG.exception('Could not hand the build of %s to the conductor',
                      instance.uuid)
    return True


def _allocate_network(manager, context, instance):
    try:
        return manager.network_api.allocate_for_instance(context, instance,
                                                         manager.host)
    except exception.NoMoreFixedIps as exc:
        raise exception.BuildAbortException(
            instance_uuid=instance.uuid, reason=exc.format_message())


def _wait_quietly(thread):
    try:
        thread.wait()
    except Exception:
        pass  # the caller is failing already; _cleanup frees the IP


def _reason(exc):
    fmt = getattr(exc, 'format_message', None)
    return fmt() if fmt else '%s: %s' % (type(exc).__name__, exc)


def _cleanup(manager, context, instance, guest_created):
    """Undo a failed build's guest and fixed IP (the claim's context
    manager gives back the resources)."""
    if guest_created:
        try:
            manager.driver.destroy(context, instance, None)
        except exception.InstanceNotFound:
            pass
        except Exception:
            LOG.exception('Could not destroy the guest of failed build %s',
                          instance.uuid)
    try:
        manager.network_api.deallocate_for_instance(context, instance,
                                                    host=manager.host)
    except Exception:
        LOG.exception('Could not free the fixed IP of failed build %s',
                      instance.uuid)
    instance.network_info = None


def _release_host(instance):
    # The claim is given back, the guest and IP are gone: as in Nova, a
    # build that failed here leaves the instance on no host, so it holds no
    # resources and deleting it needs no compute.
    instance.host = None
    instance.node = None


def _reschedule_or_error(manager, context, instance, exc, image,
                         request_spec, filter_properties, requested_networks,
                         host_list, admin_password, injected_files):
    """Send the build back to the conductor, or fail it when we may not."""
    retry = filter_properties.get('retry')
    building = list(task_states.BUILD_STATES)
    if not retry:
        LOG.info('Build of %s failed on %s and will not be rescheduled '
                 '(no retry information): %s', instance.uuid, manager.host,
                 exc.kwargs.get('reason'))
        _release_host(instance)
        compute_utils.set_error_state(context, instance, exc, manager.host,
                                      expected_task_state=building)
        return
    LOG.info('Rescheduling %s away from %s: %s', instance.uuid,
             manager.host, exc.kwargs.get('reason'))
    retry['exc_reason'] = exc.kwargs.get('reason')
    instance.task_state = task_states.SCHEDULING
    instance.host = None
    instance.node = None
    instance.network_info = None
    try:
        instance.save(expected_task_state=building)
    except compute_utils.SUPERSEDED as save_exc:
        LOG.info('Not rescheduling %s: %s', instance.uuid,
                 save_exc.format_message())
        return
    manager.compute_task_api.build_instances(
        context, [instance], image, request_spec,
        requested_networks=requested_networks,
        admin_password=admin_password, injected_files=injected_files,
        host_lists=[list(host_list or [])],
        filter_properties=filter_properties)
