"""What one ``select_destinations`` call asks, worked out once.

Filters and weighers run over thousands of hosts per instance. Reading a
RequestSpec's fields through oslo.versionedobjects properties on every host
would cost more than the filtering itself, so the scheduler reads them here
once per call and hands this plain object to every filter and weigher.
"""

_IMAGE_KEYS = {
    # property the filter checks: image property names that carry it,
    # the current Glance name first.
    'architecture': ('hw_architecture', 'architecture'),
    'hypervisor_type': ('img_hv_type', 'hypervisor_type'),
    'vm_mode': ('hw_vm_mode', 'vm_mode'),
}


def _field(obj, name, default=None):
    if obj is None or not obj.obj_attr_is_set(name):
        return default
    value = getattr(obj, name)
    return default if value is None else value


class ScheduleRequest:
    """A RequestSpec flattened into plain attributes.

    :ivar spec: the RequestSpec itself, for filters that need more.
    :ivar ram_mb, vcpus, disk_mb: what one instance asks for (disk is root
        plus ephemeral plus swap, in MiB).
    :ivar extra_specs: the flavor's extra specs.
    :ivar image_props: the image properties (dict).
    :ivar availability_zone: requested zone or None.
    :ivar group_policy: ``'affinity'``, ``'anti-affinity'`` or None.
    :ivar group_hosts: hosts holding members of the server group, growing
        as this request places its own instances.
    :ivar same_host, different_host: instance uuids from the hints.
    :ivar retry_hosts: hosts already tried for this build.
    :ivar instance_uuid: the instance being placed right now (changes as a
        multi-instance request advances).
    """

    __slots__ = ('spec', 'ram_mb', 'vcpus', 'disk_mb', 'extra_specs',
                 'image_props', 'availability_zone', 'group_policy',
                 'group_members', 'group_hosts', 'same_host',
                 'different_host', 'retry_hosts', 'ignore_hosts',
                 'force_hosts', 'force_nodes', 'instance_uuid')

    def __init__(self, spec):
        self.spec = spec
        flavor = _field(spec, 'flavor')
        self.ram_mb = _field(flavor, 'memory_mb', 0)
        self.vcpus = _field(flavor, 'vcpus', 0)
        self.disk_mb = (1024 * (_field(flavor, 'root_gb', 0) +
                                _field(flavor, 'ephemeral_gb', 0)) +
                        _field(flavor, 'swap', 0))
        self.extra_specs = dict(_field(flavor, 'extra_specs', {}))
        self.image_props = dict(_field(spec, 'image_properties', {}))
        self.availability_zone = _field(spec, 'availability_zone')
        self.group_policy = _field(spec, 'group_policy')
        self.group_members = frozenset(_field(spec, 'group_members', ()))
        self.group_hosts = set(_field(spec, 'group_hosts', ()))
        hints = _field(spec, 'scheduler_hints', {})
        self.same_host = frozenset(hints.get('same_host') or ())
        self.different_host = frozenset(hints.get('different_host') or ())
        self.retry_hosts = frozenset(_field(spec, 'retry_hosts', ()))
        self.ignore_hosts = frozenset(_field(spec, 'ignore_hosts', ()))
        self.force_hosts = frozenset(_field(spec, 'force_hosts', ()))
        self.force_nodes = frozenset(_field(spec, 'force_nodes', ()))
        self.instance_uuid = _field(spec, 'instance_uuid')

    def image_property(self, name):
        """``architecture``, ``hypervisor_type`` or ``vm_mode`` of the image,
        under its current or its legacy property name."""
        for key in _IMAGE_KEYS[name]:
            value = self.image_props.get(key)
            if value:
                return value
        return None
