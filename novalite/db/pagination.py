"""Marker/limit paging shared by the list queries."""

import sqlalchemy as sa

from novalite import exception


def paginate(stmt, model, marker_row, sort_keys, sort_dirs, limit):
    """Apply ORDER BY, the marker condition and LIMIT to ``stmt``.

    ``sort_keys`` must end with a unique column so the order is total.
    ``marker_row`` is the model row of the marker or None.
    """
    for key, direction in zip(sort_keys, sort_dirs):
        column = getattr(model, key)
        stmt = stmt.order_by(column.desc() if direction == 'desc'
                             else column.asc())
    if marker_row is not None:
        criteria = []
        for i, key in enumerate(sort_keys):
            terms = [getattr(model, k) == getattr(marker_row, k)
                     for k in sort_keys[:i]]
            column = getattr(model, key)
            value = getattr(marker_row, key)
            if value is None:
                if sort_dirs[i] == 'desc':
                    continue
                terms.append(column.is_not(None))
            elif sort_dirs[i] == 'desc':
                terms.append(sa.or_(column < value, column.is_(None)))
            else:
                terms.append(column > value)
            criteria.append(sa.and_(*terms))
        stmt = stmt.where(sa.or_(*criteria))
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def marker_not_found(marker):
    return exception.MarkerNotFound(marker=marker)
