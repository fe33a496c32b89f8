"""Instance actions and their events (``os-instance-actions``).

An action is one user request on one instance (``create``, ``stop``...),
keyed by the request id of the context that made it; events are the steps
daemons ran for it (``compute_stop_instance``...). As in Nova, a failed
event marks its action's ``message`` as ``Error``.
"""

import sqlalchemy as sa

from novalite.db import api
from novalite.db import models
from novalite import exception

A = models.InstanceAction
E = models.InstanceActionEvent


def _action_by_request_id(session, instance_uuid, request_id):
    return session.scalars(
        sa.select(A).where(A.instance_uuid == instance_uuid,
                           A.request_id == request_id, A.deleted == 0)
        .order_by(A.id.desc())).first()


@api.retry_lost_race
def action_start(context, values):
    values = api.naive_values(values)
    with api.writer() as session:
        return api.insert_row(session, A, values)


@api.retry_lost_race
def action_finish(context, instance_uuid, request_id, values):
    """:raises: InstanceActionNotFound"""
    with api.writer() as session:
        row = _action_by_request_id(session, instance_uuid, request_id)
        if row is None:
            raise exception.InstanceActionNotFound(
                request_id=request_id, instance_uuid=instance_uuid)
        for key, value in api.naive_values(values).items():
            setattr(row, key, value)
        row.updated_at = api.utcnow()
        session.flush()
        return api.to_dict(row)


def action_get_by_request_id(context, instance_uuid, request_id):
    """The newest action of the request on the instance, or None."""
    with api.reader() as session:
        return api.to_dict(_action_by_request_id(session, instance_uuid,
                                                 request_id))


def actions_get(context, instance_uuid, limit=None, marker=None):
    """Actions of an instance, newest first.

    :param marker: request id of the action after which to start.
    :raises: MarkerNotFound
    """
    with api.reader() as session:
        stmt = (sa.select(A).where(A.instance_uuid == instance_uuid,
                                   A.deleted == 0)
                .order_by(A.created_at.desc(), A.id.desc()))
        if marker is not None:
            marker_row = _action_by_request_id(session, instance_uuid,
                                               marker)
            if marker_row is None:
                raise exception.MarkerNotFound(marker=marker)
            stmt = stmt.where(sa.or_(
                A.created_at < marker_row.created_at,
                sa.and_(A.created_at == marker_row.created_at,
                        A.id < marker_row.id)))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [api.to_dict(r) for r in session.scalars(stmt)]


# Events are written on every step of every instance: plain statements on
# the tables, built once (see novalite.db.api), and the row is read back
# only when asked for.

# Lock order: the action's row first, then its events'. Daemons start and
# finish events of one action at the same time (the conductor's and the
# compute's, a reschedule's); an event INSERT share-locks the action row
# for its foreign key, so updating the action after it deadlocks with a
# twin doing the same.

AT = A.__table__
ET = E.__table__
_bind = sa.bindparam

_ACTION_ID = (
    sa.select(AT.c.id)
    .where(AT.c.instance_uuid == _bind('instance_uuid'),
           AT.c.request_id == _bind('request_id'), AT.c.deleted == 0)
    .order_by(AT.c.id.desc()).limit(1))
_TOUCH_ACTION = (sa.update(AT).where(AT.c.id == _bind('action_id'))
                 .values(updated_at=_bind('now')))
_FAIL_ACTION = _TOUCH_ACTION.values(message='Error')
_INSERT_EVENT = sa.insert(ET)
# SET takes the columns the parameters name (the WHERE's has its own name).
_UPDATE_EVENT = sa.update(ET).where(ET.c.id == _bind('b_event_id'))
_EVENT_TO_FINISH = (
    sa.select(ET.c.id, AT.c.id)
    .select_from(ET.join(AT, ET.c.action_id == AT.c.id))
    .where(AT.c.instance_uuid == _bind('instance_uuid'),
           AT.c.request_id == _bind('request_id'), AT.c.deleted == 0,
           ET.c.event == _bind('event'), ET.c.deleted == 0)
    .order_by(AT.c.id.desc(), ET.c.finish_time.is_not(None), ET.c.id.desc())
    .limit(1))


def _action_id(session, instance_uuid, request_id):
    """:raises: InstanceActionNotFound"""
    action_id = session.connection().scalar(_ACTION_ID, {
        'instance_uuid': instance_uuid, 'request_id': request_id})
    if action_id is None:
        raise exception.InstanceActionNotFound(
            request_id=request_id, instance_uuid=instance_uuid)
    return action_id


def _event_row(session, event_id):
    return api.to_dict(session.get(E, event_id))


@api.retry_lost_race
def action_event_start(context, instance_uuid, request_id, values,
                       refresh=True):
    """:returns: the event row, or None when ``refresh`` is False.
    :raises: InstanceActionNotFound"""
    values = api.naive_values(values)
    with api.writer() as session:
        action_id = _action_id(session, instance_uuid, request_id)
        now = api.utcnow()
        connection = session.connection()
        connection.execute(_TOUCH_ACTION, {'action_id': action_id,
                                           'now': now})
        result = connection.execute(_INSERT_EVENT, dict(
            values, action_id=action_id, created_at=now, deleted=0))
        if refresh:
            return _event_row(session, result.inserted_primary_key[0])
        return None


@api.retry_lost_race
def action_event_finish(context, instance_uuid, request_id, event_name,
                        values, refresh=True):
    """Finish the newest unfinished ``event_name`` of the request's action.

    :returns: the event row, or None when ``refresh`` is False.
    :raises: InstanceActionNotFound, InstanceActionEventNotFound
    """
    values = api.naive_values(values)
    with api.writer() as session:
        connection = session.connection()
        found = connection.execute(_EVENT_TO_FINISH, {
            'instance_uuid': instance_uuid, 'request_id': request_id,
            'event': event_name}).first()
        if found is None:
            action_id = _action_id(session, instance_uuid, request_id)
            raise exception.InstanceActionEventNotFound(
                action_id=action_id, event=event_name)
        event_id, action_id = found
        now = api.utcnow()
        failed = (values.get('result') or '').lower() == 'error'
        connection.execute(_FAIL_ACTION if failed else _TOUCH_ACTION,
                           {'action_id': action_id, 'now': now})
        connection.execute(_UPDATE_EVENT, dict(values, updated_at=now,
                                               b_event_id=event_id))
        if refresh:
            return _event_row(session, event_id)
        return None


def action_events_get(context, action_id):
    """Events of an action, newest first."""
    with api.reader() as session:
        stmt = (sa.select(E).where(E.action_id == action_id, E.deleted == 0)
                .order_by(E.created_at.desc(), E.id.desc()))
        return [api.to_dict(r) for r in session.scalars(stmt)]
