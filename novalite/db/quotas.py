"""Per-project quota limits (overrides of the ``[quota]`` defaults)."""

import sqlalchemy as sa

from novalite.db import api
from novalite.db import models

Q = models.Quota


# Read on every create, twice: built once (see novalite.db.api).
_QT = Q.__table__
_OF_PROJECT = sa.select(_QT.c.resource, _QT.c.hard_limit).where(
    _QT.c.project_id == sa.bindparam('b_project_id'))


def quota_get_all_by_project(context, project_id):
    """``{resource: hard_limit}`` of the limits set for a project."""
    with api.reader() as session:
        return dict(session.connection().execute(
            _OF_PROJECT, {'b_project_id': project_id}).all())


def quota_set(context, project_id, resource, limit):
    """Create or update one project limit."""
    quota_set_limits(context, project_id, {resource: limit})


@api.retry_lost_race
def quota_set_limits(context, project_id, limits):
    """Create or update several limits of a project in one transaction.

    A limit is a "set": requests setting the same limits at once all
    succeed and leave one row per resource (the loser of an insert race
    runs again and updates the row the winner made).

    :param limits: ``{resource: hard_limit}``
    """
    if not limits:
        return
    with api.writer() as session:
        rows = {row.resource: row for row in session.scalars(
            sa.select(Q).where(Q.project_id == project_id,
                               Q.resource.in_(list(limits))))}
        # In one order, so two writers of one project queue up rather
        # than lock each other's rows crosswise.
        for resource in sorted(limits):
            row = rows.get(resource)
            if row is None:
                session.add(Q(project_id=project_id, resource=resource,
                              hard_limit=limits[resource]))
            elif row.hard_limit != limits[resource]:
                row.hard_limit = limits[resource]
                row.updated_at = api.utcnow()


@api.retry_lost_race
def quota_destroy_all_by_project(context, project_id):
    with api.writer() as session:
        session.execute(sa.delete(Q).where(Q.project_id == project_id))
