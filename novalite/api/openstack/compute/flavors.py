"""Flavors: list, detail, show; admin create/delete; extra specs; access."""

from oslo_utils import strutils
from oslo_utils import uuidutils

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import flavors as schema
from novalite.api.openstack.compute import views
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite import exception
from novalite import objects

FM = 'os_compute_api:os-flavor-manage:%s'
ES = 'os_compute_api:os-flavor-extra-specs:%s'
FA = 'os_compute_api:os-flavor-access'


def _get(req, flavor_id):
    return common.get_flavor(req, flavor_id)


def _is_public_filter(req):
    """True (public + shared with the project), False or None (all);
    only admins choose."""
    if not req.context.is_admin:
        return True
    value = req.GET.get('is_public')
    if value is None:
        return True
    if value.lower() == 'none':
        return None
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise exception.ValidationError(
            detail='Invalid is_public filter [%s]' % value)


def _list(req, detail):
    query = {k: req.GET.getall(k) for k in req.GET.keys()}
    validation.validate(schema.query_params, query,
                        what='query parameters')
    limit, marker = common.limit_and_marker(req)
    kwargs = {}
    for param, key in (('minRam', 'min_memory_mb'),
                       ('minDisk', 'min_root_gb')):
        if req.GET.get(param):
            kwargs[key] = int(req.GET[param])
    try:
        flavors = objects.FlavorList.get_all(
            req.context, is_public=_is_public_filter(req),
            sort_key=req.GET.get('sort_key', 'flavorid'),
            sort_dir=req.GET.get('sort_dir', 'asc'), limit=limit,
            marker=marker, **kwargs)
    except exception.MarkerNotFound as exc:
        raise exception.ValidationError(detail=exc.format_message())
    render = views.flavor if detail else views.flavor_brief
    flavors = list(flavors)
    body = {'flavors': [render(req, f) for f in flavors]}
    links = common.collection_links(req, flavors, 'flavors', limit,
                                    id_key='flavorid')
    if links:
        body['flavors_links'] = links
    return wsgi.response(body)


def list_flavors(req):
    return _list(req, detail=False)


def list_flavors_detail(req):
    return _list(req, detail=True)


def show_flavor(req, flavor_id):
    return wsgi.response({'flavor': views.flavor(req, _get(req, flavor_id))})


@validation.schema(schema.create)
def create_flavor(req):
    common.authorize(req, FM % 'create')
    values = req.json['flavor']
    flavor_id = values.get('id') or uuidutils.generate_uuid()
    flavor = objects.Flavor(
        req.context, name=values['name'], flavorid=str(flavor_id),
        memory_mb=int(values['ram']), vcpus=int(values['vcpus']),
        root_gb=int(values['disk']),
        ephemeral_gb=int(values.get('OS-FLV-EXT-DATA:ephemeral') or 0),
        swap=int(values.get('swap') or 0),
        rxtx_factor=float(values.get('rxtx_factor', 1.0)),
        is_public=common.is_true(values.get('os-flavor-access:is_public',
                                            True)),
        disabled=False)
    flavor.create()
    return wsgi.response({'flavor': views.flavor(req, flavor)})


def delete_flavor(req, flavor_id):
    common.authorize(req, FM % 'delete')
    _get(req, flavor_id).destroy()
    return wsgi.response(status=202)


# -- extra specs ---------------------------------------------------------------

def list_extra_specs(req, flavor_id):
    common.authorize(req, ES % 'index')
    return wsgi.response({'extra_specs': dict(
        _get(req, flavor_id).extra_specs)})


def _spec_values(specs):
    return {k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in specs.items()}


@validation.schema(schema.extra_specs_create)
def create_extra_specs(req, flavor_id):
    common.authorize(req, ES % 'create')
    flavor = _get(req, flavor_id)
    specs = _spec_values(req.json['extra_specs'])
    flavor.extra_specs = dict(flavor.extra_specs, **specs)
    flavor.save()
    return wsgi.response({'extra_specs': specs})


def show_extra_spec(req, flavor_id, key):
    common.authorize(req, ES % 'show')
    specs = _get(req, flavor_id).extra_specs
    if key not in specs:
        raise exception.FlavorExtraSpecsNotFound(flavor_id=flavor_id,
                                                 extra_specs_key=key)
    return wsgi.response({key: specs[key]})


@validation.schema(schema.extra_spec_update)
def update_extra_spec(req, flavor_id, key):
    common.authorize(req, ES % 'update')
    if key not in req.json:
        raise exception.ValidationError(
            detail='Request body and URI mismatch')
    flavor = _get(req, flavor_id)
    specs = _spec_values(req.json)
    flavor.extra_specs = dict(flavor.extra_specs, **specs)
    flavor.save()
    return wsgi.response(specs)


def delete_extra_spec(req, flavor_id, key):
    common.authorize(req, ES % 'delete')
    flavor = _get(req, flavor_id)
    specs = dict(flavor.extra_specs)
    if key not in specs:
        raise exception.FlavorExtraSpecsNotFound(flavor_id=flavor_id,
                                                 extra_specs_key=key)
    del specs[key]
    flavor.extra_specs = specs
    flavor.save()
    return wsgi.response(status=202)


# -- access --------------------------------------------------------------------

def _access_list(flavor):
    return {'flavor_access': [{'flavor_id': flavor.flavorid,
                               'tenant_id': project}
                              for project in flavor.projects]}


def list_flavor_access(req, flavor_id):
    common.authorize(req, FA)
    flavor = _get(req, flavor_id)
    if flavor.is_public:
        raise exception.NotFound(
            'Access list not available for public flavors.')
    return wsgi.response(_access_list(flavor))


def flavor_action(req, flavor_id):
    body = req.json
    if 'addTenantAccess' in body:
        validation.validate(schema.add_tenant_access, body)
        common.authorize(req, FA + ':add_tenant_access')
        flavor = _get(req, flavor_id)
        if flavor.is_public and req.ver('2.7'):
            raise exception.Conflict('Can not add access to a public '
                                     'flavor.')
        flavor.add_access(body['addTenantAccess']['tenant'])
        return wsgi.response(_access_list(flavor))
    if 'removeTenantAccess' in body:
        validation.validate(schema.remove_tenant_access, body)
        common.authorize(req, FA + ':remove_tenant_access')
        flavor = _get(req, flavor_id)
        flavor.remove_access(body['removeTenantAccess']['tenant'])
        return wsgi.response(_access_list(flavor))
    raise exception.ValidationError(
        detail='There is no such action: %s' % ', '.join(body))
