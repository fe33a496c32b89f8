"""Quota checks: limits (defaults + project overrides) against counted
usage, both fetched in one conductor call."""

from unittest import mock

import pytest

from novalite import context
from novalite import exception
from novalite import objects
from novalite.objects import base as obj_base
from novalite.objects import quotas
from tests.unit.compute import fakes


@pytest.fixture
def local(db):
    objects.register_all()
    saved = obj_base.NovaliteObject.indirection_api
    obj_base.NovaliteObject.indirection_api = None
    yield
    obj_base.NovaliteObject.indirection_api = saved


def _ctxt():
    return context.RequestContext(user_id='u1', project_id='p1',
                                  is_admin=True)


def test_over_an_override_raises_with_nova_figures(local):
    ctxt = _ctxt()
    objects.Quotas.set_limits(ctxt, 'p1', {'instances': 2, 'cores': 10})
    fakes.instance(ctxt, action=None)
    quotas.check_deltas(ctxt, {'instances': 1, 'cores': 1}, 'p1')
    fakes.instance(ctxt, action=None)
    with pytest.raises(exception.TooManyInstances) as err:
        quotas.check_deltas(ctxt, {'instances': 1, 'cores': 1}, 'p1')
    message = err.value.format_message()
    assert 'instances' in message and 'cores' not in message
    # another project is not limited by p1's override
    quotas.check_deltas(ctxt, {'instances': 1}, 'p2')


def test_limits_and_usage_travel_in_one_conductor_call(local):
    ctxt = _ctxt()
    calls = []
    real = objects.Quotas.get_limits_and_usage

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    with mock.patch.object(objects.Quotas, 'get_limits_and_usage',
                           side_effect=counting):
        quotas.check_deltas(ctxt, {'instances': 1, 'ram': 512}, 'p1')
    assert len(calls) == 1
    found = real(ctxt, 'p1', None, ['instances', 'ram'])
    assert found['usage'] == {'instances': 0, 'cores': 0, 'ram': 0}
    assert found['limits']['instances'] == quotas.default_limits()[
        'instances']
