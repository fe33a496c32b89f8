"""Engine, sessions and the helpers every ``novalite.db.<area>`` module uses.

Sessions come from :func:`reader` and :func:`writer` context managers; a
writer commits on success and rolls back on any exception. The engine is
created lazily from ``[database] connection`` on first use, after the
access guard has checked that this process may talk to the database.

Statements on the boot path (a dozen per server) are built once, at module
level, with bound parameters, and run on the session's connection: building
a statement's expressions costs more CPU than the database takes to run it.
"""

import contextlib
import datetime
import functools
import random
import re
import threading
import time

from eventlet import corolocal
import netaddr
import sqlalchemy as sa
from oslo_log import log as logging
from sqlalchemy import orm

from novalite import conf
from novalite import db as db_guard
from novalite.db import models
from novalite import exception

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_LOCK = threading.Lock()
# The session shared by the reads of a shared_reads() block, per green
# thread (each OS thread has its own greenlets: per thread as well).
_READING = corolocal.local()
_FACTORY = {}

# A pooled connection idle longer than this is pinged before it is handed
# out; one in steady use is not (a ping is a round trip on every checkout,
# and under green threads each round trip costs far more than on paper).
# A server that went away under a busy pool fails one statement, which
# marks the error a disconnect and replaces every pooled connection.
PING_AFTER_IDLE_SECONDS = 5.0
_IN_TRANSACTION = 0x0001  # MySQL server status flag SERVER_STATUS_IN_TRANS


def _check_access():
    binary = db_guard.blocked_binary()
    if binary:
        exc = exception.DBNotAllowed(binary=binary)
        LOG.error('%s', exc.format_message())
        raise exc


def create_engine(url=None):
    """Build an engine for ``url`` (default ``[database] connection``)."""
    url = url or CONF.database.connection
    if not url:
        raise exception.ConfigError(option='[database] connection',
                                    reason='no database URL is set')
    kwargs = {'echo': CONF.database.connection_debug, 'future': True}
    if url.startswith('sqlite'):
        kwargs['connect_args'] = {'check_same_thread': False}
    else:
        kwargs.update(pool_size=CONF.database.max_pool_size,
                      max_overflow=CONF.database.max_overflow,
                      pool_timeout=CONF.database.pool_timeout,
                      pool_recycle=CONF.database.connection_recycle_time,
                      pool_reset_on_return=None,
                      isolation_level='READ COMMITTED')
    parsed = sa.engine.make_url(url)
    if parsed.drivername == 'mysql+pymysql' and \
            not any(key.startswith('ssl') for key in parsed.query):
        # TLS to the server only when the URL asks for it (ssl_ca=...,
        # ssl_verify_cert=...). PyMySQL otherwise prepares a TLS context on
        # every connect in case the server offers it, which loads the
        # system's CA bundle: ~20 ms of CPU per new pooled connection.
        kwargs['connect_args'] = {'ssl_disabled': True}
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == 'mysql':
        _listen_mysql_pool(engine.pool)
    return engine


def _listen_mysql_pool(pool):
    """Ping idle connections on checkout; roll back only what is open.

    SQLAlchemy's defaults cost two extra round trips per transaction: a
    ping on every checkout and a ROLLBACK on every return, even right after
    the COMMIT or ROLLBACK that ended the transaction. The server says in
    every reply whether a transaction is open, so the reset is skipped when
    none is, and only a connection that sat idle is pinged.
    """
    sa.event.listen(pool, 'checkin', _mark_idle)
    sa.event.listen(pool, 'checkout', _ping_if_idle)
    sa.event.listen(pool, 'reset', _rollback_if_open)


def _mark_idle(dbapi_connection, record):
    record.info['idle_since'] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy):
    idle_since = record.info.get('idle_since')
    if idle_since is None or \
            time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping(reconnect=False)
    except Exception as exc:
        # The pool drops this connection and checks out another.
        raise sa.exc.DisconnectionError(str(exc))


def _rollback_if_open(dbapi_connection, record, reset_state):
    status = getattr(dbapi_connection, 'server_status', _IN_TRANSACTION)
    if status & _IN_TRANSACTION:
        dbapi_connection.rollback()


