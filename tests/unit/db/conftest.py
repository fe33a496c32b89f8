"""A throw-away SQLite database per test for the DB-layer unit tests."""

import pytest
import sqlalchemy as sa

from novalite import conf
from novalite import context
from novalite.db import api as db_api
from novalite.db import models


@pytest.fixture
def db(tmp_path):
    conf.CONF.set_override('connection',
                           'sqlite:///%s' % (tmp_path / 'nl.sqlite'),
                           group='database')
    db_api.dispose()
    models.Base.metadata.create_all(db_api.get_engine())
    yield db_api
    db_api.dispose()
    conf.CONF.clear_override('connection', group='database')


@pytest.fixture
def ctxt():
    return context.RequestContext(user_id='u1', project_id='p1')


@pytest.fixture
def admin_ctxt():
    return context.get_admin_context()


def count_rows(model):
    with db_api.reader() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def commits_first(db):
    """``commits_first(table, competitor)``: run ``competitor()`` (its own
    transaction, committed) just before the test's next INSERT into
    ``table`` - as a concurrent request that passed the same checks a
    moment earlier and committed first would. The INSERT then meets the
    competitor's row. (SQLite: only before the test's transaction first
    writes; after that the competitor could not commit.)"""
    engine = db.get_engine()
    armed = []

    def before(conn, cursor, statement, parameters, context, executemany):
        for i, (prefix, competitor) in enumerate(armed):
            if statement.lower().startswith(prefix):
                del armed[i]  # the competitor's own INSERT passes
                competitor()
                return

    sa.event.listen(engine, 'before_cursor_execute', before)

    def arm(table, competitor):
        armed.append(('insert into %s ' % table, competitor))
    yield arm
    sa.event.remove(engine, 'before_cursor_execute', before)
    assert not armed, 'the test never reached its INSERT'
