"""novalite.db.api: engine checks, soft delete, password hiding."""

import pytest
import sqlalchemy as sa

from novalite import conf
from novalite import context
from novalite import db as db_guard
from novalite import exception
from novalite.db import api as db_api
from novalite.db import models
from novalite.db import services as db_services


@pytest.fixture
def database_url():
    """Point ``[database] connection`` somewhere for one test."""
    def _set(url):
        conf.CONF.set_override('connection', url, group='database')
        db_api.dispose()
    saved = db_guard.blocked_binary()
    db_guard.block_access(None)
    yield _set
    db_api.dispose()
    conf.CONF.clear_override('connection', group='database')
    db_guard.block_access(saved)


def test_hide_password():
    text = "can't parse 'mysql+pymysql://nova:s3cr3t@db.example/nova'"
    assert db_api._hide_password(text) == \
        "can't parse 'mysql+pymysql://nova:****@db.example/nova'"
    assert db_api._hide_password('mysql+pymysql://root@h/x') == \
        'mysql+pymysql://root@h/x'


def test_check_connection_accepts_a_working_database(database_url, tmp_path):
    database_url('sqlite:///%s' % (tmp_path / 'ok.sqlite'))
    db_api.check_connection()


def test_check_connection_no_url(database_url):
    conf.CONF.clear_override('connection', group='database')
    db_api.dispose()
    with pytest.raises(exception.ConfigError) as info:
        db_api.check_connection()
    assert '[database] connection' in info.value.format_message()


def test_check_connection_bad_url(database_url):
    database_url('nosuchdialect://u:hunter2@127.0.0.1/x')
    with pytest.raises(exception.ConfigError) as info:
        db_api.check_connection()
    message = info.value.format_message()
    assert '[database] connection' in message
    assert 'hunter2' not in message


def test_check_connection_unreachable_server(database_url):
    import socket
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    database_url('mysql+pymysql://u:hunter2@127.0.0.1:%d/x' % port)
    with pytest.raises(exception.ConfigError) as info:
        db_api.check_connection()
    message = info.value.format_message()
    assert 'cannot connect' in message
    assert 'hunter2' not in message


def test_soft_deleted_rows_are_hidden_unless_asked(database_url, tmp_path):
    database_url('sqlite:///%s' % (tmp_path / 'soft.sqlite'))
    models.Base.metadata.create_all(db_api.get_engine())
    ctxt = context.get_admin_context()
    live = db_services.service_create(ctxt, {'host': 'a', 'binary': 'b',
                                             'topic': 't'})
    gone = db_services.service_create(ctxt, {'host': 'c', 'binary': 'b',
                                             'topic': 't'})
    with db_api.writer() as session:
        session.execute(sa.update(models.Service)
                        .where(models.Service.id == gone['id'])
                        .values(db_api.soft_delete_values(gone['id'])))
    with db_api.reader() as session:
        def hosts(**kwargs):
            stmt = db_api.model_query(session, models.Service, **kwargs)
            return sorted(row.host for row in session.scalars(stmt))
        assert hosts() == ['a']
        assert hosts(read_deleted='yes') == ['a', 'c']
        assert hosts(read_deleted='only') == ['c']
        assert hosts(context=context.get_admin_context(
            read_deleted='yes')) == ['a', 'c']
    assert live['deleted'] == 0


def test_writer_rolls_back_on_error(database_url, tmp_path):
    database_url('sqlite:///%s' % (tmp_path / 'rb.sqlite'))
    models.Base.metadata.create_all(db_api.get_engine())
    with pytest.raises(RuntimeError):
        with db_api.writer() as session:
            session.add(models.Service(uuid='9b0f1c4e-1b7e-4a4e-8a52-1c2d3e4f5a6b',
                                       host='x', binary='b', topic='t'))
            session.flush()
            raise RuntimeError('boom')
    with db_api.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(
            models.Service)) == 0


def test_naive_converts_aware_datetimes_to_utc():
    import datetime
    aware = datetime.datetime(2024, 1, 1, 12, 0,
                              tzinfo=datetime.timezone(
                                  datetime.timedelta(hours=2)))
    assert db_api.naive(aware) == datetime.datetime(2024, 1, 1, 10, 0)
    assert db_api.naive('x') == 'x'


def test_a_deadlock_victim_is_run_again_then_gives_up(monkeypatch):
    import pymysql
    monkeypatch.setattr(db_api.time, 'sleep', lambda seconds: None)
    calls = []

    def deadlock():
        return sa.exc.OperationalError(
            'UPDATE x', {}, pymysql.err.OperationalError(
                1213, 'Deadlock found when trying to get lock'))

    @db_api.retry_on_deadlock
    def twice_unlucky():
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return 'done'
    assert twice_unlucky() == 'done' and len(calls) == 3

    @db_api.retry_on_deadlock
    def always():
        calls.append(1)
        raise deadlock()
    calls.clear()
    with pytest.raises(sa.exc.OperationalError):
        always()
    assert len(calls) == db_api.DEADLOCK_ATTEMPTS

    @db_api.retry_on_deadlock
    def other_error():
        calls.append(1)
        raise sa.exc.OperationalError(
            'SELECT', {}, pymysql.err.OperationalError(2013, 'Lost'))
    calls.clear()
    with pytest.raises(sa.exc.OperationalError):
        other_error()
    assert len(calls) == 1
