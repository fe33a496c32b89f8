"""DB layer for per-project quota limits."""

from novalite.db import models
from novalite.db import quotas
from tests.unit.db.conftest import count_rows


def test_set_creates_then_updates_one_row(db, admin_ctxt):
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {}
    quotas.quota_set(admin_ctxt, 'p1', 'instances', 5)
    quotas.quota_set(admin_ctxt, 'p1', 'cores', 8)
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {
        'instances': 5, 'cores': 8}
    quotas.quota_set(admin_ctxt, 'p1', 'instances', -1)
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {
        'instances': -1, 'cores': 8}
    assert count_rows(models.Quota) == 2


def test_limits_are_per_project(db, admin_ctxt):
    quotas.quota_set(admin_ctxt, 'p1', 'ram', 1024)
    quotas.quota_set(admin_ctxt, 'p2', 'ram', 2048)
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {
        'ram': 1024}
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p2') == {
        'ram': 2048}


def test_destroy_all_by_project_reverts_to_defaults(db, admin_ctxt):
    quotas.quota_set(admin_ctxt, 'p1', 'ram', 1024)
    quotas.quota_set(admin_ctxt, 'p1', 'key_pairs', 3)
    quotas.quota_set(admin_ctxt, 'p2', 'ram', 2048)
    quotas.quota_destroy_all_by_project(admin_ctxt, 'p1')
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {}
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p2') == {
        'ram': 2048}
    quotas.quota_destroy_all_by_project(admin_ctxt, 'nobody')
    assert count_rows(models.Quota) == 1


def test_set_limits_writes_them_in_one_call(db, admin_ctxt):
    quotas.quota_set_limits(admin_ctxt, 'p1', {'instances': 5, 'cores': 8})
    quotas.quota_set_limits(admin_ctxt, 'p1', {'cores': 9, 'ram': 1})
    quotas.quota_set_limits(admin_ctxt, 'p1', {})
    assert quotas.quota_get_all_by_project(admin_ctxt, 'p1') == {
        'instances': 5, 'cores': 9, 'ram': 1}


def test_set_of_a_new_project_that_lost_the_race_succeeds_one_row_each(
        db, admin_ctxt, commits_first):
    # A concurrent PUT of the same new project inserted the rows first
    # (once a 500: the duplicate key).
    commits_first('quotas', lambda: quotas.quota_set_limits(
        admin_ctxt, 'new', {'instances': 1, 'cores': 2}))
    quotas.quota_set_limits(admin_ctxt, 'new', {'instances': 7, 'cores': 11})
    assert quotas.quota_get_all_by_project(admin_ctxt, 'new') == {
        'instances': 7, 'cores': 11}
    assert count_rows(models.Quota) == 2
