"""The compute API facade the REST handlers call.

It checks what can be checked before any RPC (state, lock, quota), moves
the instance to its task state with a guarded save, records the instance
action and then casts (or calls) the compute, conductor or consoleauth.
Quota usage is counted through the conductor, checked before creation and
re-checked after it so parallel requests cannot both slip under a limit.
"""

import base64
import binascii
import functools
import hashlib
import re

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from novalite.compute import power_state
from novalite.compute import rpcapi as compute_rpcapi
from novalite.compute import task_states
from novalite.compute import vm_states
from novalite.conductor import rpcapi as conductor_rpcapi
from novalite import conf
from novalite import exception
from novalite import objects
from novalite.objects import keypair as keypair_obj
from novalite.objects import quotas as quota_obj
from novalite.policies import enforcer

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# The states an action may start from (None in task_state = no task).
_ALL_VM_STATES = None
NAME_TEMPLATE = '%(name)s-%(count)d'
UNLOCK_OVERRIDE = 'os_compute_api:os-lock-server:unlock:unlock_override'


_COMPUTE_BINARIES = ('novalite-compute', 'nova-compute')


def service_zone(service):
    """The availability zone a service is in: a compute's own (or
    ``default_availability_zone``), ``internal_service_availability_zone``
    for every other service."""
    if service.binary in _COMPUTE_BINARIES:
        return service.availability_zone or CONF.default_availability_zone
    return CONF.internal_service_availability_zone


def check_instance_lock(func):
    """Refuse to act on a locked instance unless the caller is admin."""
    @functools.wraps(func)
    def wrapper(self, context, instance, *args, **kwargs):
        if instance.locked and not context.is_admin:
            raise exception.InstanceIsLocked(instance_uuid=instance.uuid)
        return func(self, context, instance, *args, **kwargs)
    return wrapper


def check_instance_state(vm_state=None, task_state=(None,)):
    """Refuse unless the instance is in one of the given states.

    :param vm_state: allowed vm states, None for any.
    :param task_state: allowed task states (None in it means "no task"),
        None for any.
    :raises: InstanceInvalidState naming the attribute and the state.
    """
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, context, instance, *args, **kwargs):
            if vm_state is not None and instance.vm_state not in vm_state:
                raise exception.InstanceInvalidState(
                    attr='vm_state', instance_uuid=instance.uuid,
                    state=instance.vm_state, method=func.__name__)
            if (task_state is not None and
                    instance.task_state not in task_state):
                raise exception.InstanceInvalidState(
                    attr='task_state', instance_uuid=instance.uuid,
                    state=instance.task_state, method=func.__name__)
            return func(self, context, instance, *args, **kwargs)
        return wrapper
    return decorator


def check_instance_host(func):
    """Actions that need a compute: an instance with no host is not ready."""
    @functools.wraps(func)
    def wrapper(self, context, instance, *args, **kwargs):
        if not instance.host:
            raise exception.InstanceNotReady(instance_id=instance.uuid)
        return func(self, context, instance, *args, **kwargs)
    return wrapper


def record_action(context, instance_uuid, action):
    """Start an instance action (``os-instance-actions``) for the request."""
    action_cls = getattr(objects, 'InstanceAction', None)
    if action_cls is None:
        LOG.debug('Instance actions are not available yet; %s of %s is '
                  'not recorded', action, instance_uuid)
        return None
    return action_cls.action_start(context, instance_uuid, action,
                                   want_result=False)


def sanitize_hostname(name, default='server'):
    """A DNS label from a display name, the way Nova derives hostnames."""
    name = (name or '').lower()
    name = re.sub(r'[ _.]', '-', name)
    name = re.sub(r'[^\w-]+', '', name, flags=re.ASCII)
    name = name.strip('-')[:63].strip('-')
    return name or default


