"""``POST /servers/{id}/action`` and ``POST /servers/{id}/remote-consoles``.

The action body has exactly one key, the action name; ``ACTIONS`` maps each
name to its handler and the microversion range it exists in. A wrong state
answers Nova's 409 "Cannot '<action>' instance <uuid> while it is in
vm_state <state>".
"""

import webob.exc

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import servers as schema
from novalite.api.openstack.compute import servers
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite import conf
from novalite import exception

CONF = conf.CONF


def _simple(method, rule, action_name=None):
    """An action that only checks policy and calls ``compute().<method>``."""
    def handler(req, instance):
        common.authorize(req, rule, servers._target(instance))
        try:
            getattr(servers.compute(), method)(req.context, instance)
        except exception.InstanceInvalidState as exc:
            raise common.conflict_for_invalid_state(
                exc, action_name or method, instance.uuid)
        return wsgi.response(status=202)
    return handler


@validation.schema(schema.reboot)
def _reboot(req, instance):
    common.authorize(req, 'os_compute_api:servers:reboot',
                     servers._target(instance))
    reboot_type = req.json['reboot']['type'].upper()
    try:
        servers.compute().reboot(req.context, instance, reboot_type)
    except exception.InstanceInvalidState as exc:
        raise common.conflict_for_invalid_state(exc, 'reboot',
                                                instance.uuid)
    return wsgi.response(status=202)


def _lock(req, instance):
    common.authorize(req, 'os_compute_api:os-lock-server:lock',
                     servers._target(instance))
    servers.compute().lock(req.context, instance)
    return wsgi.response(status=202)


def _unlock(req, instance):
    common.authorize(req, 'os_compute_api:os-lock-server:unlock',
                     servers._target(instance))
    servers.compute().unlock(req.context, instance)
    return wsgi.response(status=202)


@validation.schema(schema.get_console_output)
def _console_output(req, instance):
    common.authorize(req, 'os_compute_api:os-console-output',
                     servers._target(instance))
    length = (req.json['os-getConsoleOutput'] or {}).get('length')
    length = int(length) if length is not None else None
    if length == -1:
        length = None
    try:
        output = servers.compute().get_console_output(
            req.context, instance, tail_length=length)
    except exception.InstanceNotReady as exc:
        raise exception.Conflict(exc.format_message())
    except NotImplementedError:
        raise webob.exc.HTTPNotImplemented(
            explanation='Unable to get console output')
    return wsgi.response({'output': output})


def _vnc_url(req, instance, console_type):
    if not CONF.vnc.enabled:
        raise exception.ConsoleTypeUnavailable(console_type=console_type)
    try:
        return servers.compute().get_vnc_console(req.context, instance,
                                                 console_type)['url']
    except exception.InstanceNotReady as exc:
        raise exception.Conflict(exc.format_message())


@validation.schema(schema.get_vnc_console)
def _get_vnc_console(req, instance):
    common.authorize(req, 'os_compute_api:os-remote-consoles',
                     servers._target(instance))
    console_type = req.json['os-getVNCConsole']['type']
    if console_type != 'novnc':
        raise exception.ConsoleTypeUnavailable(console_type=console_type)
    url = _vnc_url(req, instance, console_type)
    return wsgi.response({'console': {'type': console_type, 'url': url}})


def _unavailable_console(default_type):
    def handler(req, instance):
        common.authorize(req, 'os_compute_api:os-remote-consoles',
                         servers._target(instance))
        value = list(req.json.values())[0]
        console_type = value.get('type', default_type) \
            if isinstance(value, dict) else default_type
        raise exception.ConsoleTypeUnavailable(console_type=console_type)
    return handler


# name -> (handler, min_version, max_version)
ACTIONS = {
    'os-start': (_simple('start', 'os_compute_api:servers:start'), None,
                 None),
    'os-stop': (_simple('stop', 'os_compute_api:servers:stop'), None, None),
    'reboot': (_reboot, None, None),
    'pause': (_simple('pause', 'os_compute_api:os-pause-server:pause'),
              None, None),
    'unpause': (_simple('unpause',
                        'os_compute_api:os-pause-server:unpause'),
                None, None),
    'suspend': (_simple('suspend',
                        'os_compute_api:os-suspend-server:suspend'),
                None, None),
    'resume': (_simple('resume', 'os_compute_api:os-suspend-server:resume'),
               None, None),
    'lock': (_lock, None, None),
    'unlock': (_unlock, None, None),
    'os-getConsoleOutput': (_console_output, None, None),
    'os-getVNCConsole': (_get_vnc_console, None, '2.5'),
    'os-getSPICEConsole': (_unavailable_console('spice-html5'), None,
                           '2.5'),
    'os-getRDPConsole': (_unavailable_console('rdp-html5'), None, '2.5'),
    'os-getSerialConsole': (_unavailable_console('serial'), None, '2.5'),
}


def server_action(req, server_id):
    body = req.json
    if len(body) != 1:
        raise exception.ValidationError(
            detail='Malformed request body: too many body keys')
    name = list(body)[0]
    entry = ACTIONS.get(name)
    if entry is None:
        raise exception.ValidationError(
            detail='There is no such action: %s' % name)
    handler, min_version, max_version = entry
    if not req.is_legacy_v2 and not req.ver(min_version, max_version):
        raise exception.NotFound('The resource could not be found.')
    instance = servers.get_server(req, server_id)
    return handler(req, instance)


def _remote_console(req, server_id):
    instance = servers.get_server(req, server_id)
    common.authorize(req, 'os_compute_api:os-remote-consoles',
                     servers._target(instance))
    body = req.json['remote_console']
    protocol, console_type = body['protocol'], body['type']
    if protocol != 'vnc' or console_type != 'novnc':
        raise exception.ConsoleTypeUnavailable(console_type=console_type)
    url = _vnc_url(req, instance, console_type)
    return wsgi.response({'remote_console': {
        'protocol': protocol, 'type': console_type, 'url': url}})


@wsgi.api_version_range('2.6')
def create_remote_console(req, server_id):
    if req.ver('2.8'):
        validation.validate(schema.remote_console_v28, req.json)
    else:
        validation.validate(schema.remote_console, req.json)
    return _remote_console(req, server_id)
