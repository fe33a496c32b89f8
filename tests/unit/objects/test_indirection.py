"""Remotable object calls through the conductor's object proxy.

The indirection API here serialises arguments and results exactly as the
RPC layer does and hands them to a real ConductorManager, which runs the
method against a SQLite database — so what crosses the wire, and how the
caller applies the conductor's updates, is what gets tested.
"""

import oslo_messaging as messaging
import pytest

from novalite import context
from novalite import exception
from novalite import objects
from novalite import rpc
from novalite.conductor import manager as conductor_manager
from novalite.objects import base

objects.register_all()


class LocalIndirection:
    """The conductor RPC client's three methods, without the broker."""

    def __init__(self):
        self.serializer = rpc.RequestContextSerializer(
            base.NovaliteObjectSerializer())
        self.manager = conductor_manager.ConductorManager(host='test')
        self.calls = []

    def _wire(self, ctxt, value):
        primitive = self.serializer.serialize_entity(ctxt, value)
        return self.serializer.deserialize_entity(ctxt, primitive)

    def _ctxt(self, ctxt):
        return self.serializer.deserialize_context(
            self.serializer.serialize_context(ctxt))

    def _run(self, ctxt, func, **kwargs):
        remote_ctxt = self._ctxt(ctxt)
        wire_kwargs = {k: self._wire(ctxt, v) for k, v in kwargs.items()}
        # The conductor runs the real method: no indirection on its side.
        saved, base.NovaliteObject.indirection_api = \
            base.NovaliteObject.indirection_api, None
        try:
            result = func(remote_ctxt, **wire_kwargs)
        except messaging.ExpectedException as wrapped:
            # The RPC dispatcher unwraps these before replying.
            raise wrapped.exc_info[1]
        finally:
            base.NovaliteObject.indirection_api = saved
        return self._wire(ctxt, result)

    def object_class_action_versions(self, ctxt, objname, objmethod,
                                     object_versions, args, kwargs):
        self.calls.append(objmethod)
        return self._run(ctxt, self.manager.object_class_action_versions,
                         objname=objname, objmethod=objmethod,
                         object_versions=object_versions, args=args,
                         kwargs=kwargs)

    def object_action(self, ctxt, objinst, objmethod, args, kwargs):
        self.calls.append(objmethod)
        return self._run(ctxt, self.manager.object_action, objinst=objinst,
                         objmethod=objmethod, args=args, kwargs=kwargs)


@pytest.fixture
def remote(db):
    indirection = LocalIndirection()
    base.NovaliteObject.indirection_api = indirection
    yield indirection
    base.NovaliteObject.indirection_api = None


def _flavor(ctxt):
    flavor = objects.Flavor(ctxt, flavorid='1', name='m1.tiny',
                            memory_mb=512, vcpus=1, root_gb=1,
                            ephemeral_gb=0, swap=0)
    flavor.create()
    return flavor


def test_create_and_save_travel_through_the_conductor(remote):
    ctxt = context.RequestContext(user_id='u1', project_id='p1')
    flavor = _flavor(ctxt)
    inst = objects.Instance(ctxt, project_id='p1', user_id='u1',
                            flavor=flavor, vm_state='building',
                            task_state='scheduling', metadata={'k': 'v'})
    inst.create()
    assert inst.id and inst.uuid
    assert inst.obj_what_changed() == set()
    inst.task_state = 'networking'
    inst.save(expected_task_state='scheduling')
    fetched = objects.Instance.get_by_uuid(ctxt, inst.uuid)
    assert fetched.task_state == 'networking'
    assert fetched.flavor.name == 'm1.tiny'
    assert fetched.metadata == {'k': 'v'}
    assert remote.calls == ['create', 'create', 'save', 'get_by_uuid']


def test_guard_failure_reaches_the_caller(remote):
    ctxt = context.RequestContext(user_id='u1', project_id='p1')
    inst = objects.Instance(ctxt, project_id='p1', vm_state='active',
                            task_state='powering-off')
    inst.create()
    inst.task_state = None
    with pytest.raises(exception.UnexpectedTaskStateError):
        inst.save(expected_task_state='pausing')


