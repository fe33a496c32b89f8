"""Server side of the consoleauth RPC API (topic ``consoleauth``).

Tokens live in the database (hashed, through the conductor), not in this
process, so any number of consoleauth processes answer for the same tokens
and a restart loses none.
"""

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import periodic_task

from novalite import conf
from novalite import exception
from novalite import manager
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)

PURGE_SPACING = 60
# Below novncproxy's wait for check_token, so a silent compute ends in a
# refusal logged here rather than in the proxy giving up first.
VALIDATE_TIMEOUT = 20

CONNECT_INFO_KEYS = ('host', 'port', 'console_type', 'internal_access_path',
                     'instance_uuid', 'access_url_base', 'expires')


def _connect_info(token_obj):
    return {key: getattr(token_obj, key) for key in CONNECT_INFO_KEYS}


class ConsoleAuthManager(manager.Manager):
    """Issues, checks and revokes console tokens."""

    target = messaging.Target(version='1.0')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compute_rpcapi = None

    def init_host(self):
        if not CONF.consoleauth.validate_console_port:
            LOG.warning('[consoleauth] validate_console_port is off: tokens '
                        'are honoured without asking compute whether the '
                        'port still belongs to the instance. Testing only.')

    @property
    def compute_rpcapi(self):
        # Built on first use: with port validation off nothing here talks
        # to compute.
        if self._compute_rpcapi is None:
            from novalite.compute import rpcapi as compute_rpcapi
            self._compute_rpcapi = compute_rpcapi.ComputeAPI()
        return self._compute_rpcapi

    @messaging.expected_exceptions(exception.NovaliteException)
    def authorize_console(self, context, token, console_type, host, port,
                          internal_access_path, instance_uuid,
                          access_url=None):
        """Store ``token`` for ``[consoleauth] token_ttl`` seconds.

        :raises: Conflict when ``token`` was authorized before.
        """
        token_obj = objects.ConsoleAuthToken(
            context, token=token, console_type=console_type, host=host,
            port=int(port), internal_access_path=internal_access_path,
            instance_uuid=instance_uuid,
            access_url_base=access_url.split('?', 1)[0] if access_url
            else None)
        token_obj.authorize(CONF.consoleauth.token_ttl)
        LOG.info('Authorized a %s console token for instance %s (expires '
                 'in %d s)', console_type, instance_uuid,
                 CONF.consoleauth.token_ttl)

    @messaging.expected_exceptions(messaging.MessagingTimeout)
    def check_token(self, context, token):
        """Connect info for ``token`` when it is valid, else None.

        :raises: MessagingTimeout when the conductor does not answer (the
            caller cannot tell valid from invalid then).
        """
        try:
            token_obj = objects.ConsoleAuthToken.validate(context, token)
        except exception.ConsoleTokenNotFound:
            LOG.info('Console token refused: unknown, revoked or expired')
            return None
        except messaging.MessagingTimeout:
            LOG.warning('Cannot check a console token: the conductor did '
                        'not answer')
            raise
        if not self._port_is_valid(context, token_obj):
            LOG.info('Console token refused for instance %s',
                     token_obj.instance_uuid)
            return None
        return _connect_info(token_obj)

    @messaging.expected_exceptions(messaging.MessagingTimeout)
    def check_session(self, context, token):
        """True while a session opened with ``token`` may stay open.

        :raises: MessagingTimeout when the conductor does not answer.
        """
        try:
            token_obj = objects.ConsoleAuthToken.mark_in_use(context, token)
        except exception.ConsoleTokenNotFound:
            LOG.info('Console session ended: its token was revoked')
            return False
        except messaging.MessagingTimeout:
            LOG.warning('Cannot re-check a console session: the conductor '
                        'did not answer')
            raise
        valid = self._port_is_valid(context, token_obj)
        if valid is None:
            # A compute restarting must not end its guests' open consoles;
            # a guest that is gone ends them by closing its VNC server.
            return True
        return valid

    def delete_tokens_for_instance(self, context, instance_uuid):
        """Revoke every console token of ``instance_uuid``."""
        count = objects.ConsoleAuthToken.clean_console_auths_for_instance(
            context, instance_uuid)
        LOG.info('Revoked %d console token(s) of instance %s', count,
                 instance_uuid)

    def _port_is_valid(self, context, token_obj):
        """Ask the instance's compute whether the port is still its own.

        :returns: True or False, or None when the compute could not say.
        """
        if not CONF.consoleauth.validate_console_port:
            return True
        uuid = token_obj.instance_uuid
        try:
            instance = objects.Instance.get_by_uuid(context.elevated(), uuid)
        except exception.InstanceNotFound:
            LOG.info('Instance %s of a console token is gone', uuid)
            return False
        if not instance.host:
            LOG.info('Instance %s of a console token has no host', uuid)
            return False
        try:
            valid = self.compute_rpcapi.validate_console_port(
                context, instance, token_obj.port, token_obj.console_type,
                timeout=VALIDATE_TIMEOUT)
        except (exception.NovaliteException,
                messaging.MessagingException) as exc:
            LOG.warning('Compute on %s could not validate the console port '
                        'of instance %s: %s', instance.host, uuid,
                        type(exc).__name__)
            return None
        if not valid:
            LOG.info('Port %s is no longer the %s console of instance %s',
                     token_obj.port, token_obj.console_type, uuid)
        return bool(valid)

    @periodic_task.periodic_task(spacing=PURGE_SPACING, run_immediately=True)
    def purge_expired_tokens(self, context):
        """Delete expired tokens, sparing those of sessions still open."""
        grace = 3 * CONF.console.session_recheck_interval
        count = objects.ConsoleAuthToken.clean_expired_console_auths(
            context, in_use_grace=grace)
        if count:
            LOG.info('Purged %d expired console token(s)', count)
