"""Instances and their faults.

Filters understood by :func:`instance_get_all_by_filters` (Nova's names):
``project_id``, ``user_id``, ``host``, ``node``, ``image_ref``,
``instance_type_id``, ``reservation_id``, ``availability_zone``,
``locked``, ``key_name`` (exact; a list means IN), ``uuid``, ``vm_state``,
``task_state`` (value or list), ``display_name`` / ``name`` (regular
expression, as Nova matches names), ``changes-since`` / ``changes-before``
(``updated_at`` bounds), ``deleted`` (True: only deleted, False: only live;
absent: by ``context.read_deleted``).
"""

import sqlalchemy as sa
from oslo_utils import uuidutils

from novalite.db import api
from novalite.db import models
from novalite.db import pagination
from novalite import exception

I = models.Instance  # noqa: E741
_EXACT = ('project_id', 'user_id', 'host', 'node', 'image_ref',
          'instance_type_id', 'reservation_id', 'availability_zone',
          'locked', 'key_name', 'uuid', 'vm_state', 'task_state')


def _to_dict(row):
    values = api.to_dict(row)
    return values


def _row(session, context, uuid, read_deleted=None):
    row = session.scalars(api.model_query(session, I, context,
                                          read_deleted=read_deleted)
                          .where(I.uuid == uuid)).first()
    if row is None:
        raise exception.InstanceNotFound(instance_id=uuid)
    return row


def _with_faults(session, values_list):
    faults = _latest_faults(session, [v['uuid'] for v in values_list])
    for values in values_list:
        values['fault'] = faults.get(values['uuid'])
    return values_list


def instance_get_by_uuid(context, uuid, with_fault=False):
    if not uuidutils.is_uuid_like(uuid):
        raise exception.InstanceNotFound(instance_id=uuid)
    with api.reader() as session:
        values = _to_dict(_row(session, context, uuid))
        return _with_faults(session, [values])[0] if with_fault else values


def instance_get(context, instance_id, with_fault=False):
    with api.reader() as session:
        row = session.scalars(api.model_query(session, I, context)
                              .where(I.id == instance_id)).first()
        if row is None:
            raise exception.InstanceNotFound(instance_id=instance_id)
        values = _to_dict(row)
        return _with_faults(session, [values])[0] if with_fault else values


# Columns a create delivered again may differ in: what the database or
# the insert itself fills in.
_STAMPS = ('id', 'created_at', 'updated_at', 'deleted_at', 'deleted')


@api.retry_lost_race
def instance_create(context, values):
    """Insert an instance; a create delivered again is answered with the
    row the first delivery made.

    The api picks the uuid, so a second row with it can only be the same
    request sent again (its reply lost to a broker restart, or the
    conductor killed before acknowledging it): when the row holds the very
    values given, it is returned and nothing is written.

    :raises: InstanceExists when ``values`` name a uuid taken by an
        instance with other values.
    """
    values = api.naive_values(values)
    values.setdefault('uuid', uuidutils.generate_uuid())
    try:
        with api.writer() as session:
            return api.insert_row(session, I, values)
    except exception.DBDuplicateEntry:
        made = _made_by(context, values)
        if made is None:
            raise exception.InstanceExists(instance_uuid=values['uuid'])
        return made


def _made_by(context, values):
    """The live row of ``values['uuid']`` when it holds ``values`` and
    nothing else (the same create, delivered before), else None."""
    with api.reader() as session:
        row = session.scalars(sa.select(I).where(
            I.uuid == values['uuid'], I.deleted == 0)).first()
        made = api.to_dict(row) if row is not None else None
    if made is None:
        return None
    for column in I.__table__.columns:
        if column.name in _STAMPS:
            continue
        if column.name in values:
            given = values[column.name]
        elif column.default is not None and column.default.is_callable:
            continue    # made by the insert, e.g. a timestamp
        elif column.default is not None:
            given = column.default.arg
        else:
            given = None
        if made[column.name] != given:
            return None
    return made


def _expected_list(expected):
    """None (nothing to check), or the expected states as a list."""
    if expected is None:
        return None
    if isinstance(expected, (list, tuple, set)):
        return list(expected)
    return [expected]


