"""Flavors, their extra specs and project access."""

import sqlalchemy as sa

from novalite.db import api
from novalite.db import models
from novalite.db import pagination
from novalite import exception

F = models.Flavor


# A flavor is read on every create: built once (see novalite.db.api).
FT = F.__table__
_ES, _FP = models.FlavorExtraSpec.__table__, models.FlavorProject.__table__
_SPECS_AND_PROJECTS = sa.union_all(
    sa.select(sa.literal('spec'), _ES.c.key, _ES.c.value, _ES.c.id)
    .where(_ES.c.flavor_id == sa.bindparam('b_id')),
    sa.select(sa.literal('project'), _FP.c.project_id, sa.null(), _FP.c.id)
    .where(_FP.c.flavor_id == sa.bindparam('b_id'))).order_by(sa.text('4'))
_BY = {key: sa.select(FT).where(FT.c[key] == sa.bindparam('b_value'))
       for key in ('id', 'flavorid', 'name')}


def _to_dict(session, row):
    """The flavor's columns plus its extra specs and projects, the two
    read in one statement."""
    values = dict(row) if not isinstance(row, F) else api.to_dict(row)
    specs, projects = {}, []
    for kind, key, value, _id in session.connection().execute(
            _SPECS_AND_PROJECTS, {'b_id': values['id']}):
        if kind == 'spec':
            specs[key] = value
        else:
            projects.append(key)
    values['extra_specs'] = specs
    values['projects'] = projects
    return values


def _get_row(session, **where):
    stmt = sa.select(F)
    for key, value in where.items():
        stmt = stmt.where(getattr(F, key) == value)
    return session.scalars(stmt).first()


def _get(context, key, value, not_found_id=None):
    with api.reader() as session:
        row = session.connection().execute(
            _BY[key], {'b_value': value}).mappings().first()
        if row is None:
            raise exception.FlavorNotFound(flavor_id=not_found_id or value)
        return _to_dict(session, row)


def flavor_get(context, flavor_id):
    return _get(context, 'id', flavor_id)


def flavor_get_by_flavor_id(context, flavorid):
    return _get(context, 'flavorid', flavorid)


def flavor_get_by_name(context, name):
    return _get(context, 'name', name)


@api.retry_lost_race
def flavor_create(context, values):
    values = dict(values)
    specs = values.pop('extra_specs', None) or {}
    projects = values.pop('projects', None) or []
    with api.writer() as session:
        if _get_row(session, name=values['name']) is not None:
            raise exception.FlavorExists(name=values['name'])
        if _get_row(session, flavorid=values['flavorid']) is not None:
            raise exception.FlavorIdExists(flavor_id=values['flavorid'])
        row = F(**api.naive_values(values))
        session.add(row)
        session.flush()
        for key, value in specs.items():
            session.add(models.FlavorExtraSpec(flavor_id=row.id, key=key,
                                               value=value))
        for project_id in projects:
            session.add(models.FlavorProject(flavor_id=row.id,
                                             project_id=project_id))
        session.flush()
        return _to_dict(session, row)


@api.retry_lost_race
def flavor_update(context, flavor_id, values):
    """Update plain columns and set ``extra_specs`` (the whole dict) when
    given."""
    values = dict(values)
    specs = values.pop('extra_specs', None)
    values.pop('projects', None)
    values.pop('id', None)
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        for key, value in api.naive_values(values).items():
            setattr(row, key, value)
        if specs is not None:
            _set_specs(session, row.id, specs)
        session.flush()
        return _to_dict(session, row)


def _set_specs(session, flavor_id, specs, only_these=False):
    """Make the flavor's extra specs ``specs`` (with ``only_these``: set
    those keys, keep the others), writing only the keys that differ: a
    request identical to one just committed writes nothing, and rows of
    unchanged keys are not locked."""
    S = models.FlavorExtraSpec
    stmt = sa.select(S).where(S.flavor_id == flavor_id)
    if only_these:
        stmt = stmt.where(S.key.in_(list(specs)))
    have = {r.key: r for r in session.scalars(stmt)}
    gone = [key for key in have if key not in specs]
    if gone:
        session.execute(sa.delete(S).where(S.flavor_id == flavor_id,
                                           S.key.in_(gone)))
    for key, value in specs.items():
        spec = have.get(key)
        if spec is None:
            session.add(S(flavor_id=flavor_id, key=key, value=value))
        elif spec.value != value:
            spec.value = value


