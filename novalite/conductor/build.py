"""Build orchestration in the conductor: schedule, assign, cast; reschedule.

``build_instances`` is entered two ways:

- from the api with fresh instances (vm_state building, task_state
  scheduling): the server group's hosts are filled in, the scheduler is
  asked (``select_destinations``, a call, with alternates), each instance
  is assigned its host with a save guarded by ``scheduling`` and
  ``build_and_run_instance`` is cast to ``compute.<host>`` with the
  alternates;
- from a compute whose claim or spawn failed, with the alternates left in
  ``host_lists`` and the hosts tried in ``filter_properties['retry']``: the
  next alternate is used; when none is left the scheduler is asked again
  (the RetryFilter skips the hosts tried) as long as ``[scheduler]
  max_attempts`` allows.

When no host can be found, or the attempts are spent, every instance of
the request goes to ERROR with a fault whose message is Nova's
"No valid host was found. ..." and the action event fails.

A conductor killed in the middle of this loses the builds it was working
on (RabbitMQ handed the casts over already); shortly after start-up
:meth:`BuildConductor.orphaned_builds` finds them and
:meth:`BuildConductor.redrive_build` schedules them again, so an accepted
build completes or ends in ERROR with a fault.
"""

import copy
import sys

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_utils import timeutils

from novalite.compute import task_states
from novalite.compute import utils as compute_utils
from novalite.compute import vm_states
from novalite import conf
from novalite import context as nl_context
from novalite import exception
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)

EVENT = 'conductor_schedule_and_build_instances'
# The event each compute that starts a build records, with its host.
COMPUTE_EVENT = 'compute_build_and_run_instance'
# select_destinations is re-asked this many times when a scheduler died
# with our call (the call times out; a restarted scheduler answers).
SCHEDULER_CALL_ATTEMPTS = 3


