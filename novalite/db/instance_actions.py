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


def action_start(context, values):
    values = api.naive_values(values)
    with api.writer() as session:
        row = A(**values)
        session.add(row)
        session.flush()
        return api.to_dict(row)


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


def action_event_start(context, instance_uuid, request_id, values):
    """:raises: InstanceActionNotFound"""
    values = api.naive_values(values)
    with api.writer() as session:
        action = _action_by_request_id(session, instance_uuid, request_id)
        if action is None:
            raise exception.InstanceActionNotFound(
                request_id=request_id, instance_uuid=instance_uuid)
        row = E(action_id=action.id, **values)
        session.add(row)
        action.updated_at = api.utcnow()
        session.flush()
        return api.to_dict(row)


def action_event_finish(context, instance_uuid, request_id, event_name,
                        values):
    """Finish the newest unfinished ``event_name`` of the request's action.

    :raises: InstanceActionNotFound, InstanceActionEventNotFound
    """
    values = api.naive_values(values)
    with api.writer() as session:
        action = _action_by_request_id(session, instance_uuid, request_id)
        if action is None:
            raise exception.InstanceActionNotFound(
                request_id=request_id, instance_uuid=instance_uuid)
        row = session.scalars(
            sa.select(E).where(E.action_id == action.id,
                               E.event == event_name, E.deleted == 0)
            .order_by(E.finish_time.is_not(None), E.id.desc())).first()
        if row is None:
            raise exception.InstanceActionEventNotFound(
                action_id=action.id, event=event_name)
        for key, value in values.items():
            setattr(row, key, value)
        if (values.get('result') or '').lower() == 'error':
            action.message = 'Error'
        action.updated_at = api.utcnow()
        session.flush()
        return api.to_dict(row)


def action_events_get(context, action_id):
    """Events of an action, newest first."""
    with api.reader() as session:
        stmt = (sa.select(E).where(E.action_id == action_id, E.deleted == 0)
                .order_by(E.created_at.desc(), E.id.desc()))
        return [api.to_dict(r) for r in session.scalars(stmt)]
