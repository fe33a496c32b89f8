"""DB layer for compute nodes: the update every claim makes."""

import pytest

from novalite.db import compute_nodes
from novalite import exception


def _node(ctxt):
    return compute_nodes.compute_node_create(ctxt, {
        'host': 'cn1', 'hypervisor_hostname': 'cn1', 'vcpus': 4,
        'memory_mb': 2048, 'local_gb': 20, 'vcpus_used': 0,
        'memory_mb_used': 0, 'local_gb_used': 0})


def test_update_writes_and_returns_the_row_or_only_the_stamp(db,
                                                             admin_ctxt):
    node = _node(admin_ctxt)
    row = compute_nodes.compute_node_update(admin_ctxt, node['id'],
                                            {'vcpus_used': 1})
    assert row['vcpus_used'] == 1 and row['updated_at'] is not None
    stamped = compute_nodes.compute_node_update(
        admin_ctxt, node['id'], {'memory_mb_used': 512}, refresh=False)
    assert set(stamped) == {'updated_at'}
    again = compute_nodes.compute_node_get(admin_ctxt, node['id'])
    assert (again['vcpus_used'], again['memory_mb_used']) == (1, 512)
    assert again['updated_at'] == stamped['updated_at']


def test_update_of_a_missing_or_deleted_node_raises(db, admin_ctxt):
    node = _node(admin_ctxt)
    compute_nodes.compute_node_delete(admin_ctxt, node['id'])
    for node_id in (node['id'], 9999):
        with pytest.raises(exception.ComputeNodeNotFound):
            compute_nodes.compute_node_update(admin_ctxt, node_id,
                                              {'vcpus_used': 2},
                                              refresh=False)


def test_a_duplicate_with_no_named_conflict_is_db_duplicate_entry(
        db, admin_ctxt):
    # No check of its own to answer with: the writer's 409, not a 500.
    _node(admin_ctxt)
    with pytest.raises(exception.DBDuplicateEntry) as info:
        _node(admin_ctxt)
    assert info.value.code == 409
    assert info.value.format_message() == (
        'A resource with the same host, hypervisor_hostname already exists.')