def test_fault_is_loaded_lazily(remote):
    ctxt = context.get_admin_context()
    inst = objects.Instance(ctxt, vm_state='error')
    inst.create()
    assert inst.fault is None
    objects.InstanceFault(ctxt, instance_uuid=inst.uuid, code=500,
                          message='No valid host was found. ').create()
    again = objects.Instance.get_by_uuid(ctxt, inst.uuid,
                                         expected_attrs=['fault'])
    assert again.fault.message.startswith('No valid host')


def test_service_heartbeat_counts(remote):
    ctxt = context.get_admin_context()
    svc = objects.Service(ctxt, host='h1', binary='novalite-compute',
                          topic='compute')
    svc.create()
    svc.heartbeat()
    svc.heartbeat()
    assert svc.report_count == 2
    assert svc.is_up(60)
    svc.forced_down = True
    assert not svc.is_up(60)


def test_save_through_the_conductor_sends_back_only_what_changed(remote):
    ctxt = context.RequestContext(user_id='u1', project_id='p1')
    inst = objects.Instance(ctxt, project_id='p1', user_id='u1',
                            flavor=_flavor(ctxt), vm_state='building',
                            task_state='scheduling', metadata={'k': 'v'})
    inst.create()
    manager = remote.manager
    inst.task_state = 'networking'
    saved, base.NovaliteObject.indirection_api = \
        base.NovaliteObject.indirection_api, None
    try:
        updates, _result = manager.object_action(
            ctxt, inst, 'save', (), {'expected_task_state': 'scheduling'})
    finally:
        base.NovaliteObject.indirection_api = saved
    # The untouched flavor and metadata do not travel back; the stamp does.
    assert set(updates) == {'updated_at', 'obj_what_changed'}
    assert updates['obj_what_changed'] == set()
    assert inst.updated_at is not None
    assert objects.Instance.get_by_uuid(ctxt, inst.uuid).task_state == \
        'networking'


def test_instance_list_travels_as_rows_and_arrives_whole(remote):
    ctxt = context.get_admin_context()
    flavor = _flavor(ctxt)
    made = []
    for index in range(3):
        inst = objects.Instance(ctxt, project_id='p1', user_id='u1',
                                flavor=flavor, vm_state='active',
                                display_name='vm%d' % index, locked=True,
                                access_ip_v4='192.0.2.%d' % (index + 1),
                                metadata={'i': str(index)},
                                system_metadata={'image_x': None})
        inst.create()
        made.append(inst)
    objects.InstanceFault(ctxt, instance_uuid=made[0].uuid, code=500,
                          message='boom').create()
    primitive = base.NovaliteObjectSerializer().serialize_entity(
        ctxt, _local(objects.InstanceList.get_by_filters, ctxt, {},
                     sort_key='id', sort_dir='asc',
                     expected_attrs=['fault']))
    wire = primitive['novalite_object.data']['rows']
    # The one flavor's JSON travels once; each row holds its index.
    at = wire['columns'].index('flavor')
    assert len(wire['flavors']) == 1
    assert [values[at] for values in wire['values']] == [0, 0, 0]
    listed = objects.InstanceList.get_by_filters(
        ctxt, {}, sort_key='id', sort_dir='asc', expected_attrs=['fault'])
    assert [i.uuid for i in listed] == [i.uuid for i in made]
    first = listed[0]
    local = _local(objects.Instance.get_by_uuid, ctxt, made[0].uuid,
                   expected_attrs=['fault'])
    for name in first.fields:
        if name in ('flavor', 'fault'):
            continue
        assert getattr(first, name) == getattr(local, name), name
        assert type(getattr(first, name)) is type(getattr(local, name)), name
    assert first.created_at.tzinfo is not None
    assert first.locked is True and first.deleted is False
    assert str(first.access_ip_v4) == '192.0.2.1'
    assert first.fault.message == 'boom' and listed[1].fault is None
    assert first.flavor.name == 'm1.tiny'
    assert listed[1].flavor is first.flavor   # decoded once per list
    assert first.obj_what_changed() == set()


def _local(method, *args, **kwargs):
    """Run a remotable classmethod in-process, as the conductor does."""
    saved, base.NovaliteObject.indirection_api = \
        base.NovaliteObject.indirection_api, None
    try:
        return method(*args, **kwargs)
    finally:
        base.NovaliteObject.indirection_api = saved
