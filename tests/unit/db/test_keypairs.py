"""DB layer for key pairs: per-user names, soft delete, paging, counts."""

import pytest

from novalite.db import keypairs
from novalite.db import models
from novalite import exception
from tests.unit.db.conftest import count_rows


def _make(ctxt, name, user_id='u1', **values):
    base = {'name': name, 'user_id': user_id, 'fingerprint': 'fp-' + name,
            'public_key': 'ssh-ed25519 AAAA %s' % name, 'type': 'ssh'}
    base.update(values)
    return keypairs.key_pair_create(ctxt, base)


def test_create_and_get(db, ctxt):
    made = _make(ctxt, 'k1', type='x509')
    got = keypairs.key_pair_get(ctxt, 'u1', 'k1')
    assert got['id'] == made['id']
    assert (got['fingerprint'], got['type']) == ('fp-k1', 'x509')
    assert got['public_key'] == 'ssh-ed25519 AAAA k1'


def test_names_are_per_user(db, ctxt):
    _make(ctxt, 'k1')
    with pytest.raises(exception.KeyPairExists):
        _make(ctxt, 'k1')
    other = _make(ctxt, 'k1', user_id='u2')
    assert other['user_id'] == 'u2'
    with pytest.raises(exception.KeypairNotFound):
        keypairs.key_pair_get(ctxt, 'u3', 'k1')


def test_destroy_soft_deletes_and_frees_the_name(db, ctxt):
    first = _make(ctxt, 'k1')
    keypairs.key_pair_destroy(ctxt, 'u1', 'k1')
    with pytest.raises(exception.KeypairNotFound):
        keypairs.key_pair_get(ctxt, 'u1', 'k1')
    with pytest.raises(exception.KeypairNotFound):
        keypairs.key_pair_destroy(ctxt, 'u1', 'k1')
    assert count_rows(models.KeyPair) == 1  # still there, deleted
    again = _make(ctxt, 'k1')
    assert again['id'] != first['id']
    assert keypairs.key_pair_get(ctxt, 'u1', 'k1')['id'] == again['id']


def test_list_is_by_name_with_limit_and_marker(db, ctxt):
    for name in ('c', 'a', 'b', 'd'):
        _make(ctxt, name)
    _make(ctxt, 'z', user_id='u2')
    keypairs.key_pair_destroy(ctxt, 'u1', 'd')
    names = [k['name'] for k in keypairs.key_pair_get_all_by_user(ctxt,
                                                                    'u1')]
    assert names == ['a', 'b', 'c']
    page = keypairs.key_pair_get_all_by_user(ctxt, 'u1', limit=2)
    assert [k['name'] for k in page] == ['a', 'b']
    rest = keypairs.key_pair_get_all_by_user(ctxt, 'u1', marker='b')
    assert [k['name'] for k in rest] == ['c']
    with pytest.raises(exception.MarkerNotFound):
        keypairs.key_pair_get_all_by_user(ctxt, 'u1', marker='d')


def test_count_ignores_deleted_and_other_users(db, ctxt):
    assert keypairs.key_pair_count_by_user(ctxt, 'u1') == 0
    _make(ctxt, 'a')
    _make(ctxt, 'b')
    _make(ctxt, 'a', user_id='u2')
    keypairs.key_pair_destroy(ctxt, 'u1', 'b')
    assert keypairs.key_pair_count_by_user(ctxt, 'u1') == 1
    assert keypairs.key_pair_count_by_user(ctxt, 'u2') == 1


def test_create_that_lost_the_race_for_its_name_is_key_pair_exists(
        db, ctxt, commits_first):
    # A concurrent request for the same name committed between this one's
    # check and its INSERT (once a 500).
    commits_first('key_pairs', lambda: _make(ctxt, 'twin'))
    with pytest.raises(exception.KeyPairExists) as info:
        _make(ctxt, 'twin', public_key='ssh-ed25519 BBBB twin')
    assert info.value.format_message() == "Key pair 'twin' already exists."
    assert count_rows(models.KeyPair) == 1
