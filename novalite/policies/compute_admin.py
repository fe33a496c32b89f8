"""Rules of the operator APIs: services, hypervisors, zones in detail."""

from novalite.policies import base

R = base.rule
SV = 'os_compute_api:os-services:%s'
HV = 'os_compute_api:os-hypervisors:%s'

rules = [
    R(SV % 'list', base.ADMIN, 'List compute services',
      [('GET', '/os-services')]),
    R(SV % 'update', base.ADMIN,
      'Enable, disable or force down a compute service',
      [('PUT', '/os-services/{service_id}')]),
    R(SV % 'delete', base.ADMIN, 'Delete a compute service',
      [('DELETE', '/os-services/{service_id}')]),
    R(HV % 'list', base.ADMIN, 'List hypervisors',
      [('GET', '/os-hypervisors')]),
    R(HV % 'list-detail', base.ADMIN, 'List hypervisors with details',
      [('GET', '/os-hypervisors/detail')]),
    R(HV % 'show', base.ADMIN, 'Show a hypervisor',
      [('GET', '/os-hypervisors/{hypervisor_id}')]),
    R(HV % 'statistics', base.ADMIN, 'Show hypervisor statistics',
      [('GET', '/os-hypervisors/statistics')]),
    R(HV % 'search', base.ADMIN, 'Search hypervisors by host name',
      [('GET', '/os-hypervisors/{hypervisor_hostname_pattern}/search')]),
    R(HV % 'servers', base.ADMIN, 'List the servers on hypervisors',
      [('GET', '/os-hypervisors/{hypervisor_hostname_pattern}/servers')]),
    R('os_compute_api:os-availability-zone:detail', base.ADMIN,
      'List availability zones with their hosts',
      [('GET', '/os-availability-zone/detail')]),
    R('os_compute_api:os-aggregates:index', base.ADMIN,
      'List host aggregates', [('GET', '/os-aggregates')]),
    R('os_compute_api:os-quota-sets:update', base.ADMIN,
      'Update the quotas of a project',
      [('PUT', '/os-quota-sets/{tenant_id}')]),
    R('os_compute_api:os-quota-sets:delete', base.ADMIN,
      'Revert the quotas of a project to the defaults',
      [('DELETE', '/os-quota-sets/{tenant_id}')]),
    R('os_compute_api:limits:other_project', base.ADMIN,
      'Show the limits of another project',
      [('GET', '/limits')]),
]


def list_rules():
    return rules
