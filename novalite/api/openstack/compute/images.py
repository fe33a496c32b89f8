"""images: Nova's image proxy API over ``novalite.image``.

Read-only here: list, detail, show. Until the image service exists in this
tree the collection answers empty and ``show`` 404, as a cloud with no
images would.
"""

import importlib

from novalite.api.openstack import common
from novalite.api.openstack import wsgi
from novalite import exception

_STATUS = {'active': 'ACTIVE', 'queued': 'SAVING', 'saving': 'SAVING',
           'importing': 'SAVING', 'deleted': 'DELETED',
           'pending_delete': 'DELETED', 'killed': 'ERROR'}
_FILTERS = ('name', 'status', 'changes-since', 'server', 'type',
            'minRam', 'minDisk')


def image_api():
    """``novalite.image.api.API()`` or None while it is not installed."""
    try:
        module = importlib.import_module('novalite.image.api')
    except ImportError:
        return None
    return module.API()


def _links(req, image_id):
    links = common.resource_links(req, 'images', image_id)
    links.append({'rel': 'alternate', 'type': 'application/vnd.openstack.'
                  'image', 'href': '%s/images/%s' % (
                      req.link_base(versioned=False), image_id)})
    return links


def _brief(req, image):
    return {'id': image['id'], 'name': image.get('name'),
            'links': _links(req, image['id'])}


def _isotime(value):
    if value is None or isinstance(value, str):
        return value
    return common.isotime(value)


def _detail(req, image):
    status = _STATUS.get(image.get('status'), 'UNKNOWN')
    body = _brief(req, image)
    body.update({
        'status': status,
        'progress': {'ACTIVE': 100, 'SAVING': 25}.get(status, 0),
        'minRam': int(image.get('min_ram') or 0),
        'minDisk': int(image.get('min_disk') or 0),
        'metadata': {k: str(v) for k, v in (image.get('properties') or
                                            {}).items()},
        'created': _isotime(image.get('created_at')),
        'updated': _isotime(image.get('updated_at')),
        'OS-EXT-IMG-SIZE:size': image.get('size'),
    })
    return body


def _list(req, render):
    api = image_api()
    limit, marker = common.limit_and_marker(req)
    if api is None:
        images = []
    else:
        filters = {k: req.GET[k] for k in _FILTERS if k in req.GET}
        images = api.get_all(req.context, filters=filters, limit=limit,
                             marker=marker)
    images = list(images)
    body = {'images': [render(req, i) for i in images]}
    links = common.collection_links(req, images, 'images', limit)
    if links:
        body['images_links'] = links
    return wsgi.response(body)


def list_images(req):
    return _list(req, _brief)


def list_images_detail(req):
    return _list(req, _detail)


def show_image(req, image_id):
    api = image_api()
    if api is None:
        raise exception.ImageNotFound(image_id=image_id)
    try:
        image = api.get(req.context, image_id)
    except exception.ImageNotFound:
        raise exception.NotFound('Image not found.')
    return wsgi.response({'image': _detail(req, image)})
