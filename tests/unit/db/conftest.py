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
