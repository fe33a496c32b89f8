"""Servers: list, detail, show, create, update, delete."""

import base64
import binascii
import re
import secrets
import string

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from novalite.api.openstack import common
from novalite.api.openstack.compute import images as images_handlers
from novalite.api.openstack.compute.schemas import servers as schema
from novalite.api.openstack.compute import views
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite.compute import api as compute_api
from novalite import conf
from novalite import exception
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)
P = 'os_compute_api:servers:%s'
EXTENDED_ATTRS = 'os_compute_api:os-extended-server-attributes'

_API = {}

# Filters a non-admin may use; anything else is ignored for them.
_USER_FILTERS = ('reservation_id', 'name', 'status', 'image', 'flavor',
                 'ip', 'changes-since', 'all_tenants', 'ip6')
_ADMIN_FILTERS = _USER_FILTERS + ('host', 'node', 'project_id', 'tenant_id',
                                  'user_id', 'key_name', 'uuid', 'deleted',
                                  'vm_state', 'task_state', 'locked',
                                  'availability_zone')


def compute():
    """The process-wide compute API facade (RPC clients made once)."""
    if 'api' not in _API:
        _API['api'] = compute_api.API()
    return _API['api']


def get_server(req, server_id, expected_attrs=None):
    return compute().get(req.context, server_id,
                         expected_attrs=expected_attrs)


def _target(instance):
    return {'project_id': instance.project_id, 'user_id': instance.user_id}


# -- list ----------------------------------------------------------------------

def _search_filters(req):
    ctxt = req.context
    allowed = _ADMIN_FILTERS if common.can(req, P % 'allow_all_filters') \
        else _USER_FILTERS
    opts = {k: req.GET.getall(k)[-1] for k in req.GET.keys()
            if k in allowed}
    filters = {}
    if 'status' in opts:
        opts.pop('status')
        states = common.states_from_statuses(req.GET.getall('status'))
        if states is None:
            return None
        filters['vm_state'], task = states
        if task is not None:
            filters['task_state'] = task
        if 'deleted' in filters['vm_state']:
            if not ctxt.is_admin:
                return None
            filters['deleted'] = True
    if 'changes-since' in opts:
        try:
            filters['changes-since'] = timeutils.parse_isotime(
                opts.pop('changes-since'))
        except ValueError:
            raise exception.ValidationError(
                detail='Invalid changes-since value')
        filters.setdefault('deleted', None)
    for name, db_name in (('name', 'display_name'), ('image', 'image_ref'),
                          ('host', 'host'), ('node', 'node'),
                          ('reservation_id', 'reservation_id'),
                          ('key_name', 'key_name'), ('uuid', 'uuid'),
                          ('user_id', 'user_id'), ('vm_state', 'vm_state'),
                          ('task_state', 'task_state'),
                          ('availability_zone', 'availability_zone'),
                          ('ip', 'ip'), ('ip6', 'ip6')):
        if name in opts:
            filters[db_name] = opts[name]
    for name in ('name', 'ip', 'ip6'):
        if name in opts:
            try:
                re.compile(opts[name])
            except (re.error, OverflowError, RecursionError, ValueError):
                # OverflowError: a{4294967296}; RecursionError: nesting.
                raise exception.ValidationError(
                    detail='Invalid %s filter: not a regular expression: '
                           '%s' % (name, opts[name]))
    if 'image' in opts:
        filters['image_ref'] = opts['image'].rstrip('/').rsplit('/', 1)[-1]
    if 'flavor' in opts:
        flavor_id = opts['flavor'].rstrip('/').rsplit('/', 1)[-1]
        try:
            filters['instance_type_id'] = common.get_flavor(
                req, flavor_id).id
        except exception.FlavorNotFound:
            return None
    if 'locked' in opts:
        filters['locked'] = common.is_true(opts['locked'])
    if 'deleted' in opts:
        if common.is_true(opts['deleted']):
            filters['deleted'] = True
        else:
            filters.pop('deleted', None)
    if filters.get('deleted') is None:
        filters.pop('deleted', None)
    all_tenants = 'all_tenants' in opts and (
        opts['all_tenants'] == '' or common.is_true(opts['all_tenants']))
    project = opts.get('project_id') or opts.get('tenant_id')
    if all_tenants or (project and ctxt.is_admin):
        rule = 'detail:get_all_tenants' if req.path_info.endswith(
            '/detail') else 'index:get_all_tenants'
        common.authorize(req, P % rule)
        if project:
            filters['project_id'] = project
    else:
        filters['project_id'] = ctxt.project_id
    return filters


