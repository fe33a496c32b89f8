"""Console auth tokens: what novncproxy may connect to, for how long.

The plain token travels only between the API, consoleauth and the conductor;
the database keeps its SHA-256. Every method here runs in the conductor.
"""

import hashlib
import time

from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base


def token_hash(token):
    """Hex SHA-256 of ``token``: the only form that is stored."""
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


@base.NovaliteObjectRegistry.register
class ConsoleAuthToken(base.NovaliteTimestampObject, base.NovaliteObject):
    """One console token and the connect info it stands for."""

    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(read_only=True),
        'console_type': fields.StringField(),
        'host': fields.StringField(),
        'port': fields.IntegerField(),
        'internal_access_path': fields.StringField(nullable=True),
        'instance_uuid': fields.UUIDField(),
        'access_url_base': fields.StringField(nullable=True),
        'expires': fields.IntegerField(),
        # Set by the caller of authorize() only; never loaded from the DB.
        'token': fields.SensitiveStringField(nullable=True),
    }

    @property
    def access_url(self):
        """The URL handed to the user, token included (None if no base)."""
        if not self.obj_attr_is_set('access_url_base') or \
                not self.access_url_base or not self.obj_attr_is_set('token'):
            return None
        return '%s?path=%%3Ftoken%%3D%s' % (self.access_url_base, self.token)

    @base.remotable
    def authorize(self, ttl):
        """Store this token, valid for ``ttl`` seconds from now.

        :raises: ObjectActionError when already stored or ``token`` unset;
            Conflict when the same token was authorized before.
        """
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='authorize',
                                              reason='already authorized')
        if not self.obj_attr_is_set('token') or not self.token:
            raise exception.ObjectActionError(action='authorize',
                                              reason='no token set')
        values = {name: getattr(self, name) for name in self.fields
                  if name not in ('id', 'token', 'expires',
                                  'created_at', 'updated_at')
                  and self.obj_attr_is_set(name)}
        values['token_hash'] = token_hash(self.token)
        values['expires'] = int(time.time()) + int(ttl)
        row = base.db('console_auth_tokens').console_auth_token_create(
            self._context, values)
        base.from_db(self, self._context, row, skip=('token',))

    @base.remotable_classmethod
    def validate(cls, context, token, instance_uuid=None):
        """The unexpired token ``token`` (optionally of ``instance_uuid``).

        :raises: ConsoleTokenNotFound when unknown, revoked or expired.
        """
        row = base.db('console_auth_tokens').console_auth_token_get_valid(
            context, token_hash(token), instance_uuid)
        if row is None:
            raise exception.ConsoleTokenNotFound()
        return base.from_db(cls(), context, row)

    @base.remotable_classmethod
    def mark_in_use(cls, context, token):
        """Stamp ``token`` as used by an open session, expired or not.

        :raises: ConsoleTokenNotFound when revoked or purged.
        """
        row = base.db('console_auth_tokens').console_auth_token_touch(
            context, token_hash(token))
        if row is None:
            raise exception.ConsoleTokenNotFound()
        return base.from_db(cls(), context, row)

    @base.remotable_classmethod
    def clean_console_auths_for_instance(cls, context, instance_uuid):
        """Revoke every token of ``instance_uuid``; returns how many."""
        return base.db('console_auth_tokens') \
            .console_auth_token_destroy_all_by_instance(context, instance_uuid)

    @base.remotable_classmethod
    def clean_expired_console_auths(cls, context, in_use_grace=0):
        """Purge expired tokens, sparing those stamped as in use within the
        last ``in_use_grace`` seconds.

        :returns: how many were deleted.
        """
        return base.db('console_auth_tokens') \
            .console_auth_token_destroy_expired(context, in_use_grace)
