"""novalite.db.api: engine checks, soft delete, password hiding, duplicate
keys and the transactions that lose a race."""

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


def _operational(code, text):
    import pymysql
    return sa.exc.OperationalError(
        'UPDATE x', {}, pymysql.err.OperationalError(code, text))


def _mysql_duplicate(key, statement='INSERT INTO flavors (flavorid) '
                                    'VALUES (%(flavorid)s)'):
    import pymysql
    return sa.exc.IntegrityError(statement, {}, pymysql.err.IntegrityError(
        1062, "Duplicate entry 'x' for key '%s'" % key))


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr(db_api.time, 'sleep', lambda seconds: None)


def test_a_deadlock_victim_is_run_again_then_gives_up(no_sleep):
    calls = []

    @db_api.retry_lost_race
    def twice_unlucky():
        calls.append(1)
        if len(calls) < 3:
            raise _operational(1213, 'Deadlock found when trying to get lock')
        return 'done'
    assert twice_unlucky() == 'done' and len(calls) == 3

    @db_api.retry_lost_race
    def always():
        calls.append(1)
        raise _operational(1213, 'Deadlock found when trying to get lock')
    calls.clear()
    with pytest.raises(sa.exc.OperationalError):
        always()
    assert len(calls) == db_api.RACE_ATTEMPTS

    @db_api.retry_lost_race
    def other_error():
        calls.append(1)
        raise _operational(2013, 'Lost connection')
    calls.clear()
    with pytest.raises(sa.exc.OperationalError):
        other_error()
    assert len(calls) == 1


@pytest.mark.parametrize('error', [
    _operational(1205, 'Lock wait timeout exceeded; try restarting '
                       'transaction'),
    sa.exc.OperationalError('INSERT', {}, Exception('database is locked')),
], ids=['mysql', 'sqlite'])
def test_a_lock_wait_timeout_is_run_again_once(no_sleep, error):
    calls = []

    @db_api.retry_lost_race
    def waits():
        calls.append(1)
        raise error
    with pytest.raises(sa.exc.OperationalError):
        waits()
    assert len(calls) == 2


def test_a_duplicate_is_run_again_once_then_is_the_409(no_sleep):
    calls = []

    @db_api.retry_lost_race
    def duplicate():
        calls.append(1)
        raise exception.DBDuplicateEntry(columns='name')
    with pytest.raises(exception.DBDuplicateEntry) as info:
        duplicate()
    assert len(calls) == 2
    assert info.value.code == 409
    assert info.value.format_message() == \
        'A resource with the same name already exists.'


def test_a_function_s_own_conflict_is_not_run_again():
    calls = []

    @db_api.retry_lost_race
    def exists():
        calls.append(1)
        raise exception.FlavorExists(name='m1')
    with pytest.raises(exception.FlavorExists):
        exists()
    assert len(calls) == 1


@pytest.mark.parametrize('key,statement,columns', [
    ('flavorid', None, ['flavorid']),            # MariaDB: the index name
    ('flavors.name', None, ['name']),            # MySQL 8: table.index
    ('uniq_flavor_projects0flavor_id0project_id',
     'INSERT INTO flavor_projects (flavor_id, project_id) VALUES (1, 2)',
     ['flavor_id', 'project_id']),
    ('uniq_key_pairs0user_id0name0deleted',
     'INSERT INTO `key_pairs` (name) VALUES (1)',
     ['user_id', 'name', 'deleted']),
    ('PRIMARY', None, ['id']),
])
def test_duplicate_columns_of_a_mysql_duplicate_key(key, statement, columns):
    exc = _mysql_duplicate(key, *([statement] if statement else []))
    assert db_api.duplicate_columns(exc) == columns


def test_other_integrity_errors_are_not_duplicates():
    import pymysql
    exc = sa.exc.IntegrityError('INSERT INTO flavor_projects', {},
                                pymysql.err.IntegrityError(
                                    1452, 'Cannot add or update a child row: '
                                          'a foreign key constraint fails'))
    assert db_api.duplicate_columns(exc) is None
    assert db_api.lost_race(exc) is None


def test_writer_turns_a_duplicate_key_into_db_duplicate_entry(
        database_url, tmp_path):
    database_url('sqlite:///%s' % (tmp_path / 'dup.sqlite'))
    models.Base.metadata.create_all(db_api.get_engine())

    def add(session, uuid):
        session.add(models.Service(uuid=uuid, host='h', binary='b',
                                   topic='t'))
    with db_api.writer() as session:
        add(session, '9b0f1c4e-1b7e-4a4e-8a52-000000000001')
    with pytest.raises(exception.DBDuplicateEntry) as info:
        with db_api.writer() as session:
            add(session, '9b0f1c4e-1b7e-4a4e-8a52-000000000002')
    assert info.value.format_message() == \
        'A resource with the same host, binary already exists.'
    # Another integrity error stays what it is.
    with pytest.raises(sa.exc.IntegrityError):
        with db_api.writer() as session:
            session.add(models.Service(uuid='x', host=None, binary='b',
                                       topic='t'))


def test_every_db_function_that_writes_is_retried_when_it_loses_a_race():
    """The one mechanism is on every writer: a function that opens
    writer() and lacks retry_lost_race would answer a deadlock with 500."""
    import importlib
    import inspect
    import pkgutil

    import novalite.db
    missing = []
    # The fixed-IP taker runs its own loop of takes (see fixed_ips).
    own_loop = {'fixed_ip_associate_pool'}
    for info in pkgutil.iter_modules(novalite.db.__path__):
        module = importlib.import_module('novalite.db.' + info.name)
        for name, func in vars(module).items():
            if name.startswith('_') or name in own_loop or \
                    not inspect.isfunction(func) or \
                    func.__module__ != module.__name__:
                continue
            if 'api.writer()' in inspect.getsource(func) and \
                    not hasattr(func, '__wrapped__'):
                missing.append('%s.%s' % (info.name, name))
    assert missing == []


def test_db_duplicate_entry_travels_over_rpc_as_itself():
    # The API answers a conductor's DBDuplicateEntry as the 409 it is.
    from oslo_messaging._drivers import common as rpc_common

    from novalite import rpc
    sent = rpc_common.serialize_remote_exception(
        (exception.DBDuplicateEntry,
         exception.DBDuplicateEntry(columns='host, binary'), None))
    got = rpc_common.deserialize_remote_exception(sent, rpc.ALLOWED_EXMODS)
    assert isinstance(got, exception.DBDuplicateEntry)
    assert got.code == 409
    assert got.format_message() == \
        'A resource with the same host, binary already exists.'
