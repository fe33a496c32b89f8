"""The conductor client's DeadlineIndirection: novalite-api's object calls
through the conductor end by the request's deadline; listed reads are sent
again, writes once; what got no answer is ConductorUnavailable (503), never
MessagingTimeout."""

import datetime
import time
from unittest import mock

import oslo_messaging as messaging
import pytest
from oslo_utils import timeutils

from novalite.conductor import rpcapi as conductor_rpcapi
from novalite import context
from novalite import db as db_guard
from novalite import exception
from novalite import objects
from novalite.objects import base

objects.register_all()


class FlakyConductor:
    """Raises ``failures`` (one per call) before answering ``answer``."""

    def __init__(self, failures, answer=None):
        self.failures = list(failures)
        self.answer = answer
        self.calls = []

    def _next(self, name):
        self.calls.append(name)
        if self.failures:
            raise self.failures.pop(0)
        return self.answer

    def object_class_action_versions(self, ctxt, objname, objmethod,
                                     object_versions, args, kwargs):
        return self._next(objmethod)

    def object_action(self, ctxt, objinst, objmethod, args, kwargs):
        return self._next(objmethod)


@pytest.fixture
def indirection(monkeypatch):
    saved_api = base.NovaliteObject.indirection_api
    saved_binary = db_guard.blocked_binary()
    db_guard.block_access('novalite-api')
    monkeypatch.setattr(conductor_rpcapi.DeadlineIndirection, 'RETRY_PAUSE', 0.01)

    def install(conductor, deadline=5.0):
        api = conductor_rpcapi.DeadlineIndirection(conductor, deadline, retry_after=7)
        base.NovaliteObject.indirection_api = api
        return api
    yield install
    base.NovaliteObject.indirection_api = saved_api
    db_guard.block_access(saved_binary)


def _ctxt(age=0.0):
    return context.RequestContext(
        user_id='u', project_id='p',
        timestamp=timeutils.utcnow() - datetime.timedelta(seconds=age))


def test_every_listed_read_is_a_remotable_method_of_its_object():
    classes = base.NovaliteObjectRegistry.obj_classes()
    for objname, methods in base.IDEMPOTENT_READS.items():
        assert objname in classes, objname
        cls = classes[objname][0]
        for name in methods:
            assert getattr(getattr(cls, name, None), 'remotable', False), \
                '%s.%s is not remotable' % (objname, name)
            assert not name.startswith(('create', 'save', 'destroy', 'set_',
                                        'add_', 'remove_', 'mark_')), name


def test_a_read_that_got_no_answer_is_sent_again(indirection):
    flavor = objects.Flavor(flavorid='1', name='m1.tiny')
    conductor = FlakyConductor(
        [messaging.MessagingTimeout('lost in a broker restart'),
         messaging.MessageDeliveryFailure('broker refused the connection')],
        answer=flavor)
    indirection(conductor)
    got = objects.Flavor.get_by_flavor_id(_ctxt(), '1')
    assert got.name == 'm1.tiny'
    assert conductor.calls == ['get_by_flavor_id'] * 3


def test_a_write_that_got_no_answer_is_not_sent_again(indirection):
    conductor = FlakyConductor([messaging.MessagingTimeout('no reply')])
    indirection(conductor)
    inst = objects.Instance(_ctxt(), uuid='8f0ec3d9-a7e1-4c53-b2b4-'
                                          '9d7cb0d4f4a1', task_state=None)
    inst.obj_reset_changes()
    inst.task_state = 'deleting'
    with pytest.raises(exception.ConductorUnavailable) as info:
        inst.save()
    assert conductor.calls == ['save']
    assert info.value.code == 503
    assert info.value.retry_after == 7
    assert 'novalite-conductor did not answer' in info.value.format_message()


def test_every_listed_resendable_write_is_a_remotable_method():
    classes = base.NovaliteObjectRegistry.obj_classes()
    for objname, methods in base.RESENDABLE_WRITES.items():
        for name in methods:
            method = getattr(classes[objname][0], name, None)
            assert getattr(method, 'remotable', False), (objname, name)


def test_an_instance_create_that_got_no_answer_is_sent_again(indirection):
    """Regression: a POST /servers whose Instance.create lost its reply in
    a broker restart answered 503; the create is sent again (the
    conductor answers a second delivery with the row of the first)."""
    conductor = FlakyConductor([messaging.MessagingTimeout('no reply')],
                               answer=({'id': 7}, None))
    indirection(conductor)
    inst = objects.Instance(_ctxt(), uuid='8f0ec3d9-a7e1-4c53-b2b4-'
                                          '9d7cb0d4f4a1', task_state=None)
    inst.create()
    assert conductor.calls == ['create', 'create']
    assert inst.id == 7


def test_a_read_gives_up_at_the_request_deadline(indirection):
    conductor = FlakyConductor([messaging.MessagingTimeout('no reply')] * 1000)
    indirection(conductor, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(exception.ConductorUnavailable):
        objects.FlavorList.get_all(_ctxt())
    assert time.monotonic() - started < 1.5
    assert len(conductor.calls) > 1


def test_the_deadline_counts_from_the_request_s_arrival(indirection):
    api = indirection(FlakyConductor([]), deadline=30.0)
    now = time.monotonic()
    assert api.deadline(_ctxt(age=10)) - now == pytest.approx(20, abs=1)
    assert api.deadline(_ctxt(age=100)) - now == pytest.approx(0, abs=1)
    # A request seen in the future (clock steps) still gets the deadline.
    assert api.deadline(_ctxt(age=-100)) - now == pytest.approx(30, abs=1)


def test_an_answered_error_is_not_turned_into_503(indirection):
    conductor = FlakyConductor([exception.FlavorNotFound(flavor_id='9')])
    indirection(conductor)
    with pytest.raises(exception.FlavorNotFound):
        objects.Flavor.get_by_flavor_id(_ctxt(), '9')
    assert conductor.calls == ['get_by_flavor_id']


def test_object_indirection_with_a_deadline_wraps_the_conductor_client():
    with mock.patch('novalite.conductor.rpcapi.ConductorAPI') as api:
        wrapper = conductor_rpcapi.object_indirection(request_deadline=12,
                                                      retry_after=3)
        plain = conductor_rpcapi.object_indirection()
    assert isinstance(wrapper, conductor_rpcapi.DeadlineIndirection)
    assert wrapper.request_deadline == 12
    assert wrapper.retry_after == 3
    assert wrapper.ping is api.return_value.ping
    assert plain is api.return_value
