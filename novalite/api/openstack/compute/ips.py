"""``/servers/{id}/ips``: a server's addresses, all or one network's."""

from novalite.api.openstack import common
from novalite.api.openstack.compute import servers
from novalite.api.openstack.compute import views
from novalite.api.openstack import wsgi
from novalite import exception


def _addresses(req, server_id, rule):
    instance = servers.get_server(req, server_id)
    common.authorize(req, rule, servers._target(instance))
    return {network: [{'version': a['version'], 'addr': a['addr']}
                      for a in items]
            for network, items in views.addresses(instance).items()}


def list_ips(req, server_id):
    return wsgi.response({'addresses': _addresses(
        req, server_id, 'os_compute_api:ips:index')})


def show_ips(req, server_id, network_label):
    addresses = _addresses(req, server_id, 'os_compute_api:ips:show')
    if network_label not in addresses:
        raise exception.NotFound('Instance is not a member of specified '
                                 'network')
    return wsgi.response({network_label: addresses[network_label]})
