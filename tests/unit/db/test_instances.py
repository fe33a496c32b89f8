"""DB layer for instances: guarded updates, filters, paging, counts, faults."""

import datetime

import pytest

from novalite.db import instances
from novalite import exception


def _make(ctxt, **values):
    base = {'project_id': ctxt.project_id, 'user_id': ctxt.user_id,
            'vm_state': 'building', 'task_state': 'scheduling',
            'vcpus': 1, 'memory_mb': 512, 'display_name': 'vm'}
    base.update(values)
    return instances.instance_create(ctxt, base)


def test_update_lands_from_the_expected_task_state(db, ctxt):
    inst = _make(ctxt)
    row = instances.instance_update(ctxt, inst['uuid'],
                                    {'task_state': 'networking'},
                                    expected_task_state='scheduling')
    assert row['task_state'] == 'networking'


def test_update_from_another_task_state_raises_and_writes_nothing(db, ctxt):
    inst = _make(ctxt, task_state='networking')
    with pytest.raises(exception.UnexpectedTaskStateError) as err:
        instances.instance_update(ctxt, inst['uuid'],
                                  {'task_state': 'spawning',
                                   'display_name': 'changed'},
                                  expected_task_state=['scheduling'])
    assert 'Actual: networking' in str(err.value)
    row = instances.instance_get_by_uuid(ctxt, inst['uuid'])
    assert row['task_state'] == 'networking'
    assert row['display_name'] == 'vm'


def test_update_raises_deleting_variant_when_being_deleted(db, ctxt):
    inst = _make(ctxt, task_state='deleting')
    with pytest.raises(exception.UnexpectedDeletingTaskStateError):
        instances.instance_update(ctxt, inst['uuid'], {'task_state': None},
                                  expected_task_state='spawning')


def test_none_inside_expected_means_no_task(db, ctxt):
    inst = _make(ctxt, task_state=None)
    row = instances.instance_update(ctxt, inst['uuid'],
                                    {'task_state': 'pausing'},
                                    expected_task_state=[None])
    assert row['task_state'] == 'pausing'
    with pytest.raises(exception.UnexpectedTaskStateError):
        instances.instance_update(ctxt, inst['uuid'], {'task_state': None},
                                  expected_task_state=[None])


def test_expected_vm_state_guard(db, ctxt):
    inst = _make(ctxt, vm_state='stopped', task_state=None)
    with pytest.raises(exception.UnexpectedVMStateError):
        instances.instance_update(ctxt, inst['uuid'], {'vm_state': 'paused'},
                                  expected_vm_state='active')


def test_guards_of_every_shape_reuse_no_other_shape(db, ctxt):
    """The guarded UPDATE is built once per shape of expectations; each
    shape still guards what it says (values only, NULL only, both, with a
    vm_state guard) and sets only the columns it is given."""
    inst = _make(ctxt, task_state=None, vm_state='active')
    uuid = inst['uuid']
    with pytest.raises(exception.UnexpectedTaskStateError):
        instances.instance_update(ctxt, uuid, {'task_state': 'pausing'},
                                  expected_task_state=['powering-off'])
    instances.instance_update(ctxt, uuid, {'task_state': 'pausing'},
                              expected_task_state=['powering-off', None],
                              expected_vm_state=['active'])
    with pytest.raises(exception.UnexpectedTaskStateError):
        instances.instance_update(ctxt, uuid, {'task_state': None},
                                  expected_task_state=[None],
                                  expected_vm_state=['active'])
    with pytest.raises(exception.UnexpectedVMStateError):
        instances.instance_update(ctxt, uuid, {'vm_state': 'paused'},
                                  expected_task_state=['pausing', None],
                                  expected_vm_state=['stopped', None])
    row = instances.instance_update(ctxt, uuid, {'vm_state': 'paused',
                                                 'task_state': None},
                                    expected_task_state='pausing')
    assert (row['vm_state'], row['task_state']) == ('paused', None)
    assert row['display_name'] == 'vm'


def test_metadata_round_trips_through_the_json_column(db, ctxt):
    inst = _make(ctxt, metadata={'a': '1'})
    assert instances.instance_get_by_uuid(ctxt, inst['uuid'])['metadata'] \
        == {'a': '1'}
    row = instances.instance_update(ctxt, inst['uuid'],
                                    {'metadata': {'b': '2'}})
    assert row['metadata'] == {'b': '2'}


