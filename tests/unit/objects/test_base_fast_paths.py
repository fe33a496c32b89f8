"""NovaliteObject's obj_attr_is_set / obj_what_changed give the answers of
oslo.versionedobjects' own implementations (they only avoid its
quadratic cost)."""

from oslo_versionedobjects import base as ovo_base
import pytest

from novalite import objects


def _instance():
    objects.register_all()
    flavor = objects.Flavor(id=1, flavorid='1', name='f', memory_mb=64,
                            vcpus=1, root_gb=1, ephemeral_gb=0)
    inst = objects.Instance(uuid='11111111-1111-1111-1111-111111111111',
                            display_name='vm', flavor=flavor, vm_state='active')
    inst.obj_reset_changes(recursive=True)
    return inst


def _ovo_changed(obj):
    return ovo_base.VersionedObject.obj_what_changed(obj)


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
