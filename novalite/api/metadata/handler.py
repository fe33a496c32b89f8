"""The metadata API's WSGI app (port 8775): who is asking, then what.

The requester is an instance, found

- by the request's source address (``X-Forwarded-For`` instead when
  ``[api] use_forwarded_for``): the allocated fixed IP with that address
  names the instance; or
- when a metadata proxy forwards the request (and ``[network]
  metadata_proxy_shared_secret`` is set), by ``X-Instance-ID``, signed in
  ``X-Instance-ID-Signature`` (hex HMAC-SHA256 of the id with the shared
  secret) and confirmed by ``X-Tenant-ID``.

As Nova: an unknown requester gets 404, a bad signature 403, a proxied
request missing a header 400, and the tenant of another instance 404. The
only write is Nova's: a guest may POST its (encrypted) password once. Both
lookups go through the conductor (objects), never the database.
"""

import hashlib
import hmac

import webob
import webob.dec
import webob.exc
from oslo_log import log as logging
from oslo_utils import uuidutils

from novalite.api.metadata import base
from novalite import conf
from novalite import context as nl_context
from novalite import exception
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_UNKNOWN = 'An unknown error has occurred. Please try your request again.'


def sign_instance_id(instance_id, secret=None):
    """The ``X-Instance-ID-Signature`` a proxy sends for ``instance_id``."""
    secret = CONF.network.metadata_proxy_shared_secret if secret is None \
        else secret
    return hmac.new(secret.encode('utf-8'), instance_id.encode('utf-8'),
                    hashlib.sha256).hexdigest()


def get_metadata_by_address(address):
    """The metadata of the instance holding fixed IP ``address``.

    :raises: NotFound
    """
    ctxt = nl_context.get_admin_context()
    fixed_ip = objects.FixedIP.get_by_address(ctxt, address)
    if not fixed_ip.instance_uuid:
        raise exception.FixedIpNotFoundForAddress(address=address)
    return get_metadata_by_instance_id(fixed_ip.instance_uuid, address)


def get_metadata_by_instance_id(instance_id, address=None):
    """The metadata of instance ``instance_id``.

    :raises: InstanceNotFound
    """
    if not uuidutils.is_uuid_like(instance_id):
        raise exception.InstanceNotFound(instance_id=instance_id)
    ctxt = nl_context.get_admin_context()
    instance = objects.Instance.get_by_uuid(ctxt, instance_id)
    return base.InstanceMetadata(instance, address)


class MetadataRequestHandler:
    """Serve the OpenStack and EC2 metadata trees to instances."""

    @classmethod
    def factory(cls, global_config, **local_config):
        objects.register_all()
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        if req.method not in ('GET', 'HEAD', 'POST'):
            return webob.exc.HTTPMethodNotAllowed(
                headers={'Allow': 'GET, HEAD, POST'})
        if req.method == 'POST' and not req.path_info.rstrip('/').endswith(
                '/' + base.PASSWORD):
            return webob.exc.HTTPMethodNotAllowed(
                headers={'Allow': 'GET, HEAD'})
        if req.path_info in ('', '/'):
            # the version list needs no requester
            return self._text(base.format_listing(
                list(base.EC2_VERSIONS) + ['latest']))
        if CONF.network.metadata_proxy_shared_secret and any(
                h in req.headers for h in ('X-Instance-ID',
                                           'X-Instance-ID-Signature',
                                           'X-Tenant-ID')):
            meta = self._by_instance_id(req)
        else:
            meta = self._by_address(req)
        if req.method == 'POST':
            return self._set_password(req, meta)
        try:
            data = meta.lookup(req.path_info)
        except base.InvalidMetadataPath:
            return webob.exc.HTTPNotFound()
        if data is None:
            return webob.exc.HTTPNotFound()
        return self._text(base.format_listing(data), meta.mimetype)

    @staticmethod
    def _set_password(req, meta):
        """``POST /openstack/<version>/password``: keep the (encrypted)
        password the guest sends, once; Nova's 409 when one is set, 400
        for a body over 256 bytes."""
        if not meta.is_password_path(req.path_info):
            return webob.exc.HTTPNotFound()
        if meta.password:
            raise webob.exc.HTTPConflict()
        if (req.content_length or 0) > meta.PASSWORD_MAX:
            raise webob.exc.HTTPBadRequest(
                explanation='Request is too large.')
        body = req.body_file.read(meta.PASSWORD_MAX + 1)
        if len(body) > meta.PASSWORD_MAX:
            raise webob.exc.HTTPBadRequest(
                explanation='Request is too large.')
        try:
            password = body.decode('utf-8')
        except UnicodeDecodeError:
            raise webob.exc.HTTPBadRequest(
                explanation='The password must be text.')
        instance = meta.instance
        sysmeta = dict(instance.system_metadata or {})
        sysmeta.update(meta.password_updates(password))
        instance.system_metadata = sysmeta
        instance.save()
        return webob.Response(status=200, content_type=None)

    @staticmethod
    def _text(body, mimetype=base.MIME_TEXT):
        resp = webob.Response(content_type=mimetype, charset='utf-8')
        if isinstance(body, bytes):
            resp.charset = None
            resp.body = body
        else:
            resp.text = body
        return resp

    @staticmethod
    def _remote_address(req):
        address = req.remote_addr
        if CONF.api.use_forwarded_for:
            address = (req.headers.get('X-Forwarded-For', '')
                       .split(',')[0].strip() or address)
        return address

    def _by_address(self, req):
        address = self._remote_address(req)
        try:
            return get_metadata_by_address(address)
        except exception.NotFound:
            LOG.info('No instance has the fixed IP %s', address)
            raise webob.exc.HTTPNotFound()

    def _by_instance_id(self, req):
        instance_id = req.headers.get('X-Instance-ID')
        signature = req.headers.get('X-Instance-ID-Signature')
        tenant_id = req.headers.get('X-Tenant-ID')
        if instance_id is None:
            msg = 'X-Instance-ID header is missing from request.'
        elif signature is None:
            msg = 'X-Instance-ID-Signature header is missing from request.'
        elif tenant_id is None:
            msg = 'X-Tenant-ID header is missing from request.'
        elif ',' in instance_id:
            msg = 'Multiple X-Instance-ID headers found within request.'
        elif ',' in tenant_id:
            msg = 'Multiple X-Tenant-ID headers found within request.'
        else:
            msg = None
        if msg:
            raise webob.exc.HTTPBadRequest(explanation=msg)
        if not hmac.compare_digest(sign_instance_id(instance_id),
                                   signature):
            LOG.warning('X-Instance-ID-Signature %s does not match the '
                        'expected value for instance %s (from %s)',
                        signature, instance_id, self._remote_address(req))
            raise webob.exc.HTTPForbidden(
                explanation='Invalid proxy request signature.')
        try:
            meta = get_metadata_by_instance_id(instance_id,
                                               self._remote_address(req))
        except exception.NotFound:
            LOG.info('Metadata asked for unknown instance %s', instance_id)
            raise webob.exc.HTTPNotFound()
        if meta.instance.project_id != tenant_id:
            LOG.warning('Tenant %s does not match the tenant of instance %s',
                        tenant_id, instance_id)
            raise webob.exc.HTTPNotFound(explanation=_UNKNOWN)
        return meta
