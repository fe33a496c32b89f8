"""os-quota-sets and limits: a project's limits and counted usage."""

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import parameter_types as pt
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite import exception
from novalite.objects import quotas as quota_obj

P = 'os_compute_api:os-quota-sets:%s'

_limit = {'type': ['integer', 'string'], 'pattern': '^-?[0-9]+$',
          'minimum': -1, 'maximum': 0x7FFFFFFF}
update_schema = {
    'type': 'object',
    'properties': {
        'quota_set': {
            'type': 'object',
            'properties': dict(
                {name: _limit for name in quota_obj.RESOURCES},
                force=pt.boolean,
                **{name: _limit for name in quota_obj.LEGACY_NETWORK_QUOTAS}),
            'additionalProperties': False,
        },
    },
    'required': ['quota_set'],
    'additionalProperties': False,
}


def _quota_set(limits, project_id=None):
    body = dict(limits)
    body.update(quota_obj.LEGACY_NETWORK_QUOTAS)
    if project_id is not None:
        body['id'] = project_id
    return body


def _target(req, tenant_id):
    return {'project_id': tenant_id, 'user_id': req.context.user_id}


def show_quota_set(req, tenant_id):
    common.authorize(req, P % 'show', _target(req, tenant_id))
    limits = quota_obj.get_limits(req.context, tenant_id)
    return wsgi.response({'quota_set': _quota_set(limits, tenant_id)})


def show_quota_set_detail(req, tenant_id):
    common.authorize(req, P % 'show', _target(req, tenant_id))
    limits = quota_obj.get_limits(req.context, tenant_id)
    usage = quota_obj.count_usage(req.context, tenant_id,
                                  user_id=req.context.user_id)
    body = {name: {'limit': value, 'in_use': usage.get(name, 0),
                   'reserved': 0}
            for name, value in _quota_set(limits).items()}
    body['id'] = tenant_id
    return wsgi.response({'quota_set': body})


def show_quota_defaults(req, tenant_id):
    common.authorize(req, P % 'defaults', _target(req, tenant_id))
    return wsgi.response({'quota_set': _quota_set(
        quota_obj.default_limits(), tenant_id)})


@validation.schema(update_schema)
def update_quota_set(req, tenant_id):
    common.authorize(req, P % 'update', _target(req, tenant_id))
    values = dict(req.json['quota_set'])
    force = common.is_true(values.pop('force', False))
    new = {k: int(v) for k, v in values.items()
           if k in quota_obj.RESOURCES}
    if not force:
        usage = quota_obj.count_usage(req.context, tenant_id)
        for name, limit in new.items():
            if 0 <= limit < usage.get(name, 0):
                raise exception.ValidationError(
                    detail="Quota limit %s for %s must be greater than or "
                           "equal to already used and reserved %s."
                           % (limit, name, usage[name]))
    quota_obj.Quotas.set_limits(req.context, tenant_id, new)
    return wsgi.response({'quota_set': _quota_set(
        quota_obj.get_limits(req.context, tenant_id))})


def delete_quota_set(req, tenant_id):
    common.authorize(req, P % 'delete', _target(req, tenant_id))
    quota_obj.Quotas.destroy_all_by_project(req.context, tenant_id)
    return wsgi.response(status=202)


def show_limits(req):
    """``GET /limits``: absolute limits and usage; no rate limits."""
    common.authorize(req, 'os_compute_api:limits')
    project_id = req.context.project_id
    requested = req.GET.get('tenant_id')
    if requested and requested != project_id:
        common.authorize(req, 'os_compute_api:limits:other_project',
                         {'project_id': requested})
        project_id = requested
    limits = quota_obj.get_limits(req.context, project_id)
    usage = quota_obj.count_usage(req.context, project_id,
                                  resources=('instances', 'cores', 'ram',
                                             'server_groups'))
    net = quota_obj.LEGACY_NETWORK_QUOTAS
    absolute = {
        'maxServerMeta': limits['metadata_items'],
        'maxPersonality': limits['injected_files'],
        'maxPersonalitySize': limits['injected_file_content_bytes'],
        'maxImageMeta': limits['metadata_items'],
        'maxTotalCores': limits['cores'],
        'maxTotalInstances': limits['instances'],
        'maxTotalRAMSize': limits['ram'],
        'maxTotalKeypairs': limits['key_pairs'],
        'maxServerGroups': limits['server_groups'],
        'maxServerGroupMembers': limits['server_group_members'],
        'maxSecurityGroups': net['security_groups'],
        'maxSecurityGroupRules': net['security_group_rules'],
        'maxTotalFloatingIps': net['floating_ips'],
        'totalCoresUsed': usage.get('cores', 0),
        'totalInstancesUsed': usage.get('instances', 0),
        'totalRAMUsed': usage.get('ram', 0),
        'totalServerGroupsUsed': usage.get('server_groups', 0),
        'totalSecurityGroupsUsed': 0,
        'totalFloatingIpsUsed': 0,
    }
    return wsgi.response({'limits': {'absolute': absolute, 'rate': []}})
