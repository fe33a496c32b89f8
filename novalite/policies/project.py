"""Rules of the project-level read APIs: quotas, limits, zones, groups."""

from novalite.policies import base

R = base.rule
SG = 'os_compute_api:os-server-groups:%s'

rules = [
    R('os_compute_api:os-quota-sets:show', base.PROJECT_READER_OR_ADMIN,
      'Show the quotas of a project',
      [('GET', '/os-quota-sets/{tenant_id}'),
       ('GET', '/os-quota-sets/{tenant_id}/detail')]),
    R('os_compute_api:os-quota-sets:defaults', base.ANY,
      'Show the default quotas',
      [('GET', '/os-quota-sets/{tenant_id}/defaults')]),
    R('os_compute_api:limits', base.ANY, 'Show rate and absolute limits',
      [('GET', '/limits')]),
    R('os_compute_api:os-availability-zone:list', base.ANY,
      'List availability zones', [('GET', '/os-availability-zone')]),
    R(SG % 'index', base.PROJECT_READER_OR_ADMIN, 'List server groups',
      [('GET', '/os-server-groups')]),
    R(SG % 'index:all_projects', base.ADMIN,
      'List the server groups of all projects',
      [('GET', '/os-server-groups')]),
    R(SG % 'show', base.PROJECT_READER_OR_ADMIN, 'Show a server group',
      [('GET', '/os-server-groups/{server_group_id}')]),
    R(SG % 'create', base.PROJECT_MEMBER_OR_ADMIN, 'Create a server group',
      [('POST', '/os-server-groups')]),
    R(SG % 'delete', base.PROJECT_MEMBER_OR_ADMIN, 'Delete a server group',
      [('DELETE', '/os-server-groups/{server_group_id}')]),
]


def list_rules():
    return rules
