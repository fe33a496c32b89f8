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
    with api.writer() as session:
        row = session.scalars(sa.select(Q).where(
            Q.project_id == project_id, Q.resource == resource)).first()
        if row is None:
            session.add(Q(project_id=project_id, resource=resource,
                          hard_limit=limit))
        else:
            row.hard_limit = limit
            row.updated_at = api.utcnow()


def quota_destroy_all_by_project(context, project_id):
    with api.writer() as session:
        session.execute(sa.delete(Q).where(Q.project_id == project_id))
