"""os-server-groups: affinity and anti-affinity groups of servers."""

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import parameter_types as pt
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite import conf
from novalite import exception
from novalite import objects
from novalite.objects import quotas as quota_obj

CONF = conf.CONF
P = 'os_compute_api:os-server-groups:%s'

create_schema = {
    'type': 'object',
    'properties': {
        'server_group': {
            'type': 'object',
            'properties': {
                'name': pt.name,
                'policies': {
                    'type': 'array', 'minItems': 1, 'maxItems': 1,
                    'items': {'type': 'string',
                              'enum': ['anti-affinity', 'affinity']},
                    'uniqueItems': True,
                },
            },
            'required': ['name', 'policies'],
            'additionalProperties': False,
        },
    },
    'required': ['server_group'],
    'additionalProperties': False,
}


def _view(req, group):
    body = {'id': group.uuid, 'name': group.name,
            'policies': group.policies, 'members': list(group.members),
            'metadata': {}}
    if req.ver('2.13'):
        body.update(project_id=group.project_id, user_id=group.user_id)
    return body


def _get(req, group_id):
    group = objects.InstanceGroup.get_by_uuid(req.context, group_id)
    if not req.context.is_admin and \
            group.project_id != req.context.project_id:
        raise exception.InstanceGroupNotFound(group_uuid=group_id)
    return group


def _target(group):
    return {'project_id': group.project_id, 'user_id': group.user_id}


def list_server_groups(req):
    common.authorize(req, P % 'index')
    limit, _marker = common.limit_and_marker(req)
    offset = common.int_param(req, 'offset', default=0)
    if common.is_true(req.GET.get('all_projects', 'false')) and \
            common.can(req, P % 'index:all_projects'):
        groups = objects.InstanceGroupList.get_all(req.context, limit=limit,
                                                   offset=offset)
    else:
        groups = objects.InstanceGroupList.get_by_project_id(
            req.context, req.context.project_id, limit=limit, offset=offset)
    return wsgi.response({'server_groups': [_view(req, g) for g in groups]})


def show_server_group(req, server_group_id):
    group = _get(req, server_group_id)
    common.authorize(req, P % 'show', _target(group))
    return wsgi.response({'server_group': _view(req, group)})


@validation.schema(create_schema)
def create_server_group(req):
    common.authorize(req, P % 'create')
    values = req.json['server_group']
    ctxt = req.context
    quota_obj.check_deltas(ctxt, {'server_groups': 1}, ctxt.project_id)
    group = objects.InstanceGroup(ctxt, name=values['name'],
                                  policy=values['policies'][0],
                                  project_id=ctxt.project_id,
                                  user_id=ctxt.user_id, rules={},
                                  members=[])
    group.create()
    if CONF.quota.recheck_quota:
        try:
            quota_obj.check_deltas(ctxt, {'server_groups': 0},
                                   ctxt.project_id)
        except exception.OverQuota:
            group.destroy()
            raise
    return wsgi.response({'server_group': _view(req, group)})


def delete_server_group(req, server_group_id):
    group = _get(req, server_group_id)
    common.authorize(req, P % 'delete', _target(group))
    group.destroy()
    return wsgi.response(status=204)
