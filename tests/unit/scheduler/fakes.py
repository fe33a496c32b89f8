"""Builders for scheduler unit tests: host states, request specs, sources."""

import datetime
import json
import uuid as uuid_mod

from oslo_utils import timeutils

from novalite import objects
from novalite.scheduler import host_manager
from novalite.scheduler import request as request_mod


def host_state(host='host1', nodename=None, vcpus=8, vcpus_used=0,
               memory_mb=8192, memory_mb_used=0, local_gb=100,
               local_gb_used=0, ratios=(1.0, 1.0, 1.0), up=True,
               disabled=False, zone='nova', instances=(), stats=None,
               cpu_info=None, supported_instances=None,
               hypervisor_type='fake', hypervisor_version=1000000):
    """A HostState filled the way HostManager fills it."""
    node = compute_node(host, nodename, vcpus=vcpus, vcpus_used=vcpus_used,
                        memory_mb=memory_mb, memory_mb_used=memory_mb_used,
                        local_gb=local_gb, local_gb_used=local_gb_used,
                        stats=stats, cpu_info=cpu_info,
                        supported_instances=supported_instances,
                        hypervisor_type=hypervisor_type,
                        hypervisor_version=hypervisor_version)
    state = host_manager.HostState(host, nodename or host)
    state.update_from_compute_node(
        node, lambda raw: json.loads(raw) if raw else None, ratios)
    state.service_up = up
    state.service_disabled = disabled
    state.availability_zone = zone
    state.instances = set(instances)
    return state


def compute_node(host, nodename=None, node_id=None, **values):
    """A ComputeNode object as the conductor would return it."""
    def dump(value):
        return value if value is None or isinstance(value, str) \
            else json.dumps(value)
    fields = dict(
        uuid=str(uuid_mod.uuid5(uuid_mod.NAMESPACE_DNS,
                                '%s/%s' % (host, nodename or host))),
        host=host, hypervisor_hostname=nodename or host,
        hypervisor_type='fake', hypervisor_version=1000000, vcpus=8,
        memory_mb=8192, local_gb=100, vcpus_used=0, memory_mb_used=0,
        local_gb_used=0, running_vms=0,
        updated_at=timeutils.utcnow())
    if node_id is not None:
        fields['id'] = node_id
    for key in ('stats', 'cpu_info', 'supported_instances'):
        if key in values:
            values[key] = dump(values[key])
    fields.update({k: v for k, v in values.items() if v is not None})
    return objects.ComputeNode(**fields)


def service(host, up=True, disabled=False, zone=None, forced_down=False):
    """A compute Service whose heartbeat is fresh (or an hour old)."""
    seen = timeutils.utcnow()
    if not up:
        seen -= datetime.timedelta(hours=1)
    return objects.Service(host=host, binary='novalite-compute',
                           disabled=disabled, forced_down=forced_down,
                           availability_zone=zone, last_seen_up=seen,
                           updated_at=seen, created_at=seen,
                           disabled_reason=None, deleted=False)


def spec(memory_mb=512, vcpus=1, root_gb=1, ephemeral_gb=0, swap=0,
         extra_specs=None, **fields):
    """A RequestSpec with a flavor of the given size."""
    flavor = objects.Flavor(id=1, flavorid='1', name='f', memory_mb=memory_mb,
                            vcpus=vcpus, root_gb=root_gb,
                            ephemeral_gb=ephemeral_gb, swap=swap,
                            extra_specs=extra_specs or {})
    fields.setdefault('num_instances', 1)
    return objects.RequestSpec(flavor=flavor, **fields)


def request(**kwargs):
    """A ScheduleRequest over :func:`spec`."""
    return request_mod.ScheduleRequest(spec(**kwargs))


class Source:
    """A HostManager source answering from lists; counts fetches."""

    def __init__(self, nodes=(), services=(), instance_map=None):
        self.nodes = list(nodes)
        self.service_list = list(services)
        self.instances = dict(instance_map or {})
        self.fetches = 0

    def compute_nodes(self, ctxt):
        self.fetches += 1
        return list(self.nodes)

    def services(self, ctxt):
        return list(self.service_list)

    def instance_map(self, ctxt):
        return {k: list(v) for k, v in self.instances.items()}


def cloud(count, **node_values):
    """A Source with ``count`` identical up hosts ``host00``..."""
    hosts = ['host%02d' % i for i in range(count)]
    return Source([compute_node(h, node_id=i + 1, **node_values)
                   for i, h in enumerate(hosts)],
                  [service(h) for h in hosts])
