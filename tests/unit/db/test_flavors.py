"""DB layer for flavors: uniqueness, extra specs, access, visibility, paging."""

import pytest

from novalite.db import flavors
from novalite import exception


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
