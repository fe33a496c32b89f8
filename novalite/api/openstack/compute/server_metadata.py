"""``/servers/{id}/metadata``: list, replace, merge, and one item CRUD."""

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import servers as schema
from novalite.api.openstack.compute import servers
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite import exception

P = 'os_compute_api:server-metadata:%s'


def _server(req, server_id, rule):
    instance = servers.get_server(req, server_id)
    common.authorize(req, P % rule, servers._target(instance))
    return instance


def _update(req, instance, metadata, delete, action='update metadata'):
    try:
        return servers.compute().update_instance_metadata(
            req.context, instance, metadata, delete=delete)
    except exception.InstanceInvalidState as exc:
        raise common.conflict_for_invalid_state(exc, action, instance.uuid)


def list_metadata(req, server_id):
    instance = _server(req, server_id, 'index')
    return wsgi.response({'metadata': dict(instance.metadata or {})})


@validation.schema(schema.metadata_set)
def create_metadata(req, server_id):
    instance = _server(req, server_id, 'create')
    metadata = _update(req, instance, req.json['metadata'], delete=False)
    return wsgi.response({'metadata': metadata})


@validation.schema(schema.metadata_set)
def replace_metadata(req, server_id):
    instance = _server(req, server_id, 'update_all')
    metadata = _update(req, instance, req.json['metadata'], delete=True)
    return wsgi.response({'metadata': metadata})


def show_metadata_item(req, server_id, key):
    instance = _server(req, server_id, 'show')
    metadata = instance.metadata or {}
    if key not in metadata:
        raise exception.NotFound('Metadata item was not found')
    return wsgi.response({'meta': {key: metadata[key]}})


@validation.schema(schema.metadata_item)
def update_metadata_item(req, server_id, key):
    meta = req.json['meta']
    if key not in meta:
        raise exception.ValidationError(
            detail='Request body and URI mismatch')
    instance = _server(req, server_id, 'update')
    _update(req, instance, meta, delete=False)
    return wsgi.response({'meta': meta})


def delete_metadata_item(req, server_id, key):
    instance = _server(req, server_id, 'delete')
    if key not in (instance.metadata or {}):
        raise exception.NotFound('Metadata item was not found')
    try:
        servers.compute().delete_instance_metadata(req.context, instance,
                                                   key)
    except exception.InstanceInvalidState as exc:
        raise common.conflict_for_invalid_state(exc, 'delete metadata',
                                                instance.uuid)
    return wsgi.response(status=204)
