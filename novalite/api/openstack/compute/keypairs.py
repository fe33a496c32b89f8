"""os-keypairs: import or generate, list, show, delete.

2.2 adds ``type`` and makes create 201 / delete 204 (202 and 200 before);
2.10 lets an admin act on another user's key pairs with ``user_id``.
"""

from novalite.api.openstack import common
from novalite.api.openstack.compute.schemas import keypairs as schema
from novalite.api.openstack import wsgi
from novalite.api import validation
from novalite.compute import api as compute_api

P = 'os_compute_api:os-keypairs:%s'


def _user_id(req, rule, requested=None):
    user_id = requested or (req.GET.get('user_id') if req.ver('2.10')
                            else None) or req.context.user_id
    common.authorize(req, P % rule, {'user_id': user_id,
                                     'project_id': req.context.project_id})
    return user_id


def _view(req, keypair, full=False, private_key=None):
    body = {'name': keypair.name, 'public_key': keypair.public_key,
            'fingerprint': keypair.fingerprint}
    if req.ver('2.2'):
        body['type'] = keypair.type
    if full:
        body.update({'user_id': keypair.user_id})
    if private_key is not None:
        body['private_key'] = private_key
    return body


def create_keypair(req):
    if req.ver('2.10'):
        validation.validate(schema.create_v210, req.json)
    elif req.ver('2.2'):
        validation.validate(schema.create_v22, req.json)
    else:
        validation.validate(schema.create, req.json)
    params = req.json['keypair']
    user_id = _user_id(req, 'create', params.get('user_id'))
    keypair, private_key = compute_api.KeypairAPI().create(
        req.context, user_id, params['name'],
        public_key=params.get('public_key'),
        key_type=params.get('type', 'ssh'))
    return wsgi.response(
        {'keypair': _view(req, keypair, full=True, private_key=private_key)},
        status=201 if req.ver('2.2') else 200)


def list_keypairs(req):
    user_id = _user_id(req, 'index')
    keypairs = compute_api.KeypairAPI().get_all(req.context, user_id)
    return wsgi.response({'keypairs': [{'keypair': _view(req, k)}
                                       for k in keypairs]})


def show_keypair(req, keypair_name):
    user_id = _user_id(req, 'show')
    keypair = compute_api.KeypairAPI().get(req.context, user_id,
                                           keypair_name)
    body = _view(req, keypair, full=True)
    body.update({'id': keypair.id, 'created_at': common.strtime(
        keypair.created_at), 'updated_at': common.strtime(
        keypair.updated_at), 'deleted_at': None, 'deleted': False})
    return wsgi.response({'keypair': body})


def delete_keypair(req, keypair_name):
    user_id = _user_id(req, 'delete')
    compute_api.KeypairAPI().delete(req.context, user_id, keypair_name)
    return wsgi.response(status=204 if req.ver('2.2') else 202)
