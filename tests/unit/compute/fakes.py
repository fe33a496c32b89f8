"""Shared helpers for the boot-flow unit tests: a SQLite database behind
the objects (remotable methods run locally), flavors, instances and a
compute manager on the fake driver with its RPC clients mocked."""

import threading
from unittest import mock

import pytest

from novalite.compute import manager as compute_manager
from novalite import conf
from novalite import context
from novalite import objects
from novalite.objects import base as obj_base

CONF = conf.CONF


@pytest.fixture
def flags():
    """``flags(name=value, group=None)`` overrides for one test."""
    overridden = []

    def set_flags(group=None, **kwargs):
        for name, value in kwargs.items():
            CONF.set_override(name, value, group=group)
            overridden.append((name, group))
    try:
        yield set_flags
    finally:
        for name, group in overridden:
            CONF.clear_override(name, group=group)


class ThreadSpawn:
    """``green.spawn`` for tests without monkey-patching: a real thread
    whose ``wait()`` joins it and returns (or raises) its result."""

    def __init__(self, func, *args, **kwargs):
        self._result = self._error = None
        self._thread = threading.Thread(target=self._run,
                                        args=(func, args, kwargs))
        self._thread.start()

    def _run(self, func, args, kwargs):
        try:
            self._result = func(*args, **kwargs)
        except BaseException as exc:  # handed to wait()
            self._error = exc

    def wait(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


@pytest.fixture
def local_objects(db):
    """Objects talk to the SQLite database directly (no conductor);
    green threads are real threads."""
    objects.register_all()
    saved = obj_base.NovaliteObject.indirection_api
    obj_base.NovaliteObject.indirection_api = None
    try:
        with mock.patch('novalite.green.spawn', ThreadSpawn):
            yield objects
    finally:
        obj_base.NovaliteObject.indirection_api = saved


def ctxt(request_id=None):
    kwargs = {'request_id': request_id} if request_id else {}
    return context.RequestContext(user_id='u1', project_id='p1',
                                  is_admin=True, **kwargs)


def flavor(vcpus=1, memory_mb=512, root_gb=1, ephemeral_gb=0, name='tiny'):
    flv = objects.Flavor(id=1, flavorid=name, name=name, memory_mb=memory_mb,
                         vcpus=vcpus, root_gb=root_gb,
                         ephemeral_gb=ephemeral_gb, swap=0, rxtx_factor=1.0,
                         vcpu_weight=None, disabled=False, is_public=True,
                         description=None, extra_specs={}, projects=[])
    flv.obj_reset_changes()
    return flv


def instance(context, host=None, flv=None, action='create', **values):
    """A created Instance (building/scheduling) with its action."""
    flv = flv or flavor()
    fields = dict(user_id='u1', project_id='p1', display_name='vm',
                  image_ref='img', flavor=flv, vcpus=flv.vcpus,
                  memory_mb=flv.memory_mb, root_gb=flv.root_gb,
                  ephemeral_gb=flv.ephemeral_gb, vm_state='building',
                  task_state='scheduling', power_state=0, host=host,
                  node=host, metadata={}, system_metadata={})
    fields.update(values)
    inst = objects.Instance(context, **fields)
    inst.create()
    if action:
        objects.InstanceAction.action_start(context, inst.uuid, action)
    return inst


def events(context, uuid):
    action_list = objects.InstanceActionList.get_by_instance_uuid(context,
                                                                  uuid)
    result = []
    for action in reversed(action_list.objects):
        evs = objects.InstanceActionEventList.get_by_action(context,
                                                            action.id)
        result += [(action.action, e.event, e.result)
                   for e in reversed(evs.objects)]
    return result


def faults(context, uuid):
    fault = objects.InstanceFault.get_latest_for_instance(context, uuid)
    return fault


@pytest.fixture
def compute(local_objects, flags):
    """A ComputeManager on host ``cn1`` with the fake driver, its node
    published, builds run inline and RPC clients mocked."""
    flags(compute_driver='fake.FakeDriver', host='cn1',
          reserved_host_memory_mb=0)
    flags(group='fake_driver', vcpus=4, memory_mb=2048, local_gb=10)
    flags(cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
          disk_allocation_ratio=1.0)
    with mock.patch('novalite.green.spawn_n',
                    side_effect=lambda f, *a, **k: f(*a, **k)):
        mgr = compute_manager.ComputeManager(host='cn1')
        mgr.compute_task_api = mock.Mock()
        mgr.consoleauth_api = mock.Mock()
        mgr.init_host()
        yield mgr
        # The tracker's background write must not outlive the database.
        mgr.rt.flush()


def node(rt, host='cn1'):
    """The node row once the tracker's pending writes are made."""
    rt.flush()
    return objects.ComputeNode.get_by_host_and_nodename(ctxt(), host, host)
