"""A read-only Glance v2 image API over ``novalite.image``, for clients.

Nova looks images up in Glance; clients do too: ``openstack server create
--image <name>`` resolves the name through the image service, and
``openstack server list`` through it shows image names. novalite has no
Glance, so novalite-api serves the part of Glance's v2 API those lookups use,
mounted at ``/image`` (as devstack mounts Glance): the version document
(``GET /image/``, ``GET /image/versions``), ``GET /image/v2/images`` with
Glance's ``id``, ``name``, ``status``, ``visibility``, ``owner``,
``disk_format``, ``container_format``, ``size_min`` / ``size_max``,
``limit``, ``marker`` and ``sort_key`` / ``sort_dir`` / ``sort`` parameters
(``id``, ``name``, ``status`` and the formats also as ``in:a,b``), and
``GET /image/v2/images/{id}``, with Glance's JSON keys and paging links
(``first`` / ``next``). Images are still created with ``novalite-manage
image import``; any other method answers 405 with ``Allow``.

The images are read through :class:`novalite.image.api.API` (the file
backend), the way the compute API's ``images`` proxy reads them: visibility
follows the request context (public images, the project's own, or all for
an admin).
"""

import urllib.parse

import routes
import webob
import webob.dec
import webob.exc
from oslo_log import log as logging
from oslo_serialization import jsonutils

from novalite import exception

LOG = logging.getLogger(__name__)

ENV_CONTEXT = 'novalite.context'
# Glance's api_limit_max and limit_param_default.
LIMIT_MAX = 1000
LIMIT_DEFAULT = 25
# The v2 minor versions a Glance of the same era lists; reads are the same
# in all of them (v2.7 added os_hidden and the multihash keys we render).
_VERSIONS = ('2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0')
# Query parameters that filter (Glance's names); others are image properties.
_FILTERS = ('name', 'status', 'visibility', 'owner', 'disk_format',
            'container_format', 'size_min', 'size_max', 'id')
# Filters that take Glance's ``in:`` operator.
_IN_FILTERS = ('id', 'name', 'status', 'disk_format', 'container_format')
_PAGING = ('limit', 'marker', 'sort_key', 'sort_dir', 'sort',
           'member_status', 'os_hidden')
# Record keys rendered as Glance's core properties, in Glance's order.
_CORE = ('id', 'name', 'status', 'visibility', 'protected', 'checksum',
         'os_hash_algo', 'os_hash_value', 'owner', 'size', 'min_ram',
         'min_disk', 'disk_format', 'container_format', 'created_at',
         'updated_at')


def image_api():
    from novalite.image import api
    return api.API()


def json_response(body, status=200, headers=None):
    resp = webob.Response(status=status, content_type='application/json',
                          charset='utf-8')
    resp.body = jsonutils.dump_as_bytes(body)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def render_image(image):
    """An image record as Glance v2 shows it: core keys, ``tags``,
    ``os_hidden``, ``virtual_size``, the ``self`` / ``file`` / ``schema``
    links, and every extra property as a top-level string key."""
    body = {key: image.get(key) for key in _CORE}
    body['protected'] = bool(body['protected'])
    body['min_ram'] = int(body['min_ram'] or 0)
    body['min_disk'] = int(body['min_disk'] or 0)
    body.update({
        'tags': list(image.get('tags') or []),
        'os_hidden': bool(image.get('os_hidden', False)),
        'virtual_size': image.get('virtual_size'),
        'self': '/v2/images/%s' % image['id'],
        'file': '/v2/images/%s/file' % image['id'],
        'schema': '/v2/schemas/image',
    })
    for key, value in (image.get('properties') or {}).items():
        body.setdefault(key, str(value))
    return body


def _version_links(req):
    base = req.application_url.rstrip('/')
    return [{'id': 'v%s' % version,
             'status': 'CURRENT' if version == _VERSIONS[0] else 'SUPPORTED',
             'links': [{'rel': 'self', 'href': '%s/v2/' % base}]}
            for version in _VERSIONS]


def list_versions(req):
    """``GET /image/``: 300 Multiple Choices, as Glance answers it;
    ``GET /image/versions``: the same document with 200."""
    status = 200 if req.path_info.rstrip('/') == '/versions' else 300
    return json_response({'versions': _version_links(req)}, status=status)


def _int_param(req, name, minimum=0):
    value = req.GET.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise webob.exc.HTTPBadRequest(
            explanation='%s param must be an integer' % name)
    if number < minimum:
        raise webob.exc.HTTPBadRequest(
            explanation='%s param must be positive' % name)
    return number


