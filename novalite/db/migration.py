"""Schema migrations with alembic (``novalite-manage db sync``)."""

import os
import sys

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_log import log as logging

from novalite.db import api
from novalite import exception

LOG = logging.getLogger(__name__)


def migrations_path():
    """Directory holding ``env.py`` and ``versions/``.

    The repository's ``migrations/`` for a source checkout (editable
    install), else the copy installed under ``<prefix>/share/novalite``.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get('NOVALITE_MIGRATIONS', ''),
        os.path.join(here, '..', '..', 'migrations'),
        os.path.join(sys.prefix, 'share', 'novalite', 'migrations'),
    ]
    for path in candidates:
        if path and os.path.exists(os.path.join(path, 'env.py')):
            return os.path.abspath(path)
    raise RuntimeError('alembic migrations directory not found')


def _config(connection):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', migrations_path())
    cfg.attributes['connection'] = connection
    return cfg


def db_sync(version='head'):
    """Upgrade the database to ``version``; a no-op when already there."""
    engine = api.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_config(connection), version)


def db_version():
    """The current alembic revision, or None for an empty database."""
    engine = api.get_engine()
    with engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(
            connection).get_current_revision()


def check_database():
    """Fail at start-up when ``[database] connection`` is unusable or the
    database was never synced.

    :raises: ConfigError naming ``[database] connection``.
    """
    api.check_connection()
    current = db_version()
    head = alembic_script.ScriptDirectory(
        migrations_path()).get_current_head()
    if current is None:
        raise exception.ConfigError(
            option='[database] connection',
            reason='the database has no schema; run "novalite-manage db '
                   'sync" first')
    if current != head:
        LOG.warning('Database schema is at revision %s, this release '
                    'expects %s; run "novalite-manage db sync"', current, head)
    # The launcher may fork workers next: none of them may inherit the
    # sockets of this process's pool.
    api.dispose()