class BuildConductor:
    """The build flow, with its RPC clients injected (tests swap them)."""

    def __init__(self, scheduler_client, compute_rpcapi, host=None):
        self.scheduler_client = scheduler_client
        self.compute_rpcapi = compute_rpcapi
        self.host = host or CONF.host
        self.in_flight = set()

    # -- entry point ----------------------------------------------------------

    def accept_request(self, context, instances):
        """What a new request from the api leaves to the conductor, as in
        Nova: its ``create`` actions and the quota recheck that catches
        requests racing each other past the api's check.

        :returns: False when the project went over quota meanwhile; the
            instances are then in ERROR with the quota fault.
        """
        self.accept_request_actions(context, instances)
        if not CONF.quota.recheck_quota:
            return True
        from novalite.objects import quotas as quota_obj
        try:
            quota_obj.check_deltas(context, {'instances': 0, 'cores': 0,
                                             'ram': 0}, context.project_id)
        except exception.OverQuota as exc:
            LOG.warning('Build of %s refused on recheck: %s',
                        ', '.join(i.uuid for i in instances),
                        exc.format_message())
            tb = sys.exc_info()[2]
            for instance in instances:
                self._set_error(context, instance, exc, tb)
            return False
        return True

    def build_instances(self, context, instances, image, request_spec,
                        requested_networks=None, admin_password=None,
                        injected_files=None, host_lists=None,
                        filter_properties=None):
        """Schedule (or reschedule) ``instances`` and cast their builds."""
        uuids = [inst.uuid for inst in instances]
        self.in_flight.update(uuids)
        try:
            with compute_utils.EventReporter(context, EVENT, self.host,
                                             *uuids):
                self._build(context, instances, image, request_spec,
                            requested_networks, admin_password,
                            injected_files, host_lists,
                            dict(filter_properties or {}))
        except _BuildFailed:
            pass  # states, faults and failed events are written
        finally:
            self.in_flight.difference_update(uuids)

    def _build(self, context, instances, image, request_spec,
               requested_networks, admin_password, injected_files,
               host_lists, filter_properties):
        try:
            retry = populate_retry(filter_properties, instances[0].uuid)
            spec = self._prepare_spec(context, request_spec, instances,
                                      retry)
            if host_lists and all(host_lists):
                host_lists = [list(h) for h in host_lists]
            elif host_lists is not None and retry is None:
                raise exception.NoValidHost(
                    reason='Rescheduling is disabled for this request.')
            else:
                host_lists = self._schedule(context, spec, instances)
        except Exception as exc:
            LOG.warning('Build of %s failed before any host was chosen: %s',
                        ', '.join(i.uuid for i in instances),
                        getattr(exc, 'format_message', exc.__str__)())
            tb = sys.exc_info()[2]
            for instance in instances:
                self._set_error(context, instance, exc, tb)
            raise _BuildFailed(compute_utils.exception_to_fault(exc)[1])

        for instance, host_list in zip(instances, host_lists):
            self._assign_and_cast(context, instance, list(host_list), image,
                                  spec, requested_networks, admin_password,
                                  injected_files, filter_properties)

    # -- steps ----------------------------------------------------------------

    def _prepare_spec(self, context, request_spec, instances, retry):
        spec = request_spec
        if retry is not None:
            spec.retry_hosts = sorted({h for h, _n in retry['hosts']})
            spec.num_attempts = retry['num_attempts']
        spec.num_instances = len(instances)
        fill_group_details(context, spec)
        return spec

    def _schedule(self, context, spec, instances):
        uuids = [inst.uuid for inst in instances]
        for attempt in range(1, SCHEDULER_CALL_ATTEMPTS + 1):
            try:
                host_lists = self.scheduler_client.select_destinations(
                    context, spec, uuids, return_alternates=True)
                break
            except messaging.MessagingTimeout:
                if attempt == SCHEDULER_CALL_ATTEMPTS:
                    raise exception.NoValidHost(
                        reason='The scheduler did not answer.')
                LOG.warning('select_destinations timed out for %s '
                            '(attempt %d); asking again', uuids, attempt)
        if len(host_lists) != len(instances) or not all(host_lists):
            raise exception.NoValidHost(
                reason='There are not enough hosts available.')
        return host_lists

    def _assign_and_cast(self, context, instance, host_list, image, spec,
                         requested_networks, admin_password, injected_files,
                         filter_properties):
        selection = host_list.pop(0)
        local_props = copy.deepcopy(filter_properties)
        retry = local_props.get('retry')
        if retry is not None:
            retry['hosts'].append([selection.service_host,
                                   selection.nodename])
        local_spec = spec.obj_clone()
        local_spec.instance_uuid = instance.uuid
        local_spec.num_instances = 1
        if retry is not None:
            local_spec.retry_hosts = sorted({h for h, _n in retry['hosts']})
        instance.host = selection.service_host
        instance.node = selection.nodename
        instance.scheduled_at = timeutils.utcnow()
        try:
            instance.save(expected_task_state=[task_states.SCHEDULING])
        except compute_utils.SUPERSEDED as exc:
            LOG.info('Not building %s: %s', instance.uuid,
                     exc.format_message())
            return
        LOG.debug('Casting build of %s to %s (%d alternates)',
                  instance.uuid, selection.service_host, len(host_list))
        try:
            self.compute_rpcapi.build_and_run_instance(
                context, instance, selection.service_host, image,
                local_spec, filter_properties=local_props,
                requested_networks=requested_networks,
                node=selection.nodename, limits=None, host_list=host_list,
                admin_password=admin_password,
                injected_files=injected_files)
        except Exception:
            # The row names the host: its compute finds the build never
            # arrived and hands it back (recovery.check_build_timeouts).
            LOG.exception('Could not cast the build of %s to %s',
                          instance.uuid, selection.service_host)

    def _set_error(self, context, instance, exc, exc_tb):
        compute_utils.set_error_state(
            context, instance, exc, self.host,
            expected_task_state=[task_states.SCHEDULING], exc_tb=exc_tb)

    # -- recovery -------------------------------------------------------------

    def orphaned_builds(self, context, started_at):
        """Builds a dead conductor accepted but never assigned to a host.

        An instance still ``scheduling`` with no host, untouched since
        before this conductor started and not being built by it, was lost
        with the worker that was scheduling it (RabbitMQ had already handed
        the cast over).
        """
        candidates = objects.InstanceList.get_by_filters(
            context, {'vm_state': vm_states.BUILDING,
                      'task_state': task_states.SCHEDULING, 'host': None})
        started_at = timeutils.normalize_time(started_at)
        orphans = []
        for instance in candidates:
            touched = instance.updated_at or instance.created_at
            if (instance.uuid in self.in_flight or touched is None or
                    timeutils.normalize_time(touched) >= started_at):
                continue
            orphans.append(instance)
        return orphans

    def lost_builds(self, context, older_than):
        """Builds waiting in ``scheduling`` with no host since before
        ``older_than``: their ``build_instances`` cast (from the api, or a
        compute's reschedule) was lost, or the conductor handling it died.
        """
        return self.orphaned_builds(context, older_than)

    def redrive_build(self, context, instance, failed_host=None,
                      reason=None):
        """Schedule again a build that lost its way, from its row.

        Used for builds a dead conductor or a lost cast left in
        ``scheduling`` with no host, and for builds a compute hands back
        (``resume_build``) because it restarted in the middle of them or
        their cast never reached it. The attempts made so far and the
        hosts tried are read from the events of the instance's ``create``
        action (the RequestSpec and its retry are not persisted);
        ``failed_host`` is excluded as well. When the attempts are spent
        the instance goes to ERROR with a fault naming ``reason``.

        Safe even if the original request is still on its way: only one
        compute can move the instance out of ``scheduling``; the other
        finds its guarded save refused and drops the build.
        """
        context = self._action_context(context, instance)
        spec, image = spec_from_instance(context, instance)
        retry = _retry_so_far(context, instance.uuid, failed_host, reason)
        if failed_host and CONF.scheduler.max_attempts == 1:
            exc = exception.BuildAbortException(instance_uuid=instance.uuid,
                                                reason=reason)
            LOG.warning('Not rescheduling %s (max_attempts is 1): %s',
                        instance.uuid, exc.format_message())
            self._set_error(context, instance, exc, None)
            return
        LOG.info('Re-driving the build of %s (%d attempt(s) so far, hosts '
                 'tried: %s)%s', instance.uuid, retry['num_attempts'],
                 ', '.join(h for h, _n in retry['hosts']) or 'none',
                 ': %s' % reason if reason else '')
        self.build_instances(context, [instance], image, spec,
                             filter_properties={'retry': retry})

    def _action_context(self, context, instance):
        """A context carrying the request id of the instance's ``create``
        action, so the events of a re-driven build land in the action the
        user sees; one is started when the api's cast never arrived."""
        try:
            actions = objects.InstanceActionList.get_by_instance_uuid(
                context, instance.uuid)
            create = [a for a in actions.objects if a.action == 'create']
        except Exception:
            LOG.exception('Could not read the actions of %s', instance.uuid)
            create = []
        values = dict(context.to_dict(), user_id=instance.user_id,
                      project_id=instance.project_id, is_admin=True)
        if create:
            values['request_id'] = create[-1].request_id
        ctxt = nl_context.RequestContext.from_dict(values)
        if not create:
            self.accept_request_actions(ctxt, [instance])
        return ctxt

    def accept_request_actions(self, context, instances):
        for instance in instances:
            try:
                objects.InstanceAction.action_start(
                    context, instance.uuid, 'create', want_result=False)
            except Exception:
                LOG.exception('Could not record the create action of %s',
                              instance.uuid)