def get_engine():
    """The process-wide engine, created on first use."""
    _check_access()
    with _LOCK:
        if 'engine' not in _FACTORY:
            engine = create_engine()
            _FACTORY['engine'] = engine
            _FACTORY['session'] = orm.sessionmaker(
                bind=engine, expire_on_commit=False)
        return _FACTORY['engine']


def _hide_password(text):
    """``user:secret@host`` -> ``user:****@host`` in an error message."""
    return re.sub(r'(://[^:/@\s]*:)[^@\s]*@', r'\1****@', text)


def check_connection():
    """Connect once, so a bad ``[database] connection`` fails at start-up.

    :raises: ConfigError naming ``[database] connection``, with the
        driver's reason and no password.
    """
    option = '[database] connection'
    try:
        engine = get_engine()
        with engine.connect() as connection:
            connection.execute(sa.text('SELECT 1'))
    except exception.ConfigError:
        raise
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError,
            ImportError) as exc:
        dispose()
        raise exception.ConfigError(
            option=option, reason=_hide_password('invalid URL: %s' % exc))
    except sa.exc.DBAPIError as exc:
        dispose()
        reason = str(getattr(exc, 'orig', None) or exc).splitlines()[0]
        raise exception.ConfigError(
            option=option,
            reason=_hide_password('cannot connect: %s' % reason))


def dispose():
    """Drop the engine (tests, forked workers)."""
    with _LOCK:
        engine = _FACTORY.pop('engine', None)
        _FACTORY.pop('session', None)
    if engine is not None:
        engine.dispose()


# MySQL/MariaDB errors that are the input's fault, not the database's: a
# value too long (1406) or out of range (1264) for its column, a string
# the column's character set cannot hold (1366), a pattern MariaDB's
# regexp engine refuses or gives up on (1139).
_REFUSED_VALUE = {
    1139: 'the pattern is not one the database can match',
    1264: 'a number is out of range',
    1366: 'a string has characters that cannot be stored',
    1406: 'a value is too long',
}


def _refused_value(exc):
    """The DBValueRefused that ``exc`` (a DBAPIError) means, or None."""
    orig = getattr(exc, 'orig', None)
    code = orig.args[0] if orig is not None and orig.args else None
    reason = _REFUSED_VALUE.get(code)
    if reason is None:
        return None
    LOG.info('Refused input (MySQL error %s): %s', code, orig.args[-1])
    return exception.DBValueRefused(reason=reason)


@contextlib.contextmanager
def _values_checked():
    try:
        yield
    except sa.exc.DBAPIError as exc:
        refused = _refused_value(exc)
        if refused is None:
            raise
        raise refused from exc


@contextlib.contextmanager
def writer():
    """A session in a transaction that commits when the block succeeds.

    :raises: DBDuplicateEntry when a statement or the commit broke a unique
        constraint (the transaction is rolled back).
    """
    get_engine()
    session = _FACTORY['session']()
    try:
        with _values_checked(), session.begin():
            yield session
    except sa.exc.IntegrityError as exc:
        columns = duplicate_columns(exc)
        if columns is None:
            raise
        raise exception.DBDuplicateEntry(
            columns=', '.join(c for c in columns if c != 'deleted')) from exc
    finally:
        session.close()


@contextlib.contextmanager
def reader():
    """A session for reads; never commits (inside :func:`shared_reads`,
    the block's one session)."""
    shared = getattr(_READING, 'sessions', None)
    if shared:
        with _values_checked():
            yield shared[0]
        return
    get_engine()
    session = _FACTORY['session']()
    if shared is not None:
        shared.append(session)  # the block closes it
        with _values_checked():
            yield session
        return
    try:
        with _values_checked():
            yield session
    finally:
        session.close()


@contextlib.contextmanager
def shared_reads():
    """Readers opened in this block by this green thread share one session:
    a method making several reads (limits and usage, say) checks out one
    connection and ends with one ROLLBACK. Nothing is opened until the
    first read."""
    if getattr(_READING, 'sessions', None) is not None:
        yield
        return
    _READING.sessions = []
    try:
        yield
    finally:
        sessions, _READING.sessions = _READING.sessions, None
        for session in sessions:
            session.close()