def _sorting(req):
    """``(keys, dirs)`` from ``sort=key:dir,...`` or ``sort_key`` /
    ``sort_dir`` (default ``created_at`` descending, as Glance)."""
    if 'sort' in req.GET:
        if 'sort_key' in req.GET or 'sort_dir' in req.GET:
            raise webob.exc.HTTPBadRequest(
                explanation='The "sort" parameter cannot be combined with '
                            'sort_key or sort_dir')
        keys, dirs = [], []
        for item in req.GET['sort'].split(','):
            key, _sep, direction = item.strip().partition(':')
            keys.append(key.strip())
            dirs.append(direction.strip() or 'desc')
        return keys, dirs
    keys = req.GET.getall('sort_key') or ['created_at']
    dirs = req.GET.getall('sort_dir') or ['desc']
    return keys, dirs


def _filters(req):
    """``(filters for the facade, os_hidden, {key: allowed values})``;
    the last from Glance's ``in:`` operator (``id=in:a,b``), which
    ``openstack server list`` uses to name the servers' images."""
    filters, any_of = {}, {}
    for key, value in req.GET.items():
        if key in _PAGING:
            continue
        if key in ('size_min', 'size_max'):
            _int_param(req, key)
        if key in _IN_FILTERS and value.startswith('in:'):
            any_of[key] = set(v.strip() for v in value[3:].split(','))
            continue
        filters[key] = value
    hidden = req.GET.get('os_hidden')
    if hidden is not None and hidden.lower() not in ('true', 'false'):
        raise webob.exc.HTTPBadRequest(
            explanation='os_hidden must be true or false')
    return filters, hidden, any_of


def list_images(req):
    """``GET /image/v2/images``: a page of the images the caller may see."""
    limit = _int_param(req, 'limit')
    limit = LIMIT_DEFAULT if limit is None else min(limit, LIMIT_MAX)
    marker = req.GET.get('marker')
    filters, hidden, any_of = _filters(req)
    keys, dirs = _sorting(req)
    try:
        images = image_api().get_all(req.environ.get(ENV_CONTEXT),
                                     filters=filters, marker=marker,
                                     sort_key=keys, sort_dir=dirs)
    except exception.MarkerNotFound:
        raise webob.exc.HTTPBadRequest(
            explanation='Invalid marker. Image %s could not be found.'
            % marker)
    except exception.Invalid as exc:
        raise webob.exc.HTTPBadRequest(explanation=exc.format_message())
    wanted_hidden = (hidden or 'false').lower() == 'true'
    images = [i for i in images
              if bool(i.get('os_hidden', False)) == wanted_hidden and
              all(i.get(k) in v for k, v in any_of.items())]
    page = images[:limit]
    body = {'images': [render_image(i) for i in page],
            'schema': '/v2/schemas/images', 'first': '/v2/images'}
    if len(images) > limit and page:
        params = [(k, v) for k, v in req.GET.items() if k != 'marker']
        params.append(('marker', page[-1]['id']))
        body['next'] = '/v2/images?%s' % urllib.parse.urlencode(params)
    return json_response(body)


def show_image(req, image_id):
    """``GET /image/v2/images/{id}``; 404 for images the caller may not
    see, as Glance."""
    try:
        image = image_api().get(req.environ.get(ENV_CONTEXT), image_id)
    except exception.ImageNotFound:
        raise webob.exc.HTTPNotFound(
            explanation='No image found with ID %s' % image_id)
    if image.get('status') == 'deleted':
        raise webob.exc.HTTPNotFound(
            explanation='No image found with ID %s' % image_id)
    return json_response(render_image(image))


def _method_not_allowed(methods):
    def handler(req, **kwargs):
        raise webob.exc.HTTPMethodNotAllowed(
            headers={'Allow': ', '.join(sorted(methods))})
    return handler


# Relative to /image/v2 (the paste composite strips the prefix).
ROUTES = {
    '/images': {'GET': list_images},
    '/images/{image_id}': {'GET': show_image},
}


class ImageAPI:
    """WSGI app of ``/image/v2``; routes from :data:`ROUTES`."""

    def __init__(self, declarations):
        self.mapper = routes.Mapper()
        for path, methods in declarations.items():
            for method, handler in methods.items():
                self.mapper.connect(path, handler=handler,
                                    conditions={'method': [method]})
            self.mapper.connect(path, handler=_method_not_allowed(methods))

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls(ROUTES)

    @webob.dec.wsgify
    def __call__(self, req):
        # The fault wrapper in front has already refused a path or query
        # string that is not UTF-8.
        match = self.mapper.match(req.path_info or '/', req.environ)
        if match is None:
            return webob.exc.HTTPNotFound()
        match = dict(match)
        handler = match.pop('handler')
        try:
            return handler(req, **match)
        except webob.exc.HTTPException as exc:
            return exc


class Versions:
    """WSGI app of ``/image`` itself: the version document only."""

    @classmethod
    def factory(cls, global_config, **local_config):
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        if req.path_info.rstrip('/') not in ('', '/versions'):
            return webob.exc.HTTPNotFound()
        if req.method not in ('GET', 'HEAD'):
            return webob.exc.HTTPMethodNotAllowed(headers={'Allow':
                                                           'GET, HEAD'})
        return list_versions(req)
