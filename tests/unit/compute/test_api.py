"""compute.api.API.create: what the api writes before the build is cast."""

from unittest import mock

from oslo_utils import uuidutils
import pytest

from novalite.compute import api as compute_api
from novalite import exception
from tests.unit.compute import fakes


@pytest.fixture
def api(local_objects):
    compute = compute_api.API()
    compute.compute_task_api = mock.Mock()
    return compute


def test_the_api_chooses_each_instance_uuid(api, local_objects):
    """The uuids are the api's (as in Nova), so a create of other values
    with a uuid taken is refused instead of making another instance."""
    ctxt = fakes.ctxt()
    create = local_objects.Instance.create
    sent = []

    def spy(instance):
        sent.append(instance.uuid if instance.obj_attr_is_set('uuid')
                    else None)
        return create(instance)
    with mock.patch.object(local_objects.Instance, 'create', spy):
        made, _reservation = api.create(ctxt, fakes.flavor(), 'img',
                                        name='vm', min_count=2, max_count=2)
    assert len(made) == 2
    assert sent == [i.uuid for i in made] and None not in sent
    for instance in made:
        assert uuidutils.is_uuid_like(instance.uuid)
        again = local_objects.Instance(ctxt, uuid=instance.uuid,
                                       project_id='p1', user_id='u1',
                                       vm_state='building')
        with pytest.raises(exception.InstanceExists):
            again.create()
    listed = local_objects.InstanceList.get_by_filters(ctxt, {})
    assert sorted(i.uuid for i in listed) == sorted(i.uuid for i in made)
    cast = api.compute_task_api.build_instances.call_args
    assert [i.uuid for i in cast.kwargs['instances']] == \
        [i.uuid for i in made]


def test_a_create_the_conductor_gets_twice_makes_one_instance(
        api, local_objects):
    """What the api writes for a server, delivered a second time (its
    reply lost to a broker restart, so the api sent it again), is answered
    with the first row: one instance, the same id."""
    ctxt = fakes.ctxt()
    create = local_objects.Instance.create
    first_ids = []

    def twice(instance):
        copy = instance.obj_clone()
        create(copy)
        first_ids.append(copy.id)
        return create(instance)
    with mock.patch.object(local_objects.Instance, 'create', twice):
        made, _reservation = api.create(
            ctxt, fakes.flavor(), 'img', name='vm', min_count=2,
            max_count=2, metadata={'k': 'v'})
    assert [i.id for i in made] == first_ids
    listed = local_objects.InstanceList.get_by_filters(ctxt, {})
    assert sorted(i.uuid for i in listed) == sorted(i.uuid for i in made)
