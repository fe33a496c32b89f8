"""Every route of the compute API in one dict: ``{path: {method: handler}}``.

A method a path does not list answers 405 with an ``Allow`` header; a path
not listed answers 404. The removed nova-network-era and other legacy APIs
answer 410 Gone on every method, as Nova's do.
"""

import webob.exc

from novalite.api.openstack.compute import availability_zone as az
from novalite.api.openstack.compute import flavors
from novalite.api.openstack.compute import hypervisors
from novalite.api.openstack.compute import images
from novalite.api.openstack.compute import instance_actions
from novalite.api.openstack.compute import ips
from novalite.api.openstack.compute import keypairs
from novalite.api.openstack.compute import quota_sets
from novalite.api.openstack.compute import server_actions
from novalite.api.openstack.compute import server_groups
from novalite.api.openstack.compute import server_metadata
from novalite.api.openstack.compute import servers
from novalite.api.openstack.compute import services
from novalite.api.openstack.compute import versions


def _gone(req, **kwargs):
    raise webob.exc.HTTPGone()


_ALL_METHODS = ('GET', 'POST', 'PUT', 'DELETE')
_GONE = {method: _gone for method in _ALL_METHODS}

# Legacy APIs Nova removed: 410 on any method.
REMOVED = (
    '/os-agents', '/os-agents/{id}', '/os-cells', '/os-cells/{id}',
    '/os-cells/{id}/{action}', '/os-certificates', '/os-certificates/{id}',
    '/os-cloudpipe', '/os-cloudpipe/{id}', '/os-fping', '/os-fping/{id}',
    '/os-fixed-ips/{id}', '/os-fixed-ips/{id}/action',
    '/os-floating-ips-bulk', '/os-floating-ips-bulk/{id}',
    '/os-floating-ip-dns', '/os-floating-ip-dns/{id}',
    '/os-floating-ip-dns/{id}/entries/{entry}',
    '/os-networks/{id}/action', '/os-networks/add',
    '/os-security-group-default-rules',
    '/os-security-group-default-rules/{id}',
    '/servers/{server_id}/consoles', '/servers/{server_id}/consoles/{id}',
    '/servers/{server_id}/os-virtual-interfaces',
)

ROUTES = {
    '/': {'GET': versions.show_version},
    '/servers': {'GET': servers.list_servers,
                 'POST': servers.create_server},
    '/servers/detail': {'GET': servers.list_servers_detail},
    '/servers/{server_id}': {'GET': servers.show_server,
                             'PUT': servers.update_server,
                             'DELETE': servers.delete_server},
    '/servers/{server_id}/action': {'POST': server_actions.server_action},
    '/servers/{server_id}/remote-consoles': {
        'POST': server_actions.create_remote_console},
    '/servers/{server_id}/ips': {'GET': ips.list_ips},
    '/servers/{server_id}/ips/{network_label}': {'GET': ips.show_ips},
    '/servers/{server_id}/metadata': {
        'GET': server_metadata.list_metadata,
        'POST': server_metadata.create_metadata,
        'PUT': server_metadata.replace_metadata},
    '/servers/{server_id}/metadata/{key}': {
        'GET': server_metadata.show_metadata_item,
        'PUT': server_metadata.update_metadata_item,
        'DELETE': server_metadata.delete_metadata_item},
    '/servers/{server_id}/os-instance-actions': {
        'GET': instance_actions.list_instance_actions},
    '/servers/{server_id}/os-instance-actions/{request_id}': {
        'GET': instance_actions.show_instance_action},
    '/flavors': {'GET': flavors.list_flavors,
                 'POST': flavors.create_flavor},
    '/flavors/detail': {'GET': flavors.list_flavors_detail},
    '/flavors/{flavor_id}': {'GET': flavors.show_flavor,
                             'DELETE': flavors.delete_flavor},
    '/flavors/{flavor_id}/action': {'POST': flavors.flavor_action},
    '/flavors/{flavor_id}/os-flavor-access': {
        'GET': flavors.list_flavor_access},
    '/flavors/{flavor_id}/os-extra_specs': {
        'GET': flavors.list_extra_specs,
        'POST': flavors.create_extra_specs},
    '/flavors/{flavor_id}/os-extra_specs/{key}': {
        'GET': flavors.show_extra_spec,
        'PUT': flavors.update_extra_spec,
        'DELETE': flavors.delete_extra_spec},
    '/os-keypairs': {'GET': keypairs.list_keypairs,
                     'POST': keypairs.create_keypair},
    '/os-keypairs/{keypair_name}': {'GET': keypairs.show_keypair,
                                    'DELETE': keypairs.delete_keypair},
    '/images': {'GET': images.list_images},
    '/images/detail': {'GET': images.list_images_detail},
    '/images/{image_id}': {'GET': images.show_image},
    '/limits': {'GET': quota_sets.show_limits},
    '/os-quota-sets/{tenant_id}': {
        'GET': quota_sets.show_quota_set,
        'PUT': quota_sets.update_quota_set,
        'DELETE': quota_sets.delete_quota_set},
    '/os-quota-sets/{tenant_id}/defaults': {
        'GET': quota_sets.show_quota_defaults},
    '/os-quota-sets/{tenant_id}/detail': {
        'GET': quota_sets.show_quota_set_detail},
    '/os-services': {'GET': services.list_services},
    '/os-services/{service_id}': {'PUT': services.update_service,
                                  'DELETE': services.delete_service},
    '/os-hypervisors': {'GET': hypervisors.list_hypervisors},
    '/os-hypervisors/detail': {'GET': hypervisors.list_hypervisors_detail},
    '/os-hypervisors/statistics': {
        'GET': hypervisors.hypervisor_statistics},
    '/os-hypervisors/{hypervisor_id}': {
        'GET': hypervisors.show_hypervisor},
    '/os-hypervisors/{hypervisor_id}/uptime': {
        'GET': hypervisors.hypervisor_uptime},
    '/os-hypervisors/{hypervisor_hostname_pattern}/search': {
        'GET': hypervisors.search_hypervisors},
    '/os-hypervisors/{hypervisor_hostname_pattern}/servers': {
        'GET': hypervisors.hypervisor_servers},
    '/os-availability-zone': {'GET': az.list_zones},
    '/os-availability-zone/detail': {'GET': az.list_zones_detail},
    '/os-aggregates': {'GET': az.list_aggregates},
    '/os-server-groups': {'GET': server_groups.list_server_groups,
                          'POST': server_groups.create_server_group},
    '/os-server-groups/{server_group_id}': {
        'GET': server_groups.show_server_group,
        'DELETE': server_groups.delete_server_group},
}
ROUTES.update({path: _GONE for path in REMOVED})
