"""The DB layer's connection handling against the real MariaDB.

The pool neither pings nor rolls back on every use (two round trips per
transaction saved); these tests show what must still hold: a connection
goes back to the pool with no transaction open, one returned with a
transaction open is rolled back, an idle connection the server dropped is
replaced before use, and the one-statement flavor read works on MariaDB.
"""

import pytest
import sqlalchemy as sa

from novalite import conf
from novalite import context
from novalite import db as db_guard
from novalite.db import api as db_api
from novalite.db import flavors as db_flavors


@pytest.fixture
def mariadb(cloud_factory):
    cloud = cloud_factory()
    cloud.sync_db()
    saved = db_guard.blocked_binary()
    db_guard.block_access(None)
    conf.CONF.set_override('connection', cloud.manage_db_url,
                           group='database')
    db_api.dispose()
    yield cloud
    db_api.dispose()
    conf.CONF.clear_override('connection', group='database')
    db_guard.block_access(saved)


def _pooled_connection():
    """The single DBAPI connection a fresh pool holds after one use."""
    with db_api.reader() as session:
        return session.connection().connection.dbapi_connection


def test_connections_go_back_with_no_transaction_open(mariadb):
    raw = _pooled_connection()
    with db_api.writer() as session:
        session.execute(sa.text(
            "INSERT INTO key_pairs (name, user_id, fingerprint, public_key,"
            " type, deleted) VALUES ('k1', 'u1', 'f', 'ssh-rsa x', 'ssh', 0)"))
    assert not raw.server_status & db_api._IN_TRANSACTION
    with db_api.reader() as session:
        session.execute(sa.text('SELECT COUNT(*) FROM key_pairs')).one()
    assert not raw.server_status & db_api._IN_TRANSACTION
    assert mariadb.sql('SELECT name FROM key_pairs') == [{'name': 'k1'}]


def test_a_transaction_left_open_is_rolled_back_on_return(mariadb):
    engine = db_api.get_engine()
    connection = engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute(
        "INSERT INTO key_pairs (name, user_id, fingerprint, public_key, "
        "type, deleted) VALUES ('k2', 'u1', 'f', 'ssh-rsa x', 'ssh', 0)")
    raw = connection.dbapi_connection
    assert raw.server_status & db_api._IN_TRANSACTION
    connection.close()   # back to the pool, never committed
    assert not raw.server_status & db_api._IN_TRANSACTION
    assert mariadb.sql("SELECT name FROM key_pairs WHERE name = 'k2'") == []


def test_an_idle_connection_the_server_dropped_is_replaced(mariadb,
                                                           monkeypatch):
    raw = _pooled_connection()
    thread_id = raw.thread_id()
    mariadb.sql('KILL %d' % thread_id)
    monkeypatch.setattr(db_api, 'PING_AFTER_IDLE_SECONDS', 0.0)
    with db_api.reader() as session:
        assert session.execute(sa.text('SELECT 1')).scalar() == 1
        fresh = session.connection().connection.dbapi_connection
    assert fresh.thread_id() != thread_id


def test_flavor_specs_and_projects_read_in_one_statement(mariadb):
    ctxt = context.get_admin_context()
    db_flavors.flavor_create(ctxt, {
        'name': 'm1.spec', 'flavorid': 'spec1', 'memory_mb': 64, 'vcpus': 1,
        'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0, 'is_public': False,
        'extra_specs': {'hw:cpu_policy': 'shared', 'quota:x': '1'},
        'projects': ['p2', 'p1']})
    flavor = db_flavors.flavor_get_by_flavor_id(ctxt, 'spec1')
    assert flavor['extra_specs'] == {'hw:cpu_policy': 'shared',
                                     'quota:x': '1'}
    assert flavor['projects'] == ['p2', 'p1']
    bare = db_flavors.flavor_create(ctxt, {
        'name': 'm1.bare', 'flavorid': 'bare1', 'memory_mb': 64,
        'vcpus': 1, 'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0})
    assert (bare['extra_specs'], bare['projects']) == ({}, [])


def test_no_tls_context_unless_the_url_asks_for_tls(mariadb):
    # PyMySQL's default prepares a TLS context (the CA bundle loaded, ~20
    # ms of CPU) on every connect; without ssl_* options in the URL the
    # pool's connections are made without one.
    raw = _pooled_connection()
    assert raw.ssl is False and not hasattr(raw, 'ctx')
    with_tls = db_api.create_engine(
        mariadb.manage_db_url + '&ssl_verify_cert=false')
    try:
        # The server here has TLS off: asking for it must fail, which
        # shows the URL's TLS options still reach the driver.
        with pytest.raises(sa.exc.OperationalError) as info:
            with with_tls.connect() as connection:
                connection.execute(sa.text('SELECT 1'))
        assert 'SSL' in str(info.value)
    finally:
        with_tls.dispose()