@api.retry_lost_race
def flavor_extra_specs_update_or_create(context, flavor_id, specs):
    """Set the keys of ``specs``; the flavor's other keys stay. Requests
    setting different keys at once each keep theirs (a whole-dict save
    read before another request's commit would drop that request's keys).

    :raises: FlavorNotFound
    """
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        _set_specs(session, row.id, specs, only_these=True)
        session.flush()
        return _to_dict(session, row)


@api.retry_lost_race
def flavor_extra_specs_delete(context, flavor_id, key):
    """Delete one key. :raises: FlavorNotFound, FlavorExtraSpecsNotFound"""
    S = models.FlavorExtraSpec
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        result = session.execute(sa.delete(S).where(S.flavor_id == row.id,
                                                    S.key == key))
        if not result.rowcount:
            raise exception.FlavorExtraSpecsNotFound(
                flavor_id=row.flavorid, extra_specs_key=key)
        return _to_dict(session, row)


@api.retry_lost_race
def flavor_destroy(context, flavor_id):
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        for model in (models.FlavorExtraSpec, models.FlavorProject):
            session.execute(sa.delete(model).where(
                model.flavor_id == row.id))
        session.delete(row)


@api.retry_lost_race
def flavor_add_access(context, flavor_id, project_id):
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        exists = session.scalars(sa.select(models.FlavorProject).where(
            models.FlavorProject.flavor_id == row.id,
            models.FlavorProject.project_id == project_id)).first()
        if exists is not None:
            raise exception.FlavorAccessExists(flavor_id=row.flavorid,
                                               project_id=project_id)
        session.add(models.FlavorProject(flavor_id=row.id,
                                         project_id=project_id))
        session.flush()
        return _to_dict(session, row)


@api.retry_lost_race
def flavor_remove_access(context, flavor_id, project_id):
    with api.writer() as session:
        row = _get_row(session, id=flavor_id)
        if row is None:
            raise exception.FlavorNotFound(flavor_id=flavor_id)
        result = session.execute(sa.delete(models.FlavorProject).where(
            models.FlavorProject.flavor_id == row.id,
            models.FlavorProject.project_id == project_id))
        if not result.rowcount:
            raise exception.FlavorAccessNotFound(flavor_id=row.flavorid,
                                                 project_id=project_id)
        return _to_dict(session, row)


def flavor_get_all(context, is_public=True, min_memory_mb=None,
                   min_root_gb=None, sort_key='flavorid', sort_dir='asc',
                   limit=None, marker=None):
    with api.reader() as session:
        stmt = sa.select(F).where(F.disabled.is_(False))
        if min_memory_mb is not None:
            stmt = stmt.where(F.memory_mb >= min_memory_mb)
        if min_root_gb is not None:
            stmt = stmt.where(F.root_gb >= min_root_gb)
        if is_public is not None:
            access = sa.select(models.FlavorProject.flavor_id).where(
                models.FlavorProject.project_id == context.project_id)
            if is_public:
                stmt = stmt.where(sa.or_(F.is_public.is_(True),
                                         F.id.in_(access)))
            else:
                stmt = stmt.where(F.is_public.is_(False))
                if not context.is_admin:
                    stmt = stmt.where(F.id.in_(access))
        marker_row = None
        if marker is not None:
            marker_row = _get_row(session, flavorid=marker)
            if marker_row is None:
                raise pagination.marker_not_found(marker)
        keys = [sort_key] if sort_key == 'id' else [sort_key, 'id']
        stmt = pagination.paginate(stmt, F, marker_row, keys,
                                   [sort_dir] * len(keys), limit)
        return [_to_dict(session, r) for r in session.scalars(stmt)]
