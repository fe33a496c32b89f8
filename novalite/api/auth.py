"""Authentication pieces: noauth2, the keystone context, pipeline choice.

``noauth2`` trusts ``X-Auth-Token: user:project`` (the project defaults to
the user); the user ``admin`` gets the admin role, anyone else member and
reader. An ``X-Roles`` header, when present, replaces those roles, so tests
can act as a reader. ``keystone`` puts keystonemiddleware's ``auth_token``
in front and builds the context from the headers it sets.
"""

import webob.dec
from oslo_log import log as logging
from oslo_middleware import request_id as o_request_id

from novalite.api import middleware
from novalite.api.openstack import faults
from novalite import conf
from novalite import context as nl_context

CONF = conf.CONF
LOG = logging.getLogger(__name__)

ENV_CONTEXT = 'novalite.context'
# The longest user or project id the database keeps (Keystone's are 64).
MAX_ID_LENGTH = 255


def pipeline_factory(loader, global_config, **local_config):
    """Paste composite: the pipeline named by ``[api] auth_strategy``."""
    pipeline = local_config[CONF.api.auth_strategy].split()
    filters = [loader.get_filter(name) for name in pipeline[:-1]]
    app = loader.get_app(pipeline[-1])
    for filter_ in reversed(filters):
        app = filter_(app)
    return app


def _remote_address(req):
    if CONF.api.use_forwarded_for and req.headers.get('X-Forwarded-For'):
        return req.headers['X-Forwarded-For'].split(',')[0].strip()
    return req.remote_addr


def _roles_header(req):
    value = req.headers.get('X-Roles')
    if value is None:
        return None
    return [r.strip() for r in value.split(',') if r.strip()]


class NoAuthMiddleware(middleware.Middleware):
    """Trust the token's ``user:project``; for tests and demos only."""

    @webob.dec.wsgify
    def __call__(self, req):
        token = req.headers.get('X-Auth-Token', '').strip()
        if not token:
            return faults.fault_response(
                401, 'Authentication required',
                headers={'WWW-Authenticate': 'Token'})
        user_id, _sep, project_id = token.partition(':')
        project_id = project_id or user_id
        if max(len(user_id), len(project_id)) > MAX_ID_LENGTH:
            return faults.fault_response(
                401, 'Authentication required: a user or project id is '
                     'longer than %d characters' % MAX_ID_LENGTH,
                headers={'WWW-Authenticate': 'Token'})
        is_admin = user_id == 'admin'
        roles = _roles_header(req)
        if roles is None:
            roles = ['admin', 'member', 'reader'] if is_admin \
                else ['member', 'reader']
        req.environ[ENV_CONTEXT] = nl_context.RequestContext(
            user_id=user_id, project_id=project_id,
            is_admin='admin' in roles, roles=roles, auth_token=token,
            remote_address=_remote_address(req),
            request_id=req.environ.get(o_request_id.ENV_REQUEST_ID),
            global_request_id=req.environ.get(
                o_request_id.GLOBAL_REQ_ID))
        return req.get_response(self.application)


class KeystoneContext(middleware.Middleware):
    """Build the RequestContext from keystonemiddleware's headers."""

    @webob.dec.wsgify
    def __call__(self, req):
        if req.headers.get('X-Identity-Status', 'Confirmed') != 'Confirmed':
            return faults.fault_response(401, 'Authentication required')
        ctxt = nl_context.RequestContext.from_environ(
            req.environ,
            request_id=req.environ.get(o_request_id.ENV_REQUEST_ID),
            remote_address=_remote_address(req))
        if ctxt.user_id is None:
            return faults.fault_response(401, 'Authentication required')
        ctxt.is_admin = 'admin' in [r.lower() for r in ctxt.roles]
        req.environ[ENV_CONTEXT] = ctxt
        return req.get_response(self.application)


def auth_token_factory(global_config, **local_config):
    """keystonemiddleware's auth_token, configured from our config files."""
    from keystonemiddleware import auth_token

    def _filter(app):
        conf_args = dict(local_config)
        conf_args.setdefault('oslo_config_project', 'novalite')
        conf_args.setdefault('oslo_config_config', CONF)
        return auth_token.AuthProtocol(app, conf_args)
    return _filter


def is_loopback(address):
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    import ipaddress
    if address in ('localhost',):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_listen_address(host, port):
    """Refuse noauth2 on a non-loopback address unless allowed.

    :raises: ConfigError
    """
    from novalite import exception
    if CONF.api.auth_strategy == 'noauth2' and not is_loopback(host) and \
            not CONF.api.allow_noauth2_on_public_address:
        raise exception.ConfigError(
            option='[api] auth_strategy',
            reason='noauth2 makes anyone who reaches %s:%s an admin; listen '
                   'on a loopback address or set [api] '
                   'allow_noauth2_on_public_address' % (host, port))
