"""Console auth tokens table: hashed tokens with an expiry, per instance.

Rows hold the SHA-256 of a token, never the token itself. ``expires`` is
seconds since the epoch; a token is valid for a new connection while
``expires`` is in the future. ``updated_at`` is stamped each time
novncproxy re-checks a session opened with the token, so the purge spares
the rows of sessions still open past their expiry.
"""

import datetime
import time

import sqlalchemy as sa

from novalite.db import api
from novalite.db import models
from novalite import exception

Token = models.ConsoleAuthToken


def _now():
    return int(time.time())


@api.retry_lost_race
def console_auth_token_create(context, values):
    """Store a token row.

    :param values: column values, ``token_hash`` and ``expires`` included.
    :raises: Conflict when the hash is already stored.
    """
    try:
        with api.writer() as session:
            row = Token(**api.naive_values(values))
            session.add(row)
            session.flush()
            return api.to_dict(row)
    except exception.DBDuplicateEntry:
        raise exception.Conflict(reason='console token already authorized')


def _by_hash(token_hash, instance_uuid=None):
    stmt = sa.select(Token).where(Token.token_hash == token_hash)
    if instance_uuid is not None:
        stmt = stmt.where(Token.instance_uuid == instance_uuid)
    return stmt


def console_auth_token_get_valid(context, token_hash, instance_uuid=None):
    """The unexpired row of ``token_hash``, or None."""
    with api.reader() as session:
        row = session.scalars(_by_hash(token_hash, instance_uuid)
                              .where(Token.expires > _now())).first()
        return api.to_dict(row)


@api.retry_lost_race
def console_auth_token_touch(context, token_hash):
    """Stamp ``updated_at`` on the row of ``token_hash``, expired or not.

    :returns: the row, or None when it was revoked or purged.
    """
    with api.writer() as session:
        row = session.scalars(_by_hash(token_hash)).first()
        if row is None:
            return None
        row.updated_at = api.utcnow()
        session.flush()
        return api.to_dict(row)


@api.retry_lost_race
def console_auth_token_destroy_all_by_instance(context, instance_uuid):
    """Delete every token of ``instance_uuid``; returns how many."""
    with api.writer() as session:
        result = session.execute(
            sa.delete(Token).where(Token.instance_uuid == instance_uuid))
        return result.rowcount


@api.retry_lost_race
def console_auth_token_destroy_expired(context, in_use_grace=0):
    """Delete expired tokens; returns how many.

    :param in_use_grace: seconds; expired rows stamped as in use within
        that time (sessions still open) are kept.
    """
    stmt = sa.delete(Token).where(Token.expires <= _now())
    if in_use_grace:
        since = api.utcnow() - datetime.timedelta(seconds=in_use_grace)
        stmt = stmt.where(sa.or_(Token.updated_at.is_(None),
                                 Token.updated_at < since))
    with api.writer() as session:
        return session.execute(stmt).rowcount
