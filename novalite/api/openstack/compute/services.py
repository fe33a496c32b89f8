"""os-services: list; enable, disable (with a reason), force down (2.11+),
delete."""

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import services as schema
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite.compute import api as compute_api
from novalite import conf
from novalite import exception
from novalite import objects

CONF = conf.CONF
P = 'os_compute_api:os-services:%s'


def _view(req, service):
    body = {
        'id': service.id,
        'binary': service.binary,
        'host': service.host,
        'zone': compute_api.service_zone(service),
        'status': 'disabled' if service.disabled else 'enabled',
        'state': 'up' if service.is_up(CONF.service_down_time) else 'down',
        'updated_at': common.strtime(service.updated_at),
        'disabled_reason': service.disabled_reason,
    }
    if req.ver('2.11'):
        body['forced_down'] = bool(service.forced_down)
    return body


def list_services(req):
    common.authorize(req, P % 'list')
    services = objects.ServiceList.get_all(
        req.context, host=req.GET.get('host'),
        binary=req.GET.get('binary'))
    return wsgi.response({'services': [_view(req, s) for s in services]})


def _service(req, host, binary):
    try:
        return objects.Service.get_by_host_and_binary(req.context, host,
                                                      binary)
    except exception.HostBinaryNotFound:
        raise exception.NotFound('Unknown service')


def update_service(req, service_id):
    """``PUT /os-services/{enable,disable,disable-log-reason,force-down}``."""
    common.authorize(req, P % 'update')
    body = req.json
    if service_id in ('enable', 'disable'):
        validation.validate(schema.enable_disable, body)
        service = _service(req, body['host'], body['binary'])
        service.disabled = service_id == 'disable'
        service.disabled_reason = None
        service.save()
        return wsgi.response({'service': {
            'host': service.host, 'binary': service.binary,
            'status': 'disabled' if service.disabled else 'enabled'}})
    if service_id == 'disable-log-reason':
        validation.validate(schema.disable_log_reason, body)
        service = _service(req, body['host'], body['binary'])
        service.disabled = True
        service.disabled_reason = body['disabled_reason']
        service.save()
        return wsgi.response({'service': {
            'host': service.host, 'binary': service.binary,
            'status': 'disabled',
            'disabled_reason': service.disabled_reason}})
    if service_id == 'force-down' and req.ver('2.11'):
        validation.validate(schema.force_down, body)
        service = _service(req, body['host'], body['binary'])
        service.forced_down = common.is_true(body['forced_down'])
        service.save()
        return wsgi.response({'service': {
            'host': service.host, 'binary': service.binary,
            'forced_down': service.forced_down}})
    raise exception.NotFound('Unknown action')


def delete_service(req, service_id):
    common.authorize(req, P % 'delete')
    try:
        service = objects.Service.get_by_id(req.context, int(service_id))
    except (ValueError, exception.ServiceNotFound):
        raise exception.NotFound('Service %s not found.' % service_id)
    service.destroy()
    return wsgi.response(status=204)
