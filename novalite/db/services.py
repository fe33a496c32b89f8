"""Services table: create, heartbeat, enable/disable, list."""

import sqlalchemy as sa
from oslo_utils import uuidutils

from novalite.db import api
from novalite.db import models
from novalite import exception


def _get(session, context, service_id):
    row = session.scalars(api.model_query(session, models.Service, context)
                          .where(models.Service.id == service_id)).first()
    if row is None:
        raise exception.ServiceNotFound(service_id=service_id)
    return row


def service_get(context, service_id):
    with api.reader() as session:
        return api.to_dict(_get(session, context, service_id))


def service_get_by_uuid(context, service_uuid):
    with api.reader() as session:
        row = session.scalars(
            api.model_query(session, models.Service, context)
            .where(models.Service.uuid == service_uuid)).first()
        if row is None:
            raise exception.ServiceNotFound(service_id=service_uuid)
        return api.to_dict(row)


def service_get_by_host_and_binary(context, host, binary):
    with api.reader() as session:
        row = session.scalars(
            api.model_query(session, models.Service, context)
            .where(models.Service.host == host,
                   models.Service.binary == binary)).first()
        if row is None:
            raise exception.HostBinaryNotFound(host=host, binary=binary)
        return api.to_dict(row)


def service_get_all(context, disabled=None, binary=None, host=None):
    with api.reader() as session:
        stmt = api.model_query(session, models.Service, context)
        if disabled is not None:
            stmt = stmt.where(models.Service.disabled == disabled)
        if binary is not None:
            stmt = stmt.where(models.Service.binary == binary)
        if host is not None:
            stmt = stmt.where(models.Service.host == host)
        stmt = stmt.order_by(models.Service.id)
        return [api.to_dict(r) for r in session.scalars(stmt)]


@api.retry_lost_race
def service_create(context, values):
    """:raises: ServiceBinaryExists"""
    values = api.naive_values(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    try:
        with api.writer() as session:
            row = models.Service(**values)
            session.add(row)
            session.flush()
            return api.to_dict(row)
    except exception.DBDuplicateEntry:
        raise exception.ServiceBinaryExists(host=values.get('host'),
                                            binary=values.get('binary'))


@api.retry_lost_race
def service_update(context, service_id, values):
    with api.writer() as session:
        row = _get(session, context, service_id)
        for key, value in api.naive_values(values).items():
            setattr(row, key, value)
        session.flush()
        return api.to_dict(row)


@api.retry_lost_race
def service_heartbeat(context, service_id):
    """Increment ``report_count`` and stamp ``last_seen_up``/``updated_at``."""
    now = api.utcnow()
    with api.writer() as session:
        session.execute(
            sa.update(models.Service)
            .where(models.Service.id == service_id)
            .values(report_count=models.Service.report_count + 1,
                    last_seen_up=now, updated_at=now))
        return api.to_dict(_get(session, context, service_id))


@api.retry_lost_race
def service_destroy(context, service_id):
    with api.writer() as session:
        row = _get(session, context, service_id)
        for key, value in api.soft_delete_values(row.id).items():
            setattr(row, key, value)
