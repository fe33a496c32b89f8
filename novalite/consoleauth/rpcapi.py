"""Client side of the consoleauth RPC API (topic ``consoleauth``).

``authorize_console`` and ``check_token`` are calls: the API needs to know
the token was stored before it hands out the URL, and novncproxy needs the
connect info. ``delete_tokens_for_instance`` is a cast: whoever revokes
(delete, rebuild, resize, move) does not wait for it.
"""

import oslo_messaging as messaging

from novalite.objects import base as objects_base
from novalite import rpc

TOPIC = 'consoleauth'


class ConsoleAuthAPI:
    """RPC client to novalite-consoleauth, version 1.0."""

    def __init__(self):
        target = messaging.Target(topic=TOPIC, version='1.0')
        self.client = rpc.get_client(
            target, serializer=objects_base.NovaliteObjectSerializer())

    def authorize_console(self, ctxt, token, console_type, host, port,
                          internal_access_path, instance_uuid,
                          access_url=None):
        """Store ``token`` for ``[consoleauth] token_ttl`` seconds (call).

        :param access_url: the URL handed to the user; its part before
            ``?`` is kept as the token's ``access_url_base``.
        :raises: Conflict when ``token`` was authorized before.
        """
        return self.client.prepare().call(
            ctxt, 'authorize_console', token=token,
            console_type=console_type, host=host, port=port,
            internal_access_path=internal_access_path,
            instance_uuid=instance_uuid, access_url=access_url)

    def check_token(self, ctxt, token, timeout=None):
        """Connect info of a valid token, else None (call).

        Valid means: stored, not expired, and (unless port validation is
        off) the port is still the instance's console port.

        :returns: dict with ``host``, ``port``, ``console_type``,
            ``internal_access_path``, ``instance_uuid``,
            ``access_url_base``, ``expires``; or None.
        """
        return self.client.prepare(timeout=timeout).call(
            ctxt, 'check_token', token=token)

    def check_session(self, ctxt, token, timeout=None):
        """Whether a session opened with ``token`` may stay open (call).

        True until the token is revoked or the port stops belonging to the
        instance; expiry alone does not end a session. Stamps the token as
        in use so the purge spares it.
        """
        return self.client.prepare(timeout=timeout).call(
            ctxt, 'check_session', token=token)

    def delete_tokens_for_instance(self, ctxt, instance_uuid):
        """Revoke every token of ``instance_uuid`` (cast)."""
        self.client.prepare().cast(ctxt, 'delete_tokens_for_instance',
                                   instance_uuid=instance_uuid)