# -- transactions that lose a race ---------------------------------------------
#
# Concurrent transactions on the same rows can lose in three ways: InnoDB
# rolls one back to break a deadlock (1213), one waits for a lock longer
# than innodb_lock_wait_timeout (1205; SQLite: "database is locked"), or
# two insert the same unique key and the later one is refused (1062;
# SQLite: "UNIQUE constraint failed"). writer() rolls the loser back whole,
# so running the function again is safe; on that run its own reads see the
# winner's committed row (READ COMMITTED), so a create answers the
# conflict it names (FlavorExists, KeyPairExists...) and a "set" updates
# the row the winner inserted.

_DEADLOCK = 1213          # ER_LOCK_DEADLOCK
_LOCK_WAIT_TIMEOUT = 1205  # ER_LOCK_WAIT_TIMEOUT
_DUPLICATE_KEY = 1062     # ER_DUP_ENTRY
DEADLOCK = 'deadlock'
LOCK_WAIT = 'lock wait timeout'
DUPLICATE = 'duplicate key'
RACE_ATTEMPTS = 5
# Runs again per kind of loss, within RACE_ATTEMPTS in all. A duplicate is
# settled by one more run (the row it met is committed); a lock wait has
# already cost innodb_lock_wait_timeout, so once.
RACE_RETRIES = {DEADLOCK: RACE_ATTEMPTS - 1, LOCK_WAIT: 1, DUPLICATE: 1}

_MYSQL_DUPLICATE_KEY = re.compile(r"for key '(?:[^'.]*\.)?([^']+)'")
_SQLITE_UNIQUE = 'UNIQUE constraint failed: '


def _error_code(exc):
    return (getattr(getattr(exc, 'orig', None), 'args', None) or (None,))[0]


def is_deadlock(exc):
    """Whether ``exc`` (an OperationalError) says the server rolled the
    transaction back to break a deadlock."""
    return _error_code(exc) == _DEADLOCK


def _table_of(exc):
    match = re.match(r'\s*(?:INSERT\s+(?:\w+\s+)*?INTO|UPDATE)\s+`?(\w+)',
                     getattr(exc, 'statement', None) or '', re.IGNORECASE)
    return match.group(1) if match else None


def _unique_columns(table_name, key):
    """The columns of the unique constraint or index MySQL names ``key``
    (a column with ``unique=True`` gets an index named after it)."""
    tables = models.Base.metadata.tables
    candidates = [tables[table_name]] if table_name in tables else \
        list(tables.values())
    for table in candidates:
        for item in list(table.constraints) + list(table.indexes):
            if isinstance(item, (sa.UniqueConstraint, sa.Index)) and \
                    item.name == key:
                return [column.name for column in item.columns]
    return ['id'] if key == 'PRIMARY' else [key]


def duplicate_columns(exc):
    """The columns of the unique key ``exc`` (an IntegrityError) says a
    row broke, or None when it is another integrity error (a foreign key,
    a NOT NULL)."""
    orig = getattr(exc, 'orig', None)
    if _error_code(exc) == _DUPLICATE_KEY:
        match = _MYSQL_DUPLICATE_KEY.search(str(orig))
        key = match.group(1) if match else 'PRIMARY'
        return _unique_columns(_table_of(exc), key)
    text = str(orig)
    if text.startswith(_SQLITE_UNIQUE):
        return [name.strip().rpartition('.')[2]
                for name in text[len(_SQLITE_UNIQUE):].split(',')]
    return None


def lost_race(exc):
    """How ``exc`` says a transaction lost to a concurrent one:
    :data:`DEADLOCK`, :data:`LOCK_WAIT`, :data:`DUPLICATE`, or None."""
    if isinstance(exc, exception.DBDuplicateEntry):
        return DUPLICATE
    if isinstance(exc, sa.exc.OperationalError):
        code = _error_code(exc)
        if code == _DEADLOCK:
            return DEADLOCK
        if code == _LOCK_WAIT_TIMEOUT or \
                'database is locked' in str(getattr(exc, 'orig', '')):
            return LOCK_WAIT
    return None


