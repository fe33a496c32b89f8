"""Schema migrations against the real MariaDB: alembic from empty to head,
``db sync`` twice, ``db version``, and the schema matches the models."""

import os
import subprocess

import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from tests.functional import cloud as cloud_mod

REPO = cloud_mod.REPO_ROOT
MIGRATIONS = os.path.join(REPO, 'migrations')


def _head():
    return alembic_script.ScriptDirectory(MIGRATIONS).get_current_head()


def _tables(cloud):
    return {row['TABLE_NAME'] for row in cloud.sql(
        'SELECT TABLE_NAME FROM information_schema.TABLES '
        'WHERE TABLE_SCHEMA = %s', (cloud.db_name,))}


def test_alembic_upgrade_from_empty_to_head(cloud_factory):
    """The alembic command line on the repository's migrations."""
    cloud = cloud_factory()
    assert _tables(cloud) == set()
    ini = os.path.join(cloud.workdir, 'alembic.ini')
    with open(ini, 'w') as fh:
        fh.write('[alembic]\nscript_location = %s\nsqlalchemy.url = %s\n'
                 % (MIGRATIONS, cloud.manage_db_url.replace('%', '%%')))

    def alembic(*args):
        proc = subprocess.run(
            [os.path.join(cloud_mod.bin_dir(), 'alembic'), '-c', ini] +
            list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=120, cwd=cloud.workdir)
        assert proc.returncode == 0, proc.stdout
        return proc.stdout

    alembic('upgrade', 'head')
    tables = _tables(cloud)
    assert {'services', 'compute_nodes', 'alembic_version'} <= tables
    assert cloud.sql('SELECT version_num FROM alembic_version') == [
        {'version_num': _head()}]
    # Upgrading again changes nothing.
    alembic('upgrade', 'head')
    assert _tables(cloud) == tables
    assert _head() in alembic('current')


def test_db_sync_twice_is_idempotent_and_matches_the_models(cloud_factory):
    cloud = cloud_factory()
    proc = cloud.manage('db', 'version', check=True)
    assert proc.stdout.strip() == 'None'

    cloud.sync_db()
    tables = _tables(cloud)
    assert {'services', 'compute_nodes', 'alembic_version'} <= tables
    cloud.sql("INSERT INTO services (uuid, host, `binary`, topic, "
              "report_count, disabled, forced_down, version, deleted, "
              "created_at) VALUES (UUID(), 'keep', 'novalite-compute', "
              "'compute', 5, 0, 0, 0, 0, NOW())")

    second = cloud.manage('db', 'sync')
    assert second.returncode == 0, second.stderr
    assert _tables(cloud) == tables
    assert cloud.sql("SELECT report_count FROM services WHERE host='keep'") \
        == [{'report_count': 5}]
    assert cloud.manage('db', 'version', check=True).stdout.strip() == \
        _head()

    # What the migrations built is what the models describe.
    from novalite.db import models
    engine = sa.create_engine(cloud.manage_db_url)
    try:
        with engine.connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection, opts={'compare_type': False})
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], diff
