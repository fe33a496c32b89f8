"""DB layer for flavors: uniqueness (also against a concurrent request),
extra specs, access, visibility, paging."""

import pytest
import sqlalchemy as sa

from novalite.db import flavors
from novalite.db import models
from novalite import exception
from tests.unit.db.conftest import count_rows


def _make(ctxt, flavorid, name, **values):
    base = {'flavorid': flavorid, 'name': name, 'memory_mb': 512,
            'vcpus': 1, 'root_gb': 1}
    base.update(values)
    return flavors.flavor_create(ctxt, base)


def test_create_and_get_with_specs(db, admin_ctxt):
    made = _make(admin_ctxt, '1', 'm1.tiny', extra_specs={'hw:x': 'y'})
    got = flavors.flavor_get_by_flavor_id(admin_ctxt, '1')
    assert got['id'] == made['id']
    assert got['extra_specs'] == {'hw:x': 'y'}
    assert flavors.flavor_get_by_name(admin_ctxt, 'm1.tiny')['flavorid'] \
        == '1'


def test_duplicates_are_conflicts(db, admin_ctxt):
    _make(admin_ctxt, '1', 'm1.tiny')
    with pytest.raises(exception.FlavorExists):
        _make(admin_ctxt, '2', 'm1.tiny')
    with pytest.raises(exception.FlavorIdExists):
        _make(admin_ctxt, '1', 'm1.other')


def test_private_flavor_visible_only_with_access(db, admin_ctxt, ctxt):
    _make(admin_ctxt, '1', 'public')
    private = _make(admin_ctxt, '2', 'private', is_public=False)

    def visible(context, is_public=True):
        return [f['name'] for f in flavors.flavor_get_all(
            context, is_public=is_public)]

    assert visible(ctxt) == ['public']
    flavors.flavor_add_access(admin_ctxt, private['id'], 'p1')
    assert visible(ctxt) == ['public', 'private']
    with pytest.raises(exception.FlavorAccessExists):
        flavors.flavor_add_access(admin_ctxt, private['id'], 'p1')
    flavors.flavor_remove_access(admin_ctxt, private['id'], 'p1')
    with pytest.raises(exception.FlavorAccessNotFound):
        flavors.flavor_remove_access(admin_ctxt, private['id'], 'p1')
    assert visible(admin_ctxt, is_public=None) == ['public', 'private']


def test_update_replaces_specs_and_destroy_removes(db, admin_ctxt):
    made = _make(admin_ctxt, '1', 'm1.tiny', extra_specs={'a': '1'})
    row = flavors.flavor_update(admin_ctxt, made['id'],
                                {'extra_specs': {'b': '2'},
                                 'description': 'small'})
    assert row['extra_specs'] == {'b': '2'} and row['description'] == 'small'
    flavors.flavor_destroy(admin_ctxt, made['id'])
    with pytest.raises(exception.FlavorNotFound):
        flavors.flavor_get(admin_ctxt, made['id'])


def test_paging_and_min_filters(db, admin_ctxt):
    for i, mem in enumerate((512, 2048, 4096, 8192), start=1):
        _make(admin_ctxt, str(i), 'f%d' % i, memory_mb=mem)
    page = flavors.flavor_get_all(admin_ctxt, limit=2, marker='2')
    assert [f['flavorid'] for f in page] == ['3', '4']
    big = flavors.flavor_get_all(admin_ctxt, min_memory_mb=4096)
    assert [f['name'] for f in big] == ['f3', 'f4']
    with pytest.raises(exception.MarkerNotFound):
        flavors.flavor_get_all(admin_ctxt, marker='99')


# A concurrent identical request passes the same checks and commits first:
# the loser's INSERT meets its row (once a 500: a bare IntegrityError).

def test_create_that_lost_the_race_for_its_id_is_flavor_id_exists(
        db, admin_ctxt, commits_first):
    commits_first('flavors', lambda: _make(admin_ctxt, '1', 'theirs'))
    with pytest.raises(exception.FlavorIdExists) as info:
        _make(admin_ctxt, '1', 'mine')
    assert info.value.format_message() == 'Flavor with ID 1 already exists.'
    assert [f['name'] for f in flavors.flavor_get_all(
        admin_ctxt, is_public=None)] == ['theirs']


def test_create_that_lost_the_race_for_its_name_is_flavor_exists(
        db, admin_ctxt, commits_first):
    commits_first('flavors', lambda: _make(admin_ctxt, '1', 'm1.tiny'))
    with pytest.raises(exception.FlavorExists) as info:
        _make(admin_ctxt, '2', 'm1.tiny')
    assert info.value.format_message() == \
        'Flavor with name m1.tiny already exists.'


