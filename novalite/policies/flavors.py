"""Rules of flavors, their extra specs and project access."""

from novalite.policies import base

R = base.rule
FM = 'os_compute_api:os-flavor-manage:%s'
ES = 'os_compute_api:os-flavor-extra-specs:%s'
FA = 'os_compute_api:os-flavor-access'

rules = [
    R(FM % 'create', base.ADMIN, 'Create a flavor', [('POST', '/flavors')]),
    R(FM % 'update', base.ADMIN, 'Update a flavor',
      [('PUT', '/flavors/{flavor_id}')]),
    R(FM % 'delete', base.ADMIN, 'Delete a flavor',
      [('DELETE', '/flavors/{flavor_id}')]),
    R(ES % 'index', base.PROJECT_READER_OR_ADMIN,
      'List the extra specs of a flavor',
      [('GET', '/flavors/{flavor_id}/os-extra_specs')]),
    R(ES % 'show', base.PROJECT_READER_OR_ADMIN,
      'Show an extra spec of a flavor',
      [('GET', '/flavors/{flavor_id}/os-extra_specs/{key}')]),
    R(ES % 'create', base.ADMIN, 'Add extra specs to a flavor',
      [('POST', '/flavors/{flavor_id}/os-extra_specs')]),
    R(ES % 'update', base.ADMIN, 'Set an extra spec of a flavor',
      [('PUT', '/flavors/{flavor_id}/os-extra_specs/{key}')]),
    R(ES % 'delete', base.ADMIN, 'Delete an extra spec of a flavor',
      [('DELETE', '/flavors/{flavor_id}/os-extra_specs/{key}')]),
    R(FA, base.ADMIN, 'List the projects that can use a private flavor',
      [('GET', '/flavors/{flavor_id}/os-flavor-access')]),
    R(FA + ':add_tenant_access', base.ADMIN,
      'Let a project use a private flavor',
      [('POST', '/flavors/{flavor_id}/action (addTenantAccess)')]),
    R(FA + ':remove_tenant_access', base.ADMIN,
      'Stop a project using a private flavor',
      [('POST', '/flavors/{flavor_id}/action (removeTenantAccess)')]),
]


def list_rules():
    return rules
