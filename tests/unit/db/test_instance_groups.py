"""DB layer for server groups: members, deleted instances, paging."""

import pytest

from novalite.db import instance_groups as groups
from novalite.db import instances
from novalite.db import models
from novalite import exception
from tests.unit.db.conftest import count_rows


def _instance(ctxt):
    return instances.instance_create(ctxt, {
        'project_id': ctxt.project_id, 'user_id': ctxt.user_id,
        'vm_state': 'active', 'vcpus': 1, 'memory_mb': 64})['uuid']


def _group(ctxt, name='g', project_id='p1', policy='anti-affinity',
           members=None):
    return groups.instance_group_create(ctxt, {
        'name': name, 'user_id': 'u1', 'project_id': project_id,
        'policy': policy}, members=members)


def test_create_and_get_with_members(db, ctxt):
    a, b = _instance(ctxt), _instance(ctxt)
    made = _group(ctxt, members=[a, b])
    got = groups.instance_group_get(ctxt, made['uuid'])
    assert (got['name'], got['policy'], got['project_id']) == (
        'g', 'anti-affinity', 'p1')
    assert got['members'] == [a, b]
    assert groups.instance_group_get_by_instance(ctxt, b)['uuid'] == \
        made['uuid']


def test_unknown_group_or_member(db, ctxt):
    with pytest.raises(exception.InstanceGroupNotFound):
        groups.instance_group_get(ctxt, 'a1b2c3d4-0000-4000-8000-000000000000')
    with pytest.raises(exception.InstanceGroupNotFound):
        groups.instance_group_get_by_instance(ctxt, _instance(ctxt))


def test_members_add_with_a_uuid_listed_twice_adds_it_once(db, ctxt):
    """Regression: the second copy hit the unique constraint."""
    a = _instance(ctxt)
    made = _group(ctxt)
    assert groups.instance_group_members_add(ctxt, made['uuid'],
                                             [a, a])['members'] == [a]
    b = _instance(ctxt)
    assert _group(ctxt, members=[b, a, b])['members'] == [b, a]


def test_members_add_is_idempotent_and_delete_drops(db, ctxt):
    a, b = _instance(ctxt), _instance(ctxt)
    made = _group(ctxt, members=[a])
    after = groups.instance_group_members_add(ctxt, made['uuid'], [a, b, b])
    assert after['members'] == [a, b]
    assert count_rows(models.InstanceGroupMember) == 2
    groups.instance_group_member_delete(ctxt, a)
    assert groups.instance_group_get(ctxt, made['uuid'])['members'] == [b]


def test_deleted_instances_are_not_members(db, ctxt):
    a, b = _instance(ctxt), _instance(ctxt)
    made = _group(ctxt, members=[a, b])
    instances.instance_destroy(ctxt, a)
    assert groups.instance_group_get(ctxt, made['uuid'])['members'] == [b]


def test_destroy_soft_deletes_and_drops_members(db, ctxt):
    a = _instance(ctxt)
    made = _group(ctxt, members=[a])
    groups.instance_group_destroy(ctxt, made['uuid'])
    with pytest.raises(exception.InstanceGroupNotFound):
        groups.instance_group_get(ctxt, made['uuid'])
    with pytest.raises(exception.InstanceGroupNotFound):
        groups.instance_group_destroy(ctxt, made['uuid'])
    assert count_rows(models.InstanceGroupMember) == 0
    assert groups.instance_group_count_by_project(ctxt, 'p1') == 0


def test_list_by_project_with_limit_and_offset(db, ctxt):
    made = [_group(ctxt, name='g%d' % i) for i in range(4)]
    _group(ctxt, name='other', project_id='p2')
    groups.instance_group_destroy(ctxt, made[3]['uuid'])
    names = [g['name'] for g in groups.instance_group_get_all(
        ctxt, project_id='p1')]
    assert names == ['g0', 'g1', 'g2']
    assert [g['name'] for g in groups.instance_group_get_all(
        ctxt, project_id='p1', limit=1, offset=1)] == ['g1']
    assert len(groups.instance_group_get_all(ctxt)) == 4
    assert groups.instance_group_count_by_project(ctxt, 'p1') == 3
    assert groups.instance_group_count_by_project(ctxt, 'p2') == 1
