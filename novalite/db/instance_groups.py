"""Server groups (instance groups) and their members."""

import sqlalchemy as sa
from oslo_utils import uuidutils

from novalite.db import api
from novalite.db import models
from novalite import exception

G = models.InstanceGroup
M = models.InstanceGroupMember


def _to_dict(session, row):
    values = api.to_dict(row)
    # Members whose instance is deleted no longer count.
    I = models.Instance  # noqa: E741
    values['members'] = list(session.scalars(
        sa.select(M.instance_uuid)
        .join(I, sa.and_(I.uuid == M.instance_uuid, I.deleted == 0))
        .where(M.group_id == row.id).order_by(M.id)))
    return values


def _get(session, uuid):
    row = session.scalars(api.model_query(session, G, read_deleted='no')
                          .where(G.uuid == uuid)).first()
    if row is None:
        raise exception.InstanceGroupNotFound(group_uuid=uuid)
    return row


def instance_group_get(context, uuid):
    """:raises: InstanceGroupNotFound"""
    with api.reader() as session:
        return _to_dict(session, _get(session, uuid))


def instance_group_get_by_instance(context, instance_uuid):
    """The group an instance belongs to. :raises: InstanceGroupNotFound"""
    with api.reader() as session:
        row = session.scalars(
            api.model_query(session, G, read_deleted='no')
            .join(M, M.group_id == G.id)
            .where(M.instance_uuid == instance_uuid)).first()
        if row is None:
            raise exception.InstanceGroupNotFound(group_uuid=instance_uuid)
        return _to_dict(session, row)


@api.retry_lost_race
def instance_group_create(context, values, members=None):
    values = api.naive_values(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    with api.writer() as session:
        row = G(**values)
        session.add(row)
        session.flush()
        for uuid in dict.fromkeys(members or []):  # once each, in order
            session.add(M(group_id=row.id, instance_uuid=uuid))
        session.flush()
        return _to_dict(session, row)


@api.retry_lost_race
def instance_group_destroy(context, uuid):
    with api.writer() as session:
        row = _get(session, uuid)
        session.execute(sa.delete(M).where(M.group_id == row.id))
        for key, value in api.soft_delete_values(row.id).items():
            setattr(row, key, value)


@api.retry_lost_race
def instance_group_members_add(context, uuid, instance_uuids):
    """Add members (idempotent). :returns: the group."""
    with api.writer() as session:
        row = _get(session, uuid)
        have = {m.instance_uuid for m in session.scalars(
            sa.select(M).where(M.group_id == row.id))}
        for instance_uuid in instance_uuids:
            if instance_uuid not in have:
                session.add(M(group_id=row.id, instance_uuid=instance_uuid))
                have.add(instance_uuid)  # a uuid listed twice is one member
        session.flush()
        return _to_dict(session, row)


@api.retry_lost_race
def instance_group_member_delete(context, instance_uuid):
    """Drop an instance from whichever group holds it."""
    with api.writer() as session:
        session.execute(sa.delete(M).where(
            M.instance_uuid == instance_uuid))


def instance_group_get_all(context, project_id=None, limit=None,
                           offset=None):
    with api.reader() as session:
        stmt = api.model_query(session, G, read_deleted='no')
        if project_id is not None:
            stmt = stmt.where(G.project_id == project_id)
        stmt = stmt.order_by(G.id)
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_to_dict(session, r) for r in session.scalars(stmt)]


def instance_group_count_by_project(context, project_id):
    with api.reader() as session:
        return session.execute(sa.select(sa.func.count(G.id)).where(
            G.project_id == project_id, G.deleted == 0)).scalar_one()