def _in_or_null(column, values, param=None):
    """``column IN values``, ``None`` among them matching NULL.

    :param param: name of an expanding bound parameter that carries the
        values when the statement runs (a statement built once); without
        it the values are part of the statement.
    """
    terms = []
    if any(v is not None for v in values):
        terms.append(column.in_(
            sa.bindparam(param, expanding=True) if param else
            [v for v in values if v is not None]))
    if None in values:
        terms.append(column.is_(None))
    return sa.or_(*terms)


# The guarded UPDATE of instance_update (every state change of every
# instance), built once per shape of expectations (see novalite.db.api).
# SET takes the columns the parameters name (keys are column names, so
# ``metadata`` stays as it is); the WHERE's parameters are named so no
# column can be.
_GUARDED_UPDATES = {}


def _guarded_update(task_expected, vm_expected):
    def shape(expected):
        if expected is None:
            return None
        return (any(v is not None for v in expected), None in expected)
    key = (shape(task_expected), shape(vm_expected))
    stmt = _GUARDED_UPDATES.get(key)
    if stmt is None:
        T = I.__table__
        stmt = sa.update(T).where(T.c.uuid == sa.bindparam('b_uuid'),
                                  T.c.deleted == 0)
        for column, expected, param in (
                (T.c.task_state, task_expected, 'b_task'),
                (T.c.vm_state, vm_expected, 'b_vm')):
            if expected is not None:
                stmt = stmt.where(_in_or_null(column, expected, param))
        _GUARDED_UPDATES[key] = stmt
    return stmt


@api.retry_lost_race
def instance_update(context, uuid, values, expected_task_state=None,
                    expected_vm_state=None, refresh=True):
    """Compare-and-swap update of one instance.

    :param refresh: return the whole row as it is after the update; when
        False, only what the database set beyond ``values``
        (``updated_at``), sparing a read of the widest table on the
        busiest path (every state change of every instance).
    :raises: InstanceNotFound, UnexpectedTaskStateError,
        UnexpectedDeletingTaskStateError, UnexpectedVMStateError
    """
    values = api.naive_values(values)
    values['updated_at'] = api.utcnow()
    task_expected = _expected_list(expected_task_state)
    vm_expected = _expected_list(expected_vm_state)
    params = dict(values, b_uuid=uuid)
    if task_expected is not None:
        params['b_task'] = [v for v in task_expected if v is not None]
    if vm_expected is not None:
        params['b_vm'] = [v for v in vm_expected if v is not None]
    with api.writer() as session:
        result = session.connection().execute(
            _guarded_update(task_expected, vm_expected), params)
        if not result.rowcount:
            row = _row(session, context, uuid, read_deleted='no')
            if (expected_task_state is not None and
                    row.task_state not in task_expected):
                exc_class = (exception.UnexpectedDeletingTaskStateError
                             if row.task_state == 'deleting'
                             else exception.UnexpectedTaskStateError)
                raise exc_class(instance_uuid=uuid, expected=task_expected,
                                actual=row.task_state)
            if (expected_vm_state is not None and
                    row.vm_state not in vm_expected):
                raise exception.UnexpectedVMStateError(
                    expected=vm_expected, actual=row.vm_state)
        elif not refresh:
            return {'updated_at': values['updated_at']}
        session.expire_all()
        return _to_dict(_row(session, context, uuid))


@api.retry_lost_race
def instance_take_over_build(context, uuid, untouched_since):
    """Claim a build that waits for a host and was not touched since
    ``untouched_since``, by touching it: of the conductors that find it at
    once, exactly one gets True."""
    T = I.__table__
    since = api.naive(untouched_since)
    stmt = sa.update(T).where(
        T.c.uuid == uuid, T.c.deleted == 0,
        T.c.vm_state == 'building', T.c.task_state == 'scheduling',
        T.c.host.is_(None),
        sa.func.coalesce(T.c.updated_at, T.c.created_at) < since,
    ).values(updated_at=api.utcnow())
    with api.writer() as session:
        return session.connection().execute(stmt).rowcount == 1


@api.retry_lost_race
def instance_destroy(context, uuid):
    """Soft-delete an instance; returns its final row."""
    with api.writer() as session:
        row = _row(session, context, uuid)
        for key, value in api.soft_delete_values(row.id).items():
            setattr(row, key, value)
        session.flush()
        return _to_dict(row)


