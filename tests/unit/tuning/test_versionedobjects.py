"""novalite.tuning.versionedobjects against the installed
oslo.versionedobjects: the private names it uses are still there and mean
what they meant, and each fast path answers what ovo's own code answers.
A failure here after an upgrade means the tuning module needs a look."""

import datetime

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields
import pytest

from novalite import context
from novalite import objects
from novalite.objects import base
from novalite.tuning import versionedobjects as tuning_ovo

UUID = '11111111-1111-1111-1111-111111111111'
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)

objects.register_all()


def _instance():
    flavor = objects.Flavor(id=1, flavorid='1', name='f', memory_mb=64,
                            vcpus=1, root_gb=1, ephemeral_gb=0)
    inst = objects.Instance(uuid=UUID, display_name='vm', flavor=flavor,
                            vm_state='active')
    inst.obj_reset_changes(recursive=True)
    return inst


def _ovo_changed(obj):
    return ovo_base.VersionedObject.obj_what_changed(obj)


# -- the private names ---------------------------------------------------------

def test_ovo_keeps_a_field_s_value_under_the_prefix():
    assert ovo_base._get_attrname('x') == tuning_ovo.FIELD_ATTR_PREFIX + 'x'
    svc = objects.Service(host='h1')
    assert vars(svc)[tuning_ovo.FIELD_ATTR_PREFIX + 'host'] == 'h1'
    assert tuning_ovo.FIELD_ATTR_PREFIX + 'binary' not in vars(svc)
    # A value written there is what the field reads, and counts as set.
    vars(svc)[tuning_ovo.FIELD_ATTR_PREFIX + 'binary'] = 'novalite-compute'
    assert svc.binary == 'novalite-compute'
    assert ovo_base.VersionedObject.obj_attr_is_set(svc, 'binary')


def test_ovo_keeps_changes_and_context_where_we_write_them():
    ctxt = context.get_admin_context()
    svc = objects.Service(ctxt, host='h1')
    assert svc._context is ctxt
    assert svc._changed_fields == {'host'}
    svc._changed_fields = set()
    assert ovo_base.VersionedObject.obj_what_changed(svc) == set()


def test_ovo_builds_objects_from_primitives_through_the_hook():
    primitive = objects.Service(host='h1').obj_to_primitive()
    assert primitive[objects.Service._obj_primitive_key('data')] == \
        {'host': 'h1'}
    assert objects.Service._obj_primitive_field(primitive, 'data') == \
        {'host': 'h1'}
    assert objects.Service._obj_primitive_field(primitive, 'nothing',
                                                []) == []
    # obj_from_primitive hands the wire form to the class's hook.
    calls = []
    ours = objects.Service._obj_from_primitive.__func__

    def spy(cls, ctxt, objver, prim):
        calls.append(objver)
        return ours(cls, ctxt, objver, prim)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(objects.Service, '_obj_from_primitive',
                      classmethod(spy))
        back = objects.Service.obj_from_primitive(primitive)
    assert calls == ['1.0'] and back.host == 'h1'


def test_fields_keep_their_type_in_type():
    assert isinstance(fields.StringField()._type, fields.String)
    assert isinstance(fields.UUIDField()._type, fields.UUID)
    assert isinstance(fields.IntegerField()._type, fields.Integer)
    assert isinstance(fields.BooleanField()._type, fields.Boolean)
    assert isinstance(fields.DateTimeField()._type, fields.DateTime)
    assert fields.DateTimeField()._type.tzinfo_aware
    assert isinstance(fields.ObjectField('Flavor')._type, fields.Object)


# -- the fast paths answer as ovo does -------------------------------------------

def test_same_changes_as_ovo_for_own_and_nested_fields():
    inst = _instance()
    assert inst.obj_what_changed() == _ovo_changed(inst) == set()
    inst.task_state = 'spawning'
    assert inst.obj_what_changed() == _ovo_changed(inst) == {'task_state'}
    inst.flavor.memory_mb = 128            # only the nested object changed
    assert inst.obj_what_changed() == _ovo_changed(inst) == {'task_state',
                                                             'flavor'}
    inst.obj_reset_changes(recursive=True)
    inst.flavor = None
    assert inst.obj_what_changed() == _ovo_changed(inst) == {'flavor'}


def test_attr_is_set_matches_ovo_and_rejects_unknown_names():
    inst = _instance()
    for name in inst.fields:
        assert inst.obj_attr_is_set(name) == \
            ovo_base.VersionedObject.obj_attr_is_set(inst, name), name
    assert inst.obj_attr_is_set('display_name')
    assert not inst.obj_attr_is_set('host')
    with pytest.raises(AttributeError):
        inst.obj_attr_is_set('no_such_field')
    with pytest.raises(AttributeError):
        ovo_base.VersionedObject.obj_attr_is_set(inst, 'no_such_field')


def _samples():
    ctxt = context.get_admin_context()
    flavor = objects.Flavor(ctxt, id=1, flavorid='1', name='f',
                            memory_mb=64, vcpus=1, root_gb=1,
                            ephemeral_gb=0, swap=0, rxtx_factor=1.5,
                            extra_specs={'hw:cpu': '2'}, projects=['p'])
    svc = objects.Service(ctxt, id=3, host='h1', binary='novalite-compute',
                          report_count=7, disabled=True,
                          last_seen_up=WHEN, created_at=WHEN,
                          deleted=False)
    inst = objects.Instance(
        ctxt, id=9, uuid=UUID, display_name='vm', vm_state='active',
        task_state=None, power_state=1, launched_at=WHEN, locked=False,
        access_ip_v4='10.0.0.5', metadata={'a': '1'},
        system_metadata={'b': None}, tags=['t'], flavor=flavor)
    inst.obj_reset_changes(['display_name', 'flavor'])
    return [flavor, svc, inst]