def _list(req, detail):
    common.authorize(req, P % ('detail' if detail else 'index'))
    validation.validate(schema.query_params,
                        {k: req.GET.getall(k) for k in req.GET.keys()},
                        what='query parameters')
    limit, marker = common.limit_and_marker(req)
    filters = _search_filters(req)
    if filters is None:
        instances = []
    else:
        sort_keys = req.GET.getall('sort_key') or None
        sort_dirs = req.GET.getall('sort_dir') or None
        try:
            instances = compute().get_all(
                req.context, filters, limit=limit, marker=marker,
                sort_keys=sort_keys, sort_dirs=sort_dirs,
                expected_attrs=['fault'] if detail else None)
        except exception.MarkerNotFound as exc:
            raise exception.ValidationError(detail=exc.format_message())
        instances = list(instances)
    if detail:
        show_admin = common.can(req, EXTENDED_ATTRS)
        servers = [views.server(req, i, show_admin=show_admin)
                   for i in instances]
    else:
        servers = [views.server_brief(req, i) for i in instances]
    body = {'servers': servers}
    links = common.collection_links(req, instances, 'servers', limit,
                                    id_key='uuid')
    if links:
        body['servers_links'] = links
    return wsgi.response(body)


def list_servers(req):
    return _list(req, detail=False)


def list_servers_detail(req):
    return _list(req, detail=True)


def show_server(req, server_id):
    instance = get_server(req, server_id, expected_attrs=['fault'])
    common.authorize(req, P % 'show', _target(instance))
    show_admin = common.can(req, EXTENDED_ATTRS, _target(instance))
    return wsgi.response({'server': views.server(req, instance,
                                                 show_admin=show_admin)})


# -- create --------------------------------------------------------------------

def _flavor(req, flavor_ref):
    flavor_id = str(flavor_ref).rstrip('/').rsplit('/', 1)[-1]
    try:
        return common.get_flavor(req, flavor_id)
    except exception.FlavorNotFound:
        raise exception.ValidationError(detail='Invalid flavorRef provided.')


def _image(req, image_ref):
    if not image_ref:
        raise exception.ValidationError(detail='Invalid imageRef provided.')
    image_id = image_ref.rstrip('/').rsplit('/', 1)[-1]
    if not uuidutils.is_uuid_like(image_id):
        raise exception.ValidationError(detail='Invalid imageRef provided.')
    image_api = images_handlers.image_api()
    if image_api is None:
        return image_id, None
    try:
        return image_id, image_api.get(req.context, image_id)
    except exception.ImageNotFound:
        raise exception.ValidationError(
            detail='Image %s could not be found.' % image_id)


def _is_image_root_disk(bdm, image_ref):
    """True for the mapping Nova makes of ``imageRef`` itself: the image
    copied to a local root disk (``openstack server create --image`` sends
    it explicitly)."""
    image_id = (image_ref or '').rstrip('/').rsplit('/', 1)[-1]
    return (bdm.get('source_type') == 'image' and
            bdm.get('destination_type', 'local') == 'local' and
            str(bdm.get('boot_index')) == '0' and
            bdm.get('uuid') == image_id and not bdm.get('volume_size') and
            not bdm.get('no_device'))


def _check_block_devices(server):
    """Only the image-to-local root disk is accepted; novalite has no
    volumes, ephemeral or swap mappings.

    :raises: ValidationError (400)
    """
    if server.get('block_device_mapping'):
        raise exception.ValidationError(
            detail='Block Device Mapping is Invalid: volumes are not '
                   'supported.')
    mappings = server.get('block_device_mapping_v2') or []
    if len(mappings) > 1 or not all(
            _is_image_root_disk(bdm, server.get('imageRef'))
            for bdm in mappings):
        raise exception.ValidationError(
            detail='Block Device Mapping is Invalid: only the image '
                   'given as imageRef can be mapped, as the local root '
                   'disk (boot_index 0); volumes are not supported.')


def _user_data(value):
    if value is None:
        return None
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise exception.ValidationError(
            detail='User data needs to be valid base 64.')
    return value


def _networks(value):
    if value is None or isinstance(value, str):
        return value
    result = []
    for net in value:
        if net.get('port'):
            raise exception.ValidationError(
                detail='Ports are not supported: novalite has flat fixed-IP '
                       'networking only.')
        result.append({'uuid': net.get('uuid'),
                       'fixed_ip': net.get('fixed_ip')})
    return result


