"""Compute nodes table: one row per hypervisor node."""

import sqlalchemy as sa
from oslo_utils import uuidutils

from novalite.db import api
from novalite.db import models
from novalite import exception


def _get(session, context, compute_id):
    row = session.scalars(
        api.model_query(session, models.ComputeNode, context)
        .where(models.ComputeNode.id == compute_id)).first()
    if row is None:
        raise exception.ComputeNodeNotFound(node=compute_id)
    return row


def compute_node_get(context, compute_id):
    with api.reader() as session:
        return api.to_dict(_get(session, context, compute_id))


def compute_node_get_by_host_and_nodename(context, host, nodename):
    with api.reader() as session:
        row = session.scalars(
            api.model_query(session, models.ComputeNode, context)
            .where(models.ComputeNode.host == host,
                   models.ComputeNode.hypervisor_hostname == nodename)
        ).first()
        if row is None:
            raise exception.ComputeHostNotFound(host=host)
        return api.to_dict(row)


def compute_node_get_all(context, host=None):
    with api.reader() as session:
        stmt = api.model_query(session, models.ComputeNode, context)
        if host is not None:
            stmt = stmt.where(models.ComputeNode.host == host)
        stmt = stmt.order_by(models.ComputeNode.id)
        return [api.to_dict(r) for r in session.scalars(stmt)]


@api.retry_lost_race
def compute_node_create(context, values):
    values = api.naive_values(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    with api.writer() as session:
        row = models.ComputeNode(**values)
        session.add(row)
        session.flush()
        return api.to_dict(row)


@api.retry_lost_race
def compute_node_update(context, compute_id, values, refresh=True):
    """Write ``values``; every claim and free of a compute lands here.

    :param refresh: return the whole row; when False only ``updated_at``
        (the caller holds what it wrote).
    :raises: ComputeNodeNotFound
    """
    values = dict(api.naive_values(values), updated_at=api.utcnow())
    CN = models.ComputeNode
    with api.writer() as session:
        result = session.execute(
            sa.update(CN).where(CN.id == compute_id, CN.deleted == 0)
            .values(**values).execution_options(synchronize_session=False))
        if not result.rowcount:
            raise exception.ComputeNodeNotFound(node=compute_id)
        if not refresh:
            return {'updated_at': values['updated_at']}
        return api.to_dict(_get(session, context, compute_id))


@api.retry_lost_race
def compute_node_delete(context, compute_id):
    with api.writer() as session:
        session.execute(
            sa.update(models.ComputeNode)
            .where(models.ComputeNode.id == compute_id)
            .values(**api.soft_delete_values(compute_id)))