def retry_lost_race(func):
    """Run ``func`` again when the transaction it runs lost a race to a
    concurrent one (see above), up to :data:`RACE_ATTEMPTS` times.

    Every DB function that writes carries it. ``func`` must be whole
    transactions (its writer() blocks) and nothing else that a second run
    would repeat.

    :raises: what the last run raised: DBDuplicateEntry (409) when the
        function has no answer of its own for the row it met.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        retried = dict.fromkeys(RACE_RETRIES, 0)
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except (exception.DBDuplicateEntry,
                    sa.exc.OperationalError) as exc:
                race = lost_race(exc)
                if race is None or attempt == RACE_ATTEMPTS or \
                        retried[race] >= RACE_RETRIES[race]:
                    raise
                retried[race] += 1
                LOG.debug('%s lost a race (%s, attempt %d); again',
                          func.__name__, race, attempt)
                if race != DUPLICATE:
                    # Apart, so the same transactions do not meet again.
                    time.sleep(random.uniform(0.005, 0.02) * attempt)
    return wrapper


def utcnow():
    """Naive UTC now, the form every DateTime column stores."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def naive(value):
    """A value as a column stores it.

    Aware datetimes become naive UTC; netaddr addresses (what IP fields of
    objects hold when a method runs in-process rather than over RPC)
    become strings.
    """
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    if isinstance(value, netaddr.IPAddress):
        return str(value)
    return value


def naive_values(values):
    return {k: naive(v) for k, v in values.items()}


def to_dict(row):
    """Plain dict of a model row, keyed by column name."""
    if row is None:
        return None
    return {col.name: getattr(row, attr.key)
            for attr in sa.inspect(type(row)).column_attrs
            for col in attr.columns}


_INSERTS = {}


def insert_row(session, model, values):
    """INSERT one row of ``model`` with a plain statement on its table (no
    ORM unit of work); returns the row as :func:`to_dict` would, without
    reading it back. Columns with a Python-side default get it, as the ORM
    gives it; columns neither given nor defaulted are left out of the
    statement.

    :param values: keyed by column name.
    """
    table = model.__table__
    params = dict(values)
    for column in table.columns:
        default = column.default
        if column.name in params or default is None:
            continue
        if default.is_scalar:
            params[column.name] = default.arg
        elif default.is_callable:
            params[column.name] = default.arg(None)
    insert = _INSERTS.get(table)
    if insert is None:
        insert = _INSERTS[table] = table.insert()
    result = session.connection().execute(insert, params)
    row = {column.name: params.get(column.name) for column in table.columns}
    for column, key in zip(table.primary_key.columns,
                           result.inserted_primary_key):
        row[column.name] = key
    return row


def column_dicts(session, stmt, model):
    """The rows of ``stmt`` (a ``select(model)``, filtered, ordered) as
    plain dicts keyed by column name, like :func:`to_dict` gives, read as
    columns: no ORM object is built and inspected per row, which is two
    thirds of the cost of a long list."""
    columns = list(model.__table__.columns)
    names = [column.name for column in columns]
    # Run on the session's connection: plain rows, no ORM loading step.
    result = session.connection().execute(stmt.with_only_columns(*columns))
    return [dict(zip(names, row)) for row in result]


def model_query(session, model, context=None, read_deleted=None,
                project_only=False):
    """``select(model)`` honouring soft delete and, optionally, the project.

    :param read_deleted: ``'no'`` (default), ``'yes'`` or ``'only'``; falls
        back to ``context.read_deleted``.
    :param project_only: restrict to ``context.project_id`` unless admin.
    """
    stmt = sa.select(model)
    if read_deleted is None:
        read_deleted = getattr(context, 'read_deleted', 'no') or 'no'
    if hasattr(model, 'deleted'):
        if read_deleted == 'no':
            stmt = stmt.where(model.deleted == 0)
        elif read_deleted == 'only':
            stmt = stmt.where(model.deleted != 0)
    if project_only and context is not None and not context.is_admin:
        stmt = stmt.where(model.project_id == context.project_id)
    return stmt


def soft_delete_values(row_id):
    return {'deleted': row_id, 'deleted_at': utcnow()}