def _state(obj):
    """What an object holds: version, set fields (nested ones too) and
    changes."""
    values = {}
    for name in obj.fields:
        if ovo_base.VersionedObject.obj_attr_is_set(obj, name):
            value = getattr(obj, name)
            values[name] = _state(value) if isinstance(
                value, ovo_base.VersionedObject) else (type(value), value)
    return (type(obj), obj.VERSION, values,
            ovo_base.VersionedObject.obj_what_changed(obj))


@pytest.mark.parametrize('sample', range(3))
def test_from_primitive_builds_what_ovo_s_stock_hook_builds(sample):
    obj = _samples()[sample]
    ctxt = context.get_admin_context()
    primitive = obj.obj_to_primitive()
    cls = type(obj)
    data = cls._obj_primitive_field(primitive, 'data')
    ours = cls._obj_from_primitive(ctxt, obj.VERSION, primitive)
    stock = ovo_base.VersionedObject._obj_from_primitive.__func__(
        cls, ctxt, obj.VERSION, primitive)
    assert _state(ours) == _state(stock)
    assert ours._context is ctxt
    assert set(data) <= set(_state(ours)[2])


def test_set_trusted_stores_what_the_setters_would():
    row = {'id': 3, 'host': 'h1', 'binary': 'novalite-compute',
           'report_count': 7, 'disabled': 1, 'created_at': WHEN.replace(
               tzinfo=None), 'last_seen_up': '2026-03-04T05:06:07',
           'forced_down': None, 'version': None, 'uuid': UUID}
    ours = objects.Service()
    tuning_ovo.set_trusted(ours, row)
    stock = objects.Service()
    for name, value in row.items():
        setattr(stock, name, value)
    assert {name: getattr(ours, name) for name in row
            if ours.obj_attr_is_set(name)} == \
        {name: getattr(stock, name) for name in row
         if stock.obj_attr_is_set(name)}
    assert type(ours.disabled) is bool and ours.last_seen_up == WHEN


def test_field_reader_reads_set_fields_as_attribute_access_does():
    svc = objects.Service(host='h1', report_count=0, disabled_reason=None)
    get = tuning_ovo.field_reader(svc)
    assert get('host') == svc.host == 'h1'
    assert get('report_count') == 0
    assert get('disabled_reason', 'none') == 'none'
    assert get('binary', 'unset') == 'unset'


# -- the conductor's diff ----------------------------------------------------

def _ovo_diff(before_clone, obj):
    """The fields ovo's obj_clone comparison would send back."""
    return {name for name in obj.fields if obj.obj_attr_is_set(name) and (
        not before_clone.obj_attr_is_set(name) or
        getattr(before_clone, name) != getattr(obj, name))}


def _our_diff(before, obj):
    return {name for name in obj.fields if obj.obj_attr_is_set(name) and (
        name not in before or tuning_ovo.changed(before[name],
                                                 getattr(obj, name)))}


def test_snapshot_diff_agrees_with_obj_clone_on_plain_fields():
    inst = _samples()[2]
    inst.obj_reset_changes(recursive=True)
    clone, before = inst.obj_clone(), tuning_ovo.snapshot(inst)
    inst.metadata['b'] = '2'
    inst.tags.append('u')
    inst.task_state = 'spawning'
    inst.host = 'h2'
    inst.launched_at = WHEN + datetime.timedelta(seconds=1)
    # ovo objects compare by identity, so a clone's nested object always
    # differs; ours sends a nested object only when it changed.
    plain = set(inst.fields) - {'flavor', 'fault'}
    assert _our_diff(before, inst) & plain == _ovo_diff(clone, inst) & plain
    assert _our_diff(before, inst) == {'metadata', 'tags', 'task_state',
                                       'host', 'launched_at'}


def test_snapshot_sees_in_place_and_nested_changes():
    ctxt = context.get_admin_context()
    flavor = objects.Flavor(ctxt, name='f', memory_mb=1)
    flavor.obj_reset_changes()
    inst = objects.Instance(ctxt, metadata={'a': '1'}, flavor=flavor,
                            display_name='x')
    before = tuning_ovo.snapshot(inst)
    inst.metadata['b'] = '2'
    assert tuning_ovo.changed(before['metadata'], inst.metadata)
    assert not tuning_ovo.changed(before['display_name'], 'x')
    assert not tuning_ovo.changed(before['flavor'], inst.flavor)
    inst.flavor.memory_mb = 2
    assert tuning_ovo.changed(before['flavor'], inst.flavor)
    other = objects.Flavor(ctxt, name='g')
    other.obj_reset_changes()
    assert tuning_ovo.changed(before['flavor'], other)


def test_novalite_objects_use_the_fast_paths():
    assert issubclass(base.NovaliteObject, tuning_ovo.FastFieldsMixin)
    mro = base.NovaliteObject.__mro__
    assert mro.index(tuning_ovo.FastFieldsMixin) < \
        mro.index(ovo_base.VersionedObject)