def spec_from_instance(context, instance):
    """The RequestSpec and image of a build, rebuilt from its row."""
    image_props = {k[len('image_'):]: v for k, v in
                   (instance.system_metadata or {}).items()
                   if k.startswith('image_') and v is not None}
    spec = objects.RequestSpec(
        instance_uuid=instance.uuid, project_id=instance.project_id,
        user_id=instance.user_id, flavor=instance.flavor,
        image_id=instance.image_ref, image_properties=image_props,
        num_instances=1,
        availability_zone=instance.availability_zone,
        scheduler_hints={}, force_hosts=[], force_nodes=[],
        ignore_hosts=[], retry_hosts=[], num_attempts=0,
        group_hosts=[], group_members=[])
    group_cls = getattr(objects, 'InstanceGroup', None)
    if group_cls is not None:
        try:
            spec.group_uuid = group_cls.get_by_instance_uuid(
                context, instance.uuid).uuid
        except exception.InstanceGroupNotFound:
            pass
    image = {'id': instance.image_ref, 'properties': {
        k: v for k, v in image_props.items()
        if k not in ('min_ram', 'min_disk', 'disk_format',
                     'container_format')}}
    return spec, image


def _retry_so_far(context, instance_uuid, failed_host, reason):
    """The ``retry`` of a build whose request was lost, from its events.

    Every scheduling pass records a conductor event in the ``create``
    action and every compute that started the build a compute event with
    its host: their count is the attempts made, the hosts the hosts tried.
    """
    attempts = 0
    hosts = []
    try:
        actions = objects.InstanceActionList.get_by_instance_uuid(
            context, instance_uuid)
        for action in actions.objects:
            if action.action != 'create':
                continue
            for event in objects.InstanceActionEventList.get_by_action(
                    context, action.id).objects:
                if event.event == EVENT:
                    attempts += 1
                elif event.event == COMPUTE_EVENT and event.host and \
                        event.host not in hosts:
                    hosts.append(event.host)
    except Exception:
        LOG.exception('Could not read the build events of %s',
                      instance_uuid)
    if failed_host and failed_host not in hosts:
        hosts.append(failed_host)
    return {'num_attempts': max(attempts, len(hosts)),
            'hosts': [[h, h] for h in sorted(hosts)],
            'exc_reason': reason}