def _personality(req, files):
    if not files:
        return None
    from novalite.objects import quotas as quota_obj
    limits = quota_obj.get_limits(req.context, req.context.project_id)
    if 0 <= limits['injected_files'] < len(files):
        raise exception.Forbidden('Personality file limit exceeded')
    result = []
    for item in files:
        path = item.get('path', '')
        try:
            contents = base64.b64decode(item.get('contents', ''),
                                        validate=True)
        except (binascii.Error, ValueError):
            raise exception.ValidationError(
                detail='Personality content for %s cannot be decoded' % path)
        if 0 <= limits['injected_file_path_bytes'] < len(path):
            raise exception.Forbidden(
                'Personality file path exceeds maximum %d'
                % limits['injected_file_path_bytes'])
        if 0 <= limits['injected_file_content_bytes'] < len(contents):
            raise exception.Forbidden(
                'Personality file content exceeds maximum %d'
                % limits['injected_file_content_bytes'])
        result.append((path, contents.decode('latin-1')))
    return result


def _availability_zone(req, value):
    """``zone``, ``zone:host`` or ``zone:host:node`` (hosts are admin)."""
    if not value:
        return CONF.default_schedule_zone, None, None
    if value.count(':') > 2:
        raise exception.ValidationError(
            detail='Unable to parse availability_zone')
    zone, _sep, rest = value.partition(':')
    host, _sep, node = rest.partition(':')
    if host or node:
        common.authorize(req, P % 'create:forced_host')
    return zone or None, host or None, node or None


def _admin_pass(server):
    if server.get('adminPass'):
        return server['adminPass']
    alphabet = string.ascii_letters + string.digits
    return ''.join(secrets.choice(alphabet) for _ in range(12))


@validation.schema(schema.create)
def create_server(req):
    common.authorize(req, P % 'create')
    body = req.json
    server = body['server']
    hints = body.get('os:scheduler_hints') or \
        body.get('OS-SCH-HNT:scheduler_hints') or {}
    _check_block_devices(server)
    min_count = int(server.get('min_count', 1))
    max_count = int(server.get('max_count', min_count))
    if min_count > max_count:
        raise exception.ValidationError(
            detail='min_count must be <= max_count')
    flavor = _flavor(req, server['flavorRef'])
    image_id, image = _image(req, server.get('imageRef'))
    zone, host, node = _availability_zone(req,
                                          server.get('availability_zone'))
    user_data = _user_data(server.get('user_data'))
    networks = _networks(server.get('networks'))
    files = _personality(req, server.get('personality'))
    admin_pass = _admin_pass(server)
    try:
        instances, reservation_id = compute().create(
            req.context, flavor, image_id, image=image,
            name=server['name'], metadata=server.get('metadata'),
            key_name=server.get('key_name'), availability_zone=zone,
            min_count=min_count, max_count=max_count, user_data=user_data,
            requested_networks=networks, scheduler_hints=hints,
            access_ip_v4=server.get('accessIPv4'),
            access_ip_v6=server.get('accessIPv6'),
            config_drive=common.is_true(server.get('config_drive', False)),
            forced_host=host, forced_node=node, injected_files=files,
            admin_password=admin_pass)
    except exception.KeypairNotFound:
        raise exception.ValidationError(detail='Invalid key_name provided.')
    except exception.FlavorNotFound:
        raise exception.ValidationError(detail='Invalid flavorRef provided.')
    except exception.InstanceGroupNotFound as exc:
        raise exception.ValidationError(detail=exc.format_message())
    if common.is_true(server.get('return_reservation_id', False)):
        return wsgi.response({'reservation_id': reservation_id}, 202)
    instance = instances[0]
    body = {'server': {
        'id': instance.uuid,
        'links': common.resource_links(req, 'servers', instance.uuid),
        'OS-DCF:diskConfig': 'MANUAL' if server.get(
            'OS-DCF:diskConfig') == 'MANUAL' else 'AUTO',
        'security_groups': [{'name': 'default'}],
        'adminPass': admin_pass,
    }}
    return wsgi.response(body, 202, headers={
        'Location': body['server']['links'][0]['href']})


# -- update and delete ------------------------------------------------------------

@validation.schema(schema.update)
def update_server(req, server_id):
    instance = get_server(req, server_id)
    common.authorize(req, P % 'update', _target(instance))
    server = req.json['server']
    updates = {}
    if 'name' in server:
        updates['display_name'] = server['name']
    if 'accessIPv4' in server:
        updates['access_ip_v4'] = server['accessIPv4'] or None
    if 'accessIPv6' in server:
        updates['access_ip_v6'] = server['accessIPv6'] or None
    instance = compute().update(req.context, instance, **updates)
    show_admin = common.can(req, EXTENDED_ATTRS, _target(instance))
    return wsgi.response({'server': views.server(req, instance,
                                                 show_admin=show_admin)})


def delete_server(req, server_id):
    instance = get_server(req, server_id)
    common.authorize(req, P % 'delete', _target(instance))
    try:
        compute().delete(req.context, instance)
    except exception.InstanceNotFound:
        pass  # deleted by a concurrent request: the goal is reached
    return wsgi.response(status=204)
