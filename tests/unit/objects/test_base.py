"""novalite.objects.base: the DB guard, the entry point's use_conductor
and from_db."""

import datetime
import importlib
from unittest import mock

import pytest

from novalite import db as db_guard
from novalite import exception
from novalite import objects
from novalite.objects import base

objects.register_all()


@pytest.fixture
def restore_guard():
    saved_binary = db_guard.blocked_binary()
    saved_api = base.NovaliteObject.indirection_api
    yield
    db_guard.block_access(saved_binary)
    base.NovaliteObject.indirection_api = saved_api


def test_db_is_reachable_where_not_blocked(restore_guard):
    db_guard.block_access(None)
    module = base.db('services')
    assert module.__name__ == 'novalite.db.services'


@pytest.fixture
def cmd_common():
    """novalite.cmd.common, imported without patching the process for green
    threads (importing the novalite.cmd package does that first thing)."""
    with mock.patch('novalite.green.monkey_patch'):
        return importlib.import_module('novalite.cmd.common')


def test_use_conductor_routes_through_the_conductor_and_blocks_db(
        restore_guard, cmd_common):
    with mock.patch('novalite.conductor.rpcapi.ConductorAPI') as api:
        cmd_common.use_conductor('novalite-compute')
    assert base.NovaliteObject.indirection_api is api.return_value
    assert db_guard.blocked_binary() == 'novalite-compute'
    with pytest.raises(exception.DBNotAllowed) as info:
        base.db('services')
    assert 'novalite-compute attempted direct database access' in \
        info.value.format_message()


def test_use_conductor_with_a_deadline_bounds_the_calls(restore_guard,
                                                        cmd_common):
    from novalite.conductor import rpcapi as conductor_rpcapi
    with mock.patch('novalite.conductor.rpcapi.ConductorAPI') as api:
        cmd_common.use_conductor('novalite-api', request_deadline=12,
                                 retry_after=3)
    wrapper = base.NovaliteObject.indirection_api
    assert isinstance(wrapper, conductor_rpcapi.DeadlineIndirection)
    assert (wrapper.request_deadline, wrapper.retry_after) == (12, 3)
    assert wrapper.ping is api.return_value.ping
    assert db_guard.blocked_binary() == 'novalite-api'


def test_blocked_engine_raises_before_connecting(restore_guard):
    from novalite.db import api as db_api
    db_api.dispose()
    db_guard.block_access('novalite-scheduler')
    with mock.patch.object(db_api, 'create_engine') as create:
        with pytest.raises(exception.DBNotAllowed):
            db_api.get_engine()
        with pytest.raises(exception.DBNotAllowed):
            with db_api.writer():
                pass
    create.assert_not_called()


def test_remotable_call_goes_to_the_indirection_api(restore_guard):
    api = mock.Mock()
    api.object_class_action_versions.return_value = objects.Service(
        host='h1', binary='novalite-compute')
    base.NovaliteObject.indirection_api = api
    db_guard.block_access('novalite-compute')
    ctxt = mock.Mock()
    svc = objects.Service.get_by_host_and_binary(ctxt, 'h1',
                                                 'novalite-compute')
    assert svc.host == 'h1'
    call = api.object_class_action_versions.call_args
    assert call.args[1:3] == ('Service', 'get_by_host_and_binary')
    assert call.args[4] == ('h1', 'novalite-compute')


def test_from_db_fills_fields_and_resets_changes():
    now = datetime.datetime(2024, 1, 2, 3, 4, 5)
    row = {'id': 7, 'uuid': '2e1a7f3c-4a0b-4d53-9d55-8f1f1a0c0b3e',
           'host': 'h1', 'binary': 'novalite-compute', 'topic': 'compute',
           'report_count': 4, 'disabled': False, 'deleted': 0,
           'created_at': now, 'not_a_field': 'ignored'}
    svc = base.from_db(objects.Service(), 'ctx', row)
    assert (svc.id, svc.host, svc.report_count) == (7, 'h1', 4)
    assert svc.deleted is False
    assert svc.created_at.replace(tzinfo=None) == now
    assert svc.obj_what_changed() == set()
    assert svc._context == 'ctx'
    assert not svc.obj_attr_is_set('last_seen_up')


def test_objects_use_the_novalite_namespace():
    wire = objects.Service(host='h').obj_to_primitive()
    assert wire['novalite_object.namespace'] == 'novalite'
    assert wire['novalite_object.name'] == 'Service'
    assert objects.Service is base.NovaliteObject.obj_class_from_name(
        'Service', objects.Service.VERSION)


def _ovo_from_primitive(primitive):
    """What oslo.versionedobjects' own deserialisation gives."""
    from oslo_versionedobjects import base as ovo_base
    cls = objects.Instance
    data = primitive['novalite_object.version']
    return ovo_base.VersionedObject._obj_from_primitive.__func__(
        cls, 'ctx', data, primitive)


def test_wire_form_rebuilds_as_oslo_versionedobjects_would():
    """Objects crossing RPC are rebuilt with plain values stored directly;
    the result must equal ovo's field-by-field coercion: values, their
    types, nested objects, None, changed fields."""
    when = datetime.datetime(2024, 1, 2, 3, 4, 5,
                             tzinfo=datetime.timezone.utc)
    inst = objects.Instance(
        id=3, uuid='2e1a7f3c-4a0b-4d53-9d55-8f1f1a0c0b3e', host=None,
        display_name='vm', vcpus=2, locked=True, launched_at=when,
        created_at=when, access_ip_v4='192.0.2.7', metadata={'a': '1'},
        system_metadata={'image_os': None}, tags=['x'],
        vm_state='active', task_state=None,
        flavor=objects.Flavor(id=1, flavorid='f1', name='tiny', vcpus=1,
                              memory_mb=64, extra_specs={'k': 'v'}))
    inst.obj_reset_changes(['id', 'uuid', 'created_at'])
    wire = inst.obj_to_primitive()
    ours = objects.Instance.obj_from_primitive(wire, 'ctx')
    theirs = _ovo_from_primitive(wire)
    assert ours._changed_fields == theirs._changed_fields != set()
    for name in objects.Instance.fields:
        assert ours.obj_attr_is_set(name) == theirs.obj_attr_is_set(name)
        if not ours.obj_attr_is_set(name):
            continue
        mine, other = getattr(ours, name), getattr(theirs, name)
        if name == 'flavor':
            assert mine.obj_to_primitive() == other.obj_to_primitive()
            continue
        assert mine == other, name
        assert type(mine) is type(other), name
    assert ours.launched_at == when and ours.launched_at.tzinfo is not None
    assert ours._context == 'ctx'


def test_wire_form_with_a_bad_value_fails_as_coercion_does():
    wire = objects.Service(host='h', report_count=1).obj_to_primitive()
    wire['novalite_object.data']['report_count'] = 'many'
    with pytest.raises(ValueError):
        objects.Service.obj_from_primitive(wire)