class _BuildFailed(Exception):
    """Internal: the request failed; states and faults are written."""


def populate_retry(filter_properties, instance_uuid):
    """Count this attempt in ``filter_properties['retry']``.

    :returns: the retry dict, or None when rescheduling is off
        (``max_attempts`` 1 or a forced host).
    :raises: NoValidHost when the attempts are spent.
    """
    max_attempts = CONF.scheduler.max_attempts
    force_hosts = filter_properties.get('force_hosts') or []
    if max_attempts == 1 or len(force_hosts) == 1:
        filter_properties.pop('retry', None)
        return None
    retry = filter_properties.setdefault('retry', {'num_attempts': 0,
                                                   'hosts': []})
    retry['num_attempts'] += 1
    if retry['num_attempts'] > max_attempts:
        raise exception.NoValidHost(
            reason='Exceeded max scheduling attempts %d for instance %s. '
                   'Last exception: %s' % (max_attempts, instance_uuid,
                                           retry.get('exc_reason')))
    return retry


def fill_group_details(context, spec):
    """Fill the spec's policy, members and member hosts from its group."""
    if not spec.obj_attr_is_set('group_uuid') or not spec.group_uuid:
        return
    group_cls = getattr(objects, 'InstanceGroup', None)
    if group_cls is None:
        LOG.warning('Server groups are not available; ignoring group %s',
                    spec.group_uuid)
        return
    group = group_cls.get_by_uuid(context, spec.group_uuid)
    members = list(group.members or [])
    spec.group_policy = group.policy
    spec.group_members = members
    hosts = set()
    if members:
        for inst in objects.InstanceList.get_by_filters(
                context, {'uuid': members}):
            if inst.host:
                hosts.add(inst.host)
    spec.group_hosts = sorted(hosts)