class API:
    """What the REST API asks of compute."""

    def __init__(self):
        self.compute_rpcapi = compute_rpcapi.ComputeAPI()
        self.compute_task_api = conductor_rpcapi.ComputeTaskAPI()
        self._consoleauth = None

    @property
    def consoleauth_rpcapi(self):
        if self._consoleauth is None:
            from novalite.consoleauth import rpcapi as consoleauth_rpcapi
            self._consoleauth = consoleauth_rpcapi.ConsoleAuthAPI()
        return self._consoleauth

    # -- reads ---------------------------------------------------------------

    def get(self, context, instance_uuid, expected_attrs=None):
        """An instance the caller may see.

        Another project's instance is not found for a non-admin, so its
        existence is not disclosed.

        :raises: InstanceNotFound
        """
        if not uuidutils.is_uuid_like(instance_uuid):
            raise exception.InstanceNotFound(instance_id=instance_uuid)
        instance = objects.Instance.get_by_uuid(
            context, instance_uuid, expected_attrs=expected_attrs)
        if not context.is_admin and instance.project_id != \
                context.project_id:
            raise exception.InstanceNotFound(instance_id=instance_uuid)
        return instance

    def get_all(self, context, filters, limit=None, marker=None,
                sort_keys=None, sort_dirs=None, expected_attrs=None):
        """Instances matching ``filters`` (db names plus ``ip``/``ip6``
        regular expressions matched against the fixed addresses)."""
        filters = dict(filters)
        ip_filters = {k: filters.pop(k) for k in ('ip', 'ip6')
                      if k in filters}
        if not context.is_admin:
            filters['project_id'] = context.project_id
        instances = objects.InstanceList.get_by_filters(
            context, filters, limit=None if ip_filters else limit,
            marker=marker, sort_keys=sort_keys, sort_dirs=sort_dirs,
            expected_attrs=expected_attrs)
        if ip_filters:
            kept = [i for i in instances if _ip_match(i, ip_filters)]
            instances.objects = kept[:limit] if limit is not None else kept
        return instances

    # -- create --------------------------------------------------------------

    def _check_image(self, flavor, image):
        if image is None:
            return
        if image.get('status') not in (None, 'active'):
            raise exception.ImageNotActive(image_id=image.get('id'))
        if int(image.get('min_ram') or 0) > flavor.memory_mb:
            raise exception.FlavorMemoryTooSmall()
        if flavor.root_gb and int(image.get('min_disk') or 0) > \
                flavor.root_gb:
            raise exception.FlavorDiskTooSmall()

    def _check_availability_zone(self, context, zone):
        """Refuse a zone no enabled compute is in, as Nova does (a forced
        host skips this: the scheduler then decides).

        :raises: InvalidAvailabilityZone (400)
        """
        zones = {service_zone(s) for s in
                 objects.ServiceList.get_all(context.elevated())
                 if s.binary in _COMPUTE_BINARIES and not s.disabled}
        if zone not in zones:
            raise exception.InvalidAvailabilityZone()

    def _allowed_count(self, context, flavor, min_count, max_count,
                       quota):
        """How many instances fit in the quota, between min and max.

        :param quota: ``{'limits': ..., 'usage': ...}`` of the project.
        :raises: TooManyInstances when not even ``min_count`` fit.
        """
        limits, usage = quota['limits'], quota['usage']
        per = {'instances': 1, 'cores': flavor.vcpus,
               'ram': flavor.memory_mb}
        count = max_count
        for resource, each in per.items():
            limit = limits.get(resource, -1)
            if limit < 0 or each <= 0:
                continue
            count = min(count, (limit - usage.get(resource, 0)) // each)
        if count < min_count:
            quota_obj.check_deltas(
                context, {r: each * min_count for r, each in per.items()},
                context.project_id)
            # Counts moved between the two reads; fail as Nova would.
            raise exception.TooManyInstances(
                overs='instances', req=min_count,
                used=usage.get('instances', 0),
                allowed=limits.get('instances'))
        return count

    def _check_group_quota(self, context, group, count, limits=None):
        if group is None:
            return
        if limits is None:
            limits = quota_obj.get_limits(context, context.project_id)
        limit = limits['server_group_members']
        if limit >= 0 and len(group.members) + count > limit:
            raise exception.OverQuota(overs='server_group_members')

    def create(self, context, flavor, image_href, image=None, name=None,
               metadata=None, key_name=None, availability_zone=None,
               min_count=1, max_count=1, user_data=None,
               requested_networks=None, scheduler_hints=None,
               access_ip_v4=None, access_ip_v6=None, config_drive=None,
               description=None, forced_host=None, forced_node=None,
               injected_files=None, admin_password=None):
        """Create instances and cast the build to the conductor.

        :returns: (instances, reservation_id)
        :raises: FlavorNotFound (disabled), KeypairNotFound, ImageNotActive,
            FlavorMemoryTooSmall, FlavorDiskTooSmall, TooManyInstances,
            MetadataLimitExceeded, InstanceGroupNotFound, OverQuota
        """
        if flavor.disabled:
            raise exception.FlavorNotFound(flavor_id=flavor.flavorid)
        self._check_image(flavor, image)
        if availability_zone and not forced_host:
            self._check_availability_zone(context, availability_zone)
        metadata = dict(metadata or {})
        # Limits and usage in one conductor call, for every check below.
        quota = quota_obj.Quotas.get_limits_and_usage(
            context, context.project_id, None, ['instances', 'cores', 'ram'])
        self._check_metadata_quota(context, metadata, quota['limits'])
        key_data = None
        if key_name is not None:
            key_data = objects.KeyPair.get_by_name(
                context, context.user_id, key_name).public_key
        hints = dict(scheduler_hints or {})
        group = None
        if hints.get('group'):
            group = objects.InstanceGroup.get_by_uuid(context, hints['group'])
            if group.project_id != context.project_id and \
                    not context.is_admin:
                raise exception.InstanceGroupNotFound(
                    group_uuid=hints['group'])
        count = self._allowed_count(context, flavor, min_count, max_count,
                                    quota)
        self._check_group_quota(context, group, count, quota['limits'])

        reservation_id = 'r-' + uuidutils.generate_uuid()[:8]
        image_props = dict((image or {}).get('properties') or {})
        system_metadata = {'image_%s' % k: str(v)
                           for k, v in image_props.items()}
        for key in ('min_ram', 'min_disk', 'disk_format',
                    'container_format'):
            if image and image.get(key) is not None:
                system_metadata['image_%s' % key] = str(image[key])
        instances = []
        try:
            for index in range(count):
                display_name = name
                if count > 1:
                    display_name = NAME_TEMPLATE % {'name': name,
                                                    'count': index + 1}
                # The uuid is chosen here, as Nova's api does: a create
                # the conductor gets twice then fails instead of making a
                # second instance.
                instance = objects.Instance(
                    context, uuid=uuidutils.generate_uuid(),
                    user_id=context.user_id,
                    project_id=context.project_id,
                    display_name=display_name,
                    display_description=description,
                    hostname=sanitize_hostname(display_name),
                    image_ref=image_href or '', flavor=flavor,
                    instance_type_id=flavor.id, vcpus=flavor.vcpus,
                    memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                    ephemeral_gb=flavor.ephemeral_gb,
                    kernel_id=image_props.get('kernel_id', ''),
                    ramdisk_id=image_props.get('ramdisk_id', ''),
                    vm_state=vm_states.BUILDING,
                    task_state=task_states.SCHEDULING,
                    power_state=power_state.NOSTATE,
                    availability_zone=availability_zone,
                    key_name=key_name, key_data=key_data,
                    user_data=user_data, reservation_id=reservation_id,
                    launch_index=index, locked=False, progress=0,
                    access_ip_v4=access_ip_v4, access_ip_v6=access_ip_v6,
                    config_drive='True' if config_drive else '',
                    os_type=image_props.get('os_type'),
                    architecture=image_props.get('architecture'),
                    metadata=metadata, system_metadata=system_metadata)
                instance.create()
                instances.append(instance)
            # The conductor records the create actions and rechecks the
            # instance quota when it takes the request (as Nova's does);
            # the group's member count is rechecked here.
            if CONF.quota.recheck_quota:
                if group is not None:
                    self._check_group_quota(
                        context, objects.InstanceGroup.get_by_uuid(
                            context, group.uuid), 0)
        except Exception:
            for instance in instances:
                try:
                    instance.destroy()
                except exception.InstanceNotFound:
                    pass
            raise
        if group is not None:
            members = objects.InstanceGroup.add_members(
                context, group.uuid, [i.uuid for i in instances])
            group.members = members
        request_spec = self._request_spec(
            context, instances, flavor, image_href, image_props, image,
            availability_zone, hints, group, forced_host, forced_node)
        self.compute_task_api.build_instances(
            context, instances=instances,
            image=dict(image) if image else {'id': image_href},
            request_spec=request_spec,
            requested_networks=requested_networks,
            admin_password=admin_password, injected_files=injected_files)
        return instances, reservation_id

    def _request_spec(self, context, instances, flavor, image_href,
                      image_props, image, availability_zone, hints, group,
                      forced_host, forced_node):
        props = {k: str(v) for k, v in image_props.items()}
        for key in ('min_ram', 'min_disk'):
            if image and image.get(key) is not None:
                props[key] = str(image[key])
        spec = objects.RequestSpec(
            instance_uuid=instances[0].uuid, project_id=context.project_id,
            user_id=context.user_id, flavor=flavor, image_id=image_href,
            image_properties=props, num_instances=len(instances),
            availability_zone=availability_zone,
            scheduler_hints={k: [str(x) for x in v] if isinstance(
                v, list) else [str(v)] for k, v in hints.items()},
            force_hosts=[forced_host] if forced_host else [],
            force_nodes=[forced_node] if forced_node else [],
            retry_hosts=[], num_attempts=0, ignore_hosts=[],
            group_hosts=[], group_members=[])
        if group is not None:
            spec.group_uuid = group.uuid
            spec.group_policy = group.policy
            spec.group_members = list(group.members)
        return spec

    # -- update and delete -----------------------------------------------------

    def update(self, context, instance, **updates):
        """Save simple attributes (name, description, access IPs)."""
        for key, value in updates.items():
            setattr(instance, key, value)
        instance.save()
        return instance

    @check_instance_lock
    def delete(self, context, instance):
        """Delete locally when no compute ever got it, else cast.

        :raises: InstanceIsLocked
        """
        record_action(context, instance.uuid, 'delete')
        if not instance.host:
            self._local_delete(context, instance)
            return
        if instance.task_state == task_states.DELETING:
            return
        instance.task_state = task_states.DELETING
        instance.progress = 0
        instance.save()
        self.compute_rpcapi.terminate_instance(context, instance)

    def _local_delete(self, context, instance):
        instance.vm_state = vm_states.DELETED
        instance.task_state = None
        instance.terminated_at = timeutils.utcnow()
        instance.save()
        instance.destroy()
        try:
            objects.InstanceGroup.remove_member(context, instance.uuid)
        except exception.NovaliteException:
            LOG.warning('Could not drop %s from its server group',
                        instance.uuid)

    # -- power and state actions ----------------------------------------------

    def _start_task(self, context, instance, task_state, action,
                    expected=(None,)):
        instance.task_state = task_state
        instance.save(expected_task_state=list(expected))
        record_action(context, instance.uuid, action)

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.ACTIVE, vm_states.ERROR])
    def stop(self, context, instance):
        instance.progress = 0
        self._start_task(context, instance, task_states.POWERING_OFF, 'stop')
        self.compute_rpcapi.stop_instance(context, instance)

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.STOPPED])
    def start(self, context, instance):
        self._start_task(context, instance, task_states.POWERING_ON, 'start')
        self.compute_rpcapi.start_instance(context, instance)

    @check_instance_lock
    def reboot(self, context, instance, reboot_type):
        """SOFT from ACTIVE with no task; HARD also from stopped, paused,
        suspended, error, and over a soft reboot in progress."""
        if reboot_type == 'SOFT':
            return self._soft_reboot(context, instance)
        return self._hard_reboot(context, instance)

    @check_instance_state(vm_state=vm_states.ALLOW_SOFT_REBOOT)
    def _soft_reboot(self, context, instance):
        self._start_task(context, instance, task_states.REBOOTING, 'reboot')
        self.compute_rpcapi.reboot_instance(context, instance, 'SOFT')

    _HARD_FROM = (None,) + task_states.SOFT_REBOOT_STATES + \
        task_states.HARD_REBOOT_STATES

    @check_instance_state(vm_state=vm_states.ALLOW_HARD_REBOOT,
                          task_state=_HARD_FROM)
    def _hard_reboot(self, context, instance):
        self._start_task(context, instance, task_states.REBOOTING_HARD,
                         'reboot', expected=self._HARD_FROM)
        self.compute_rpcapi.reboot_instance(context, instance, 'HARD')

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.ACTIVE])
    def pause(self, context, instance):
        self._start_task(context, instance, task_states.PAUSING, 'pause')
        self.compute_rpcapi.pause_instance(context, instance)

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.PAUSED])
    def unpause(self, context, instance):
        self._start_task(context, instance, task_states.UNPAUSING,
                         'unpause')
        self.compute_rpcapi.unpause_instance(context, instance)

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.ACTIVE])
    def suspend(self, context, instance):
        self._start_task(context, instance, task_states.SUSPENDING,
                         'suspend')
        self.compute_rpcapi.suspend_instance(context, instance)

    @check_instance_lock
    @check_instance_state(vm_state=[vm_states.SUSPENDED])
    def resume(self, context, instance):
        self._start_task(context, instance, task_states.RESUMING, 'resume')
        self.compute_rpcapi.resume_instance(context, instance)

    def lock(self, context, instance):
        """Lock: only admins (or an admin's unlock) get past it."""
        owner = instance.project_id == context.project_id
        instance.locked = True
        instance.locked_by = 'owner' if owner else 'admin'
        instance.save()
        record_action(context, instance.uuid, 'lock')

    def unlock(self, context, instance):
        """:raises: PolicyNotAuthorized when an admin's lock is undone by
        someone without the unlock_override rule."""
        if instance.locked and instance.locked_by == 'admin' and \
                instance.project_id == context.project_id:
            enforcer.authorize(
                context, UNLOCK_OVERRIDE,
                {'project_id': instance.project_id,
                 'user_id': instance.user_id})
        instance.locked = False
        instance.locked_by = None
        instance.save()
        record_action(context, instance.uuid, 'unlock')

    # -- metadata ---------------------------------------------------------------

    def _check_metadata_quota(self, context, metadata, limits=None):
        if limits is None:
            limits = quota_obj.get_limits(context, context.project_id)
        limit = limits['metadata_items']
        if limit >= 0 and len(metadata) > limit:
            raise exception.MetadataLimitExceeded(allowed=limit)

    @check_instance_state(vm_state=[vm_states.ACTIVE, vm_states.PAUSED,
                                    vm_states.SUSPENDED, vm_states.STOPPED],
                          task_state=None)
    def update_instance_metadata(self, context, instance, metadata,
                                 delete=False):
        """Merge ``metadata`` in (or replace everything when ``delete``).

        :returns: the metadata after the change.
        """
        new = dict(metadata) if delete else dict(instance.metadata or {},
                                                 **metadata)
        self._check_metadata_quota(context, new)
        instance.metadata = new
        instance.save()
        return dict(instance.metadata)

    @check_instance_state(vm_state=[vm_states.ACTIVE, vm_states.PAUSED,
                                    vm_states.SUSPENDED, vm_states.STOPPED],
                          task_state=None)
    def delete_instance_metadata(self, context, instance, key):
        metadata = dict(instance.metadata or {})
        metadata.pop(key, None)
        instance.metadata = metadata
        instance.save()

    # -- consoles ----------------------------------------------------------------

    @check_instance_host
    def get_console_output(self, context, instance, tail_length=None):
        """:raises: InstanceNotReady"""
        return self.compute_rpcapi.get_console_output(
            context, instance, tail_length=tail_length)

    @check_instance_host
    def get_vnc_console(self, context, instance, console_type):
        """Ask the compute for a token and register it with consoleauth.

        :returns: ``{'url': ...}`` the browser opens.
        :raises: InstanceNotReady, ConsoleTypeUnavailable
        """
        info = self.compute_rpcapi.get_vnc_console(context, instance,
                                                   console_type)
        self.consoleauth_rpcapi.authorize_console(
            context, info['token'], console_type, info['host'],
            info['port'], info.get('internal_access_path'), instance.uuid,
            access_url=info.get('access_url'))
        return {'url': info['access_url']}