def test_get_unknown_or_malformed_uuid_is_not_found(db, ctxt):
    with pytest.raises(exception.InstanceNotFound):
        instances.instance_get_by_uuid(ctxt, 'not-a-uuid')
    with pytest.raises(exception.InstanceNotFound):
        instances.instance_get_by_uuid(
            ctxt, '3f0c1a52-7f43-4a6e-9d5e-3b6f1f7a2a10')


def test_destroy_soft_deletes(db, ctxt):
    inst = _make(ctxt)
    row = instances.instance_destroy(ctxt, inst['uuid'])
    assert row['deleted'] == row['id'] and row['deleted_at']
    with pytest.raises(exception.InstanceNotFound):
        instances.instance_get_by_uuid(ctxt, inst['uuid'])
    deleted = instances.instance_get_all_by_filters(ctxt, {'deleted': True})
    assert [r['uuid'] for r in deleted] == [inst['uuid']]


def test_filters(db, ctxt):
    a = _make(ctxt, display_name='web-1', host='h1', vm_state='active')
    _make(ctxt, display_name='db-1', host='h2', vm_state='active')
    c = _make(ctxt, display_name='web-2', host='h1', vm_state='error')
    _make(ctxt, display_name='web-3', project_id='other')

    def names(filters):
        return sorted(r['display_name'] for r in
                      instances.instance_get_all_by_filters(ctxt, filters))

    assert names({'project_id': 'p1', 'name': '^web'}) == ['web-1', 'web-2']
    assert names({'host': 'h1', 'vm_state': ['error']}) == ['web-2']
    assert names({'uuid': [a['uuid'], c['uuid']]}) == ['web-1', 'web-2']
    future = datetime.datetime.utcnow() + datetime.timedelta(hours=1)
    assert names({'changes-since': future}) == []


def test_paging_with_marker_walks_every_row_once(db, ctxt):
    made = [_make(ctxt, display_name='vm-%02d' % i) for i in range(7)]
    seen, marker = [], None
    while True:
        page = instances.instance_get_all_by_filters(
            ctxt, {}, sort_keys=['display_name'], sort_dirs=['asc'],
            limit=3, marker=marker)
        if not page:
            break
        seen.extend(r['display_name'] for r in page)
        marker = page[-1]['uuid']
    assert seen == sorted(m['display_name'] for m in made)


def test_unknown_marker_and_bad_sort_key(db, ctxt):
    with pytest.raises(exception.MarkerNotFound):
        instances.instance_get_all_by_filters(
            ctxt, {}, marker='3f0c1a52-7f43-4a6e-9d5e-3b6f1f7a2a10')
    with pytest.raises(exception.InvalidSortKey):
        instances.instance_get_all_by_filters(ctxt, {},
                                              sort_keys=['nonsense'])


def test_counts_and_host_map(db, ctxt):
    _make(ctxt, vcpus=2, memory_mb=1024, host='h1')
    _make(ctxt, vcpus=1, memory_mb=512, user_id='u2', host='h1')
    gone = _make(ctxt, vcpus=8, memory_mb=8192)
    instances.instance_destroy(ctxt, gone['uuid'])
    counts = instances.instance_get_counts(ctxt, 'p1', 'u1')
    assert counts['project'] == {'instances': 2, 'cores': 3, 'ram': 1536}
    assert counts['user'] == {'instances': 1, 'cores': 2, 'ram': 1024}
    assert len(instances.instance_host_map(ctxt)['h1']) == 2


def test_latest_fault_is_attached(db, ctxt):
    inst = _make(ctxt)
    for message in ('first', 'second'):
        instances.instance_fault_create(ctxt, {
            'instance_uuid': inst['uuid'], 'code': 500, 'message': message})
    row = instances.instance_get_by_uuid(ctxt, inst['uuid'], with_fault=True)
    assert row['fault']['message'] == 'second'
    listed = instances.instance_get_all_by_filters(ctxt, {}, with_fault=True)
    assert listed[0]['fault']['message'] == 'second'


def test_update_without_refresh_returns_only_the_stamp(db, ctxt):
    inst = _make(ctxt)
    stamped = instances.instance_update(ctxt, inst['uuid'],
                                        {'task_state': 'networking'},
                                        expected_task_state='scheduling',
                                        refresh=False)
    assert set(stamped) == {'updated_at'}
    row = instances.instance_get_by_uuid(ctxt, inst['uuid'])
    assert row['task_state'] == 'networking'
    assert row['updated_at'] == stamped['updated_at'].replace(microsecond=0) \
        or row['updated_at'] == stamped['updated_at']
    with pytest.raises(exception.UnexpectedTaskStateError):
        instances.instance_update(ctxt, inst['uuid'], {'task_state': None},
                                  expected_task_state='scheduling',
                                  refresh=False)