def test_add_access_that_lost_the_race_is_flavor_access_exists(
        db, admin_ctxt, commits_first):
    flavor = _make(admin_ctxt, 'p1', 'private', is_public=False)
    commits_first('flavor_projects', lambda: flavors.flavor_add_access(
        admin_ctxt, flavor['id'], 'projX'))
    with pytest.raises(exception.FlavorAccessExists) as info:
        flavors.flavor_add_access(admin_ctxt, flavor['id'], 'projX')
    assert info.value.format_message() == (
        'Flavor access already exists for flavor p1 and project projX '
        'combination.')
    assert flavors.flavor_get(admin_ctxt, flavor['id'])['projects'] == \
        ['projX']


def test_specs_set_that_lost_the_race_succeeds_with_one_row_per_key(
        db, admin_ctxt, commits_first):
    flavor = _make(admin_ctxt, '1', 'm1.tiny', extra_specs={'old': 'x'})
    theirs = {'old': 'x', 'hw:cpu_policy': 'shared', 'hw:numa_nodes': '1'}
    mine = {'old': 'x', 'hw:cpu_policy': 'dedicated', 'hw:numa_nodes': '1'}
    commits_first('flavor_extra_specs', lambda: flavors.flavor_update(
        admin_ctxt, flavor['id'], {'extra_specs': theirs}))
    row = flavors.flavor_update(admin_ctxt, flavor['id'],
                                {'extra_specs': mine})
    assert row['extra_specs'] == mine
    assert count_rows(models.FlavorExtraSpec) == 3


def test_specs_set_writes_only_the_keys_that_differ(db, admin_ctxt):
    flavor = _make(admin_ctxt, '1', 'm1.tiny',
                   extra_specs={'a': '1', 'b': '2', 'c': '3'})
    with db.reader() as session:
        ids = dict(session.execute(sa.select(
            models.FlavorExtraSpec.key, models.FlavorExtraSpec.id)).all())
    row = flavors.flavor_update(admin_ctxt, flavor['id'], {
        'extra_specs': {'a': '1', 'b': 'two', 'd': '4'}})
    assert row['extra_specs'] == {'a': '1', 'b': 'two', 'd': '4'}
    with db.reader() as session:
        now = dict(session.execute(sa.select(
            models.FlavorExtraSpec.key, models.FlavorExtraSpec.id)).all())
    # Unchanged and changed keys keep their rows; 'c' went, 'd' is new.
    assert now['a'] == ids['a'] and now['b'] == ids['b']
    assert 'c' not in now and 'd' not in ids


def test_specs_update_or_create_keeps_the_keys_it_was_not_given(
        db, admin_ctxt, commits_first):
    # Two requests set different keys at once: both keys stay (a save of
    # the whole dict read before the other's commit dropped its key).
    flavor = _make(admin_ctxt, '1', 'm1.tiny', extra_specs={'old': 'x'})
    commits_first('flavor_extra_specs', lambda: (
        flavors.flavor_extra_specs_update_or_create(
            admin_ctxt, flavor['id'], {'theirs': '1'})))
    row = flavors.flavor_extra_specs_update_or_create(
        admin_ctxt, flavor['id'], {'mine': '2'})
    assert row['extra_specs'] == {'old': 'x', 'theirs': '1', 'mine': '2'}
    row = flavors.flavor_extra_specs_update_or_create(
        admin_ctxt, flavor['id'], {'old': 'y'})
    assert row['extra_specs'] == {'old': 'y', 'theirs': '1', 'mine': '2'}
    with pytest.raises(exception.FlavorNotFound):
        flavors.flavor_extra_specs_update_or_create(admin_ctxt, 999, {})


def test_specs_delete_removes_one_key_or_says_not_found(db, admin_ctxt):
    flavor = _make(admin_ctxt, 'f1', 'm1.tiny',
                   extra_specs={'a': '1', 'b': '2'})
    row = flavors.flavor_extra_specs_delete(admin_ctxt, flavor['id'], 'a')
    assert row['extra_specs'] == {'b': '2'}
    with pytest.raises(exception.FlavorExtraSpecsNotFound) as info:
        flavors.flavor_extra_specs_delete(admin_ctxt, flavor['id'], 'a')
    assert info.value.format_message() == \
        'Flavor f1 has no extra specs with key a.'
