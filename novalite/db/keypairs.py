"""Key pairs of users."""

import sqlalchemy as sa

from novalite.db import api
from novalite.db import models
from novalite.db import pagination
from novalite import exception

K = models.KeyPair


def _query(session, user_id, name=None):
    stmt = api.model_query(session, K, read_deleted='no').where(
        K.user_id == user_id)
    if name is not None:
        stmt = stmt.where(K.name == name)
    return stmt


def key_pair_get(context, user_id, name):
    """:raises: KeypairNotFound"""
    with api.reader() as session:
        row = session.scalars(_query(session, user_id, name)).first()
        if row is None:
            raise exception.KeypairNotFound(user_id=user_id, name=name)
        return api.to_dict(row)


@api.retry_lost_race
def key_pair_create(context, values):
    """:raises: KeyPairExists"""
    values = api.naive_values(values)
    with api.writer() as session:
        if session.scalars(_query(session, values['user_id'],
                                  values['name'])).first() is not None:
            raise exception.KeyPairExists(key_name=values['name'])
        row = K(**values)
        session.add(row)
        session.flush()
        return api.to_dict(row)


@api.retry_lost_race
def key_pair_destroy(context, user_id, name):
    """Soft-delete one key pair. :raises: KeypairNotFound"""
    with api.writer() as session:
        row = session.scalars(_query(session, user_id, name)).first()
        if row is None:
            raise exception.KeypairNotFound(user_id=user_id, name=name)
        for key, value in api.soft_delete_values(row.id).items():
            setattr(row, key, value)


def key_pair_get_all_by_user(context, user_id, limit=None, marker=None):
    """Key pairs of a user by name; ``marker`` is a key pair name.

    :raises: MarkerNotFound
    """
    with api.reader() as session:
        marker_row = None
        if marker is not None:
            marker_row = session.scalars(
                _query(session, user_id, marker)).first()
            if marker_row is None:
                raise pagination.marker_not_found(marker)
        stmt = pagination.paginate(_query(session, user_id), K, marker_row,
                                   ['name', 'id'], ['asc', 'asc'], limit)
        return [api.to_dict(r) for r in session.scalars(stmt)]


def key_pair_count_by_user(context, user_id):
    with api.reader() as session:
        return session.execute(
            sa.select(sa.func.count(K.id)).where(
                K.user_id == user_id, K.deleted == 0)).scalar_one()
