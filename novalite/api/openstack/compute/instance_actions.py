"""``/servers/{id}/os-instance-actions``: what was done to a server."""

from novalite.api.openstack import common
from novalite.api.openstack.compute import servers
from novalite.api.openstack import wsgi
from novalite import exception
from novalite import objects

P = 'os_compute_api:os-instance-actions:%s'
_ACTION_KEYS = ('action', 'instance_uuid', 'request_id', 'user_id',
                'project_id', 'message')


def _action(action):
    body = {key: getattr(action, key) for key in _ACTION_KEYS}
    body['start_time'] = common.strtime(action.start_time)
    return body


def _event(event, show_traceback):
    body = {'event': event.event, 'result': event.result,
            'start_time': common.strtime(event.start_time),
            'finish_time': common.strtime(event.finish_time)}
    if show_traceback:
        body['traceback'] = event.traceback
    return body


def _instance(req, server_id, rule):
    # Deleted servers keep their history, as in Nova.
    ctxt = req.context.elevated(read_deleted='yes') if req.context.is_admin \
        else req.context
    instance = servers.compute().get(ctxt, server_id)
    common.authorize(req, P % rule, servers._target(instance))
    return instance


def list_instance_actions(req, server_id):
    instance = _instance(req, server_id, 'list')
    actions = objects.InstanceActionList.get_by_instance_uuid(
        req.context, instance.uuid)
    return wsgi.response({'instanceActions': [_action(a) for a in actions]})


def show_instance_action(req, server_id, request_id):
    instance = _instance(req, server_id, 'show')
    action = objects.InstanceAction.get_by_request_id(
        req.context, instance.uuid, request_id)
    if action is None:
        raise exception.InstanceActionNotFound(request_id=request_id,
                                               instance_uuid=instance.uuid)
    body = _action(action)
    if common.can(req, P % 'events', servers._target(instance)):
        events = objects.InstanceActionEventList.get_by_action(
            req.context, action.id)
        body['events'] = [_event(e, show_traceback=True) for e in events]
    return wsgi.response({'instanceAction': body})
