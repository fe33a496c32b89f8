"""os-availability-zone: the zones, and (admin) their hosts and services."""

from novalite.api.openstack import common
from novalite.api.openstack import wsgi
from novalite.compute import api as compute_api
from novalite import conf
from novalite import objects

CONF = conf.CONF


def _zones(req):
    """``{zone: [service, ...]}`` of the enabled services."""
    zones = {}
    for service in objects.ServiceList.get_all(req.context):
        zones.setdefault(compute_api.service_zone(service),
                         []).append(service)
    return zones


def list_zones(req):
    common.authorize(req, 'os_compute_api:os-availability-zone:list')
    internal = CONF.internal_service_availability_zone
    info = []
    for zone, services in sorted(_zones(req).items()):
        if zone == internal:
            continue
        available = any(not s.disabled and s.is_up(CONF.service_down_time)
                        for s in services)
        info.append({'zoneName': zone, 'zoneState': {'available': available},
                     'hosts': None})
    return wsgi.response({'availabilityZoneInfo': info})


def list_zones_detail(req):
    common.authorize(req, 'os_compute_api:os-availability-zone:detail')
    info = []
    for zone, services in sorted(_zones(req).items()):
        hosts = {}
        for service in services:
            up = service.is_up(CONF.service_down_time)
            hosts.setdefault(service.host, {})[service.binary] = {
                'available': up and not service.disabled,
                'active': not service.disabled,
                'updated_at': common.strtime(service.updated_at)}
        available = any(s.is_up(CONF.service_down_time) and not s.disabled
                        for s in services)
        info.append({'zoneName': zone, 'zoneState': {'available': available},
                     'hosts': hosts})
    return wsgi.response({'availabilityZoneInfo': info})


def list_aggregates(req):
    """``GET /os-aggregates``: novalite has no host aggregates (every
    compute is in ``default_availability_zone``), so the list is empty."""
    common.authorize(req, 'os_compute_api:os-aggregates:index')
    return wsgi.response({'aggregates': []})
