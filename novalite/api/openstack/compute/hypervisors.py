"""os-hypervisors: list, detail, show, statistics, search, servers."""


import webob.exc

from novalite.api.openstack import common
from novalite.api.openstack import wsgi
from novalite import conf
from novalite import exception
from novalite import objects
from novalite.api.openstack.compute import views

CONF = conf.CONF
P = 'os_compute_api:os-hypervisors:%s'
_STAT_KEYS = ('vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
              'memory_mb_used', 'local_gb_used', 'free_ram_mb',
              'free_disk_gb', 'current_workload', 'running_vms',
              'disk_available_least')


def _services(req):
    return {s.id: s for s in objects.ServiceList.get_all(req.context)}


def _service_of(node, services):
    if node.service_id in services:
        return services[node.service_id]
    for service in services.values():
        if service.host == node.host and service.binary.endswith('compute'):
            return service
    return None


def _view(req, node, service, detail):
    body = {
        'id': node.id,
        'hypervisor_hostname': node.hypervisor_hostname,
        'state': 'up' if service is not None and service.is_up(
            CONF.service_down_time) else 'down',
        'status': 'disabled' if service is None or service.disabled
        else 'enabled',
    }
    if detail:
        for key in _STAT_KEYS:
            body[key] = getattr(node, key) or 0
        body['disk_available_least'] = node.disk_available_least
        body.update({
            'hypervisor_type': node.hypervisor_type,
            'hypervisor_version': node.hypervisor_version,
            'host_ip': str(node.host_ip) if node.host_ip else None,
            'cpu_info': node.cpu_info or '{}',
            'service': {
                'host': node.host,
                'id': service.id if service is not None else None,
                'disabled_reason': service.disabled_reason
                if service is not None else None,
            },
        })
    return body


def _list(req, rule, detail):
    common.authorize(req, P % rule)
    services = _services(req)
    nodes = objects.ComputeNodeList.get_all(req.context)
    return wsgi.response({'hypervisors': [
        _view(req, n, _service_of(n, services), detail) for n in nodes]})


def list_hypervisors(req):
    return _list(req, 'list', detail=False)


def list_hypervisors_detail(req):
    return _list(req, 'list-detail', detail=True)


def _node(req, hypervisor_id):
    try:
        return objects.ComputeNode.get_by_id(req.context, int(hypervisor_id))
    except (ValueError, exception.ComputeNodeNotFound):
        raise exception.NotFound('Hypervisor with ID %s could not be found.'
                                 % hypervisor_id)


def show_hypervisor(req, hypervisor_id):
    common.authorize(req, P % 'show')
    node = _node(req, hypervisor_id)
    service = _service_of(node, _services(req))
    return wsgi.response({'hypervisor': _view(req, node, service, True)})


def hypervisor_uptime(req, hypervisor_id):
    common.authorize(req, P % 'show')
    _node(req, hypervisor_id)
    raise webob.exc.HTTPNotImplemented(
        explanation='Virt driver does not implement uptime function.')


def hypervisor_statistics(req):
    common.authorize(req, P % 'statistics')
    nodes = list(objects.ComputeNodeList.get_all(req.context))
    stats = {key: sum(getattr(n, key) or 0 for n in nodes)
             for key in _STAT_KEYS}
    stats['count'] = len(nodes)
    return wsgi.response({'hypervisor_statistics': stats})


def _matching(req, pattern):
    nodes = [n for n in objects.ComputeNodeList.get_all(req.context)
             if pattern in n.hypervisor_hostname]
    if not nodes:
        raise exception.NotFound("No hypervisor matching '%s' could be "
                                 "found." % pattern)
    return nodes


def search_hypervisors(req, hypervisor_hostname_pattern):
    common.authorize(req, P % 'search')
    services = _services(req)
    return wsgi.response({'hypervisors': [
        _view(req, n, _service_of(n, services), False)
        for n in _matching(req, hypervisor_hostname_pattern)]})


def hypervisor_servers(req, hypervisor_hostname_pattern):
    common.authorize(req, P % 'servers')
    services = _services(req)
    result = []
    for node in _matching(req, hypervisor_hostname_pattern):
        body = _view(req, node, _service_of(node, services), False)
        instances = objects.InstanceList.get_by_filters(
            req.context, {'host': node.host, 'node': node.hypervisor_hostname})
        if len(instances):
            body['servers'] = [
                {'name': views.INSTANCE_NAME_TEMPLATE % i.id,
                 'uuid': i.uuid} for i in instances]
        result.append(body)
    return wsgi.response({'hypervisors': result})