def instance_get_all_by_filters(context, filters, sort_keys=None,
                                sort_dirs=None, limit=None, marker=None,
                                with_fault=False):
    filters = dict(filters or {})
    read_deleted = None
    if 'deleted' in filters:
        read_deleted = 'only' if filters.pop('deleted') else 'no'
    sort_keys = list(sort_keys or ['created_at'])
    sort_dirs = list(sort_dirs or ['desc'] * len(sort_keys))
    sort_dirs += [sort_dirs[-1]] * (len(sort_keys) - len(sort_dirs))
    for key in sort_keys:
        if not hasattr(I, key) or key in ('metadata_', 'system_metadata'):
            raise exception.InvalidSortKey()
    if 'id' not in sort_keys:
        sort_keys.append('id')
        sort_dirs.append(sort_dirs[0])
    with api.reader() as session:
        stmt = api.model_query(session, I, context,
                               read_deleted=read_deleted)
        for key in _EXACT:
            if key not in filters:
                continue
            value = filters[key]
            column = getattr(I, key)
            if isinstance(value, (list, tuple, set)):
                stmt = stmt.where(_in_or_null(column, value))
            elif value is None:
                stmt = stmt.where(column.is_(None))
            else:
                stmt = stmt.where(column == value)
        name = filters.get('display_name', filters.get('name'))
        if name:
            stmt = stmt.where(I.display_name.regexp_match(name))
        if filters.get('changes-since'):
            stmt = stmt.where(I.updated_at >= api.naive(
                filters['changes-since']))
        if filters.get('changes-before'):
            stmt = stmt.where(I.updated_at <= api.naive(
                filters['changes-before']))
        marker_row = None
        if marker is not None:
            marker_row = session.scalars(
                api.model_query(session, I, context, read_deleted='yes')
                .where(I.uuid == marker)).first()
            if marker_row is None:
                raise pagination.marker_not_found(marker)
        stmt = pagination.paginate(stmt, I, marker_row, sort_keys,
                                   sort_dirs, limit)
        rows = api.column_dicts(session, stmt, I)
        return _with_faults(session, rows) if with_fault else rows


def instance_host_map(context):
    with api.reader() as session:
        result = {}
        for host, uuid in session.execute(
                sa.select(I.host, I.uuid).where(I.deleted == 0,
                                                I.host.is_not(None))):
            result.setdefault(host, []).append(uuid)
        return result


# Counted on every create, twice: built once (see novalite.db.api).
_T = I.__table__
_COUNT_PROJECT = sa.select(
    sa.func.count(_T.c.id), sa.func.coalesce(sa.func.sum(_T.c.vcpus), 0),
    sa.func.coalesce(sa.func.sum(_T.c.memory_mb), 0)).where(
    _T.c.deleted == 0, _T.c.project_id == sa.bindparam('b_project_id'))
_COUNT_USER = _COUNT_PROJECT.where(_T.c.user_id == sa.bindparam('b_user_id'))


def instance_get_counts(context, project_id, user_id=None):
    def _count(connection, stmt, **params):
        count, cores, ram = connection.execute(stmt, params).one()
        return {'instances': int(count), 'cores': int(cores),
                'ram': int(ram)}

    with api.reader() as session:
        connection = session.connection()
        counts = {'project': _count(connection, _COUNT_PROJECT,
                                    b_project_id=project_id)}
        if user_id is not None:
            counts['user'] = _count(connection, _COUNT_USER,
                                    b_project_id=project_id,
                                    b_user_id=user_id)
        return counts


# -- faults --------------------------------------------------------------------

def _latest_faults(session, uuids):
    if not uuids:
        return {}
    F = models.InstanceFault
    newest = (sa.select(F.instance_uuid, sa.func.max(F.id).label('fid'))
              .where(F.instance_uuid.in_(uuids), F.deleted == 0)
              .group_by(F.instance_uuid).subquery())
    rows = session.scalars(sa.select(F).join(newest, F.id == newest.c.fid))
    return {r.instance_uuid: api.to_dict(r) for r in rows}


@api.retry_lost_race
def instance_fault_create(context, values):
    values = api.naive_values(values)
    with api.writer() as session:
        row = models.InstanceFault(**values)
        session.add(row)
        session.flush()
        return api.to_dict(row)


def instance_fault_get_latest(context, uuids):
    with api.reader() as session:
        return _latest_faults(session, uuids)