def _ip_match(instance, ip_filters):
    addresses = []
    for vif in instance.get_network_info():
        for key in ('address', 'ip', 'addr'):
            if vif.get(key):
                addresses.append((str(vif[key]), int(vif.get('version', 4))))
                break
    for name, pattern in ip_filters.items():
        version = 6 if name == 'ip6' else 4
        try:
            regex = re.compile(pattern)
        except re.error:
            return False
        if not any(regex.match(a) for a, v in addresses if v == version):
            return False
    return True


class KeypairAPI:
    """Key pairs: import, generate, list, show, delete (quota counted)."""

    def _fingerprint(self, public_key, key_type):
        if key_type == keypair_obj.KEYPAIR_TYPE_X509:
            from cryptography import x509
            from cryptography.hazmat.primitives import serialization
            try:
                cert = x509.load_pem_x509_certificate(public_key.encode())
            except (ValueError, TypeError):
                raise exception.InvalidKeypair(
                    reason='failed to generate fingerprint')
            der = cert.public_bytes(serialization.Encoding.DER)
            digest = hashlib.sha1(der).hexdigest()
        else:
            parts = public_key.strip().split()
            try:
                if len(parts) < 2 or not parts[0].startswith(
                        ('ssh-', 'ecdsa-', 'sk-')):
                    raise ValueError()
                from cryptography.hazmat.primitives import serialization
                serialization.load_ssh_public_key(
                    ('%s %s' % (parts[0], parts[1])).encode())
                blob = base64.b64decode(parts[1], validate=True)
            except (ValueError, TypeError, binascii.Error):
                raise exception.InvalidKeypair(
                    reason='failed to generate fingerprint')
            digest = hashlib.md5(blob).hexdigest()
        return ':'.join(a + b for a, b in zip(digest[::2], digest[1::2]))

    def _generate(self, key_type, name):
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives import serialization
        private = rsa.generate_private_key(public_exponent=65537,
                                           key_size=2048)
        private_pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()).decode()
        if key_type == keypair_obj.KEYPAIR_TYPE_X509:
            import datetime
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes
            from cryptography.x509.oid import NameOID
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                    name)])
            now = datetime.datetime.now(datetime.timezone.utc)
            cert = (x509.CertificateBuilder().subject_name(subject)
                    .issuer_name(subject).public_key(private.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now)
                    .not_valid_after(now + datetime.timedelta(days=3650))
                    .sign(private, hashes.SHA256()))
            public = cert.public_bytes(serialization.Encoding.PEM).decode()
        else:
            public = private.public_key().public_bytes(
                serialization.Encoding.OpenSSH,
                serialization.PublicFormat.OpenSSH).decode() + \
                ' Generated-by-Novalite'
        return private_pem, public

    def create(self, context, user_id, name, public_key=None,
               key_type='ssh'):
        """Import ``public_key`` or generate a pair.

        :returns: (KeyPair, private_key or None)
        :raises: KeypairLimitExceeded, InvalidKeypair, KeyPairExists
        """
        quota_obj.check_deltas(context, {'key_pairs': 1},
                               context.project_id, user_id=user_id)
        private_key = None
        if public_key is None:
            private_key, public_key = self._generate(key_type, name)
        keypair = objects.KeyPair(
            context, name=name, user_id=user_id, public_key=public_key,
            type=key_type,
            fingerprint=self._fingerprint(public_key, key_type))
        keypair.create()
        if CONF.quota.recheck_quota:
            try:
                quota_obj.check_deltas(context, {'key_pairs': 0},
                                       context.project_id, user_id=user_id)
            except exception.KeypairLimitExceeded:
                keypair.destroy()
                raise
        return keypair, private_key

    def get(self, context, user_id, name):
        return objects.KeyPair.get_by_name(context, user_id, name)

    def get_all(self, context, user_id, limit=None, marker=None):
        return objects.KeyPairList.get_by_user(context, user_id,
                                               limit=limit, marker=marker)

    def delete(self, context, user_id, name):
        objects.KeyPair.destroy_by_name(context, user_id, name)