def test_create_returns_the_row_as_it_reads_back(db, ctxt):
    """instance_create writes with a plain INSERT and does not read the
    row back: what it returns (defaults, id, untouched columns) must be
    what a read gives."""
    made = _make(ctxt, metadata={'k': 'v'}, host=None)
    read = instances.instance_get_by_uuid(ctxt, made['uuid'])
    assert made['id'] and made['created_at'] is not None
    assert made['deleted'] == 0 and made['updated_at'] is None
    assert made == read


def test_create_with_a_uuid_taken_makes_no_second_instance(db, ctxt):
    """The api picks the uuid; a create delivered twice (again after a
    conductor died before acknowledging it) is refused, not doubled."""
    made = _make(ctxt, uuid='4a1e0a4e-3a51-4d3c-9d5e-6f1a2b3c4d5e')
    with pytest.raises(exception.InstanceExists) as info:
        _make(ctxt, uuid=made['uuid'], display_name='again')
    assert made['uuid'] in info.value.format_message()
    assert [r['display_name'] for r in instances.instance_get_all_by_filters(
        ctxt, {'uuid': made['uuid']})] == ['vm']


def test_a_create_delivered_again_is_answered_with_the_first_row(db, ctxt):
    """Regression: a create whose reply was lost is sent again by the api;
    the second delivery returns the row the first made, and writes
    nothing."""
    made = _make(ctxt, uuid='5b2f0a4e-3a51-4d3c-9d5e-6f1a2b3c4d5e',
                 reservation_id='r-1', launch_index=0)
    again = _make(ctxt, uuid=made['uuid'], reservation_id='r-1',
                  launch_index=0)
    assert again['id'] == made['id']
    assert len(instances.instance_get_all_by_filters(
        ctxt, {'uuid': made['uuid']})) == 1
    instances.instance_destroy(ctxt, made['uuid'])
    with pytest.raises(exception.InstanceExists):
        _make(ctxt, uuid=made['uuid'], reservation_id='r-1', launch_index=0)


def test_one_taker_of_a_lost_build(db, ctxt):
    """Regression: every conductor worker's lost-build check found the
    same builds and scheduled each once per worker."""
    now = datetime.datetime.utcnow()
    inst = _make(ctxt, created_at=now - datetime.timedelta(seconds=60))
    cutoff = now - datetime.timedelta(seconds=30)
    assert instances.instance_take_over_build(ctxt, inst['uuid'], cutoff)
    # Touched now: not older than the cutoff any more.
    assert not instances.instance_take_over_build(ctxt, inst['uuid'],
                                                  cutoff)
    recent = _make(ctxt)
    assert not instances.instance_take_over_build(ctxt, recent['uuid'],
                                                  cutoff)


def test_a_build_with_a_host_is_not_taken_over(db, ctxt):
    later = datetime.datetime.utcnow() + datetime.timedelta(seconds=5)
    for values in ({'host': 'cn1'}, {'task_state': 'networking'},
                   {'vm_state': 'error', 'task_state': None}):
        inst = _make(ctxt, **values)
        assert not instances.instance_take_over_build(ctxt, inst['uuid'],
                                                      later)


def test_a_value_too_long_for_its_column_is_a_400(db, ctxt):
    """On MySQL a 3000-character user id was error 1406 and a 500; the
    database's refusal of a value is the input's fault."""
    import sqlalchemy as sa
    from novalite.db import api

    class Orig(Exception):
        pass
    with pytest.raises(exception.DBValueRefused) as err:
        with api.writer():
            raise sa.exc.DataError('INSERT', {}, Orig(
                1406, "Data too long for column 'user_id' at row 1"))
    assert err.value.code == 400
    assert 'too long' in err.value.format_message()
    with pytest.raises(exception.DBValueRefused):
        with api.reader():
            raise sa.exc.OperationalError('SELECT', {}, Orig(
                1139, "Got error 'repetition-operator' from regexp"))
    with pytest.raises(sa.exc.OperationalError):
        with api.reader():
            raise sa.exc.OperationalError('SELECT', {}, Orig(
                2013, 'Lost connection'))
