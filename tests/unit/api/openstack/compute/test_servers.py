"""Servers and their actions through the pipeline, object layer mocked."""

from unittest import mock

import pytest

from novalite.api.openstack import common
from novalite import exception
from novalite import objects
from tests.unit.api import fakes

IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b'
V21_KEYS = {'id', 'name', 'status', 'tenant_id', 'user_id', 'metadata',
            'hostId', 'image', 'flavor', 'created', 'updated', 'addresses',
            'accessIPv4', 'accessIPv6', 'links', 'OS-DCF:diskConfig',
            'key_name', 'config_drive', 'OS-EXT-AZ:availability_zone',
            'OS-EXT-STS:power_state', 'OS-EXT-STS:task_state',
            'OS-EXT-STS:vm_state', 'OS-SRV-USG:launched_at',
            'OS-SRV-USG:terminated_at',
            'os-extended-volumes:volumes_attached', 'security_groups',
            'progress'}
ADMIN_21 = {'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname',
            'OS-EXT-SRV-ATTR:instance_name'}
ADMIN_23 = {'OS-EXT-SRV-ATTR:reservation_id', 'OS-EXT-SRV-ATTR:launch_index',
            'OS-EXT-SRV-ATTR:kernel_id', 'OS-EXT-SRV-ATTR:ramdisk_id',
            'OS-EXT-SRV-ATTR:hostname', 'OS-EXT-SRV-ATTR:root_device_name',
            'OS-EXT-SRV-ATTR:user_data'}


@pytest.fixture(autouse=True)
def image():
    image = {'id': '70a599e0-31e7-49b7-b260-868f441e862b', 'status': 'active',
             'min_ram': 0, 'min_disk': 0, 'properties': {}}
    with mock.patch('novalite.api.openstack.compute.images.image_api') as m:
        m.return_value.get.return_value = image
        yield image


@pytest.fixture
def server():
    inst = fakes.instance()
    with mock.patch.object(objects.Instance, 'get_by_uuid',
                           return_value=inst), \
            mock.patch.object(objects.Instance, 'save') as save, \
            mock.patch.object(objects.InstanceAction, 'action_start'), \
            mock.patch.object(objects.Quotas, 'get_project_overrides',
                              return_value={}):
        inst.saved = save
        yield inst


@pytest.mark.parametrize('version,token,expected', [
    ('2.1', 'u1:p1', V21_KEYS),
    ('2.9', 'u1:p1', V21_KEYS | {'locked'}),
    ('2.1', 'admin:p1', V21_KEYS | ADMIN_21),
    ('2.3', 'admin:p1', V21_KEYS | ADMIN_21 | ADMIN_23),
])
def test_show_keys_per_version_and_role(api, server, version, token,
                                        expected):
    resp = api('GET', '/v2.1/servers/%s' % server.uuid, version=version,
               token=token)
    assert resp.status_int == 200
    body = resp.json_body_or_none['server']
    assert set(body) == expected
    assert body['status'] == 'ACTIVE'
    assert body['addresses'] == {'novalite': [{
        'addr': '10.0.0.2', 'version': 4, 'OS-EXT-IPS:type': 'fixed',
        'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01'}]}
    assert body['created'] == '2026-01-02T03:04:05Z'
    assert body['links'][0]['href'].endswith('/v2.1/servers/' + server.uuid)
    assert body['links'][1]['rel'] == 'bookmark'


def test_other_projects_server_is_404(api, server):
    resp = api('GET', '/v2.1/servers/%s' % server.uuid, token='u2:p2')
    assert resp.status_int == 404
    assert resp.json_body_or_none['itemNotFound']['message'] == \
        'Instance %s could not be found.' % server.uuid
    for method, path, body in (
            ('DELETE', '', None), ('PUT', '', {'server': {'name': 'x'}}),
            ('POST', '/action', {'pause': None}),
            ('GET', '/metadata', None), ('GET', '/ips', None)):
        resp = api(method, '/v2.1/servers/%s%s' % (server.uuid, path),
                   body=body, token='u2:p2')
        assert resp.status_int == 404, (method, path)


def test_reader_cannot_mutate(api, server):
    headers = {'X-Roles': 'reader'}
    assert api('GET', '/v2.1/servers/%s' % server.uuid,
               headers=headers).status_int == 200
    resp = api('POST', '/v2.1/servers/%s/action' % server.uuid,
               body={'os-stop': None}, headers=headers)
    assert resp.status_int == 403
    assert not server.saved.called


@pytest.mark.parametrize('action,vm_state,ok', [
    ('pause', 'active', True), ('pause', 'stopped', False),
    ('unpause', 'paused', True), ('unpause', 'active', False),
    ('suspend', 'active', True), ('resume', 'suspended', True),
    ('resume', 'active', False), ('os-stop', 'active', True),
    ('os-start', 'stopped', True), ('os-start', 'active', False),
])
def test_state_checked_actions(api, server, action, vm_state, ok):
    server.vm_state = vm_state
    server.obj_reset_changes()
    resp = api('POST', '/v2.1/servers/%s/action' % server.uuid,
               body={action: None})
    if ok:
        assert resp.status_int == 202
        server.saved.assert_called_once()
    else:
        assert resp.status_int == 409
        name = {'os-start': 'start', 'os-stop': 'stop'}.get(action, action)
        assert resp.json_body_or_none == {'conflictingRequest': {
            'code': 409, 'message': "Cannot '%s' instance %s while it is "
                                    "in vm_state %s" % (name, server.uuid,
                                                        vm_state)}}


def test_pause_casts_to_the_servers_host(api, server):
    assert api('POST', '/v2.1/servers/%s/action' % server.uuid,
               body={'pause': None}).status_int == 202
    api.compute_rpcapi.pause_instance.assert_called_once()
    assert server.task_state == 'pausing'
    server.saved.assert_called_once_with(expected_task_state=[None])


def test_reboot_types(api, server):
    url = '/v2.1/servers/%s/action' % server.uuid
    assert api('POST', url, body={'reboot': {'type': 'bogus'}}
               ).status_int == 400
    assert api('POST', url, body={'reboot': {}}).status_int == 400
    assert api('POST', url, body={'reboot': {'type': 'hard'}}
               ).status_int == 202
    api.compute_rpcapi.reboot_instance.assert_called_once_with(
        mock.ANY, server, 'HARD')


def test_locked_server_refuses_actions_for_non_admin(api, server):
    server.locked = True
    server.locked_by = 'owner'
    resp = api('POST', '/v2.1/servers/%s/action' % server.uuid,
               body={'pause': None})
    assert resp.status_int == 409
    assert resp.json_body_or_none['conflictingRequest']['message'] == \
        'Instance %s is locked' % server.uuid


def test_unknown_action_is_400(api, server):
    resp = api('POST', '/v2.1/servers/%s/action' % server.uuid,
               body={'fly': None})
    assert resp.status_int == 400
    assert resp.json_body_or_none['badRequest']['message'] == \
        'There is no such action: fly'


def test_vnc_console_action_only_before_2_6(api, server):
    url = '/v2.1/servers/%s/action' % server.uuid
    body = {'os-getVNCConsole': {'type': 'novnc'}}
    with mock.patch('novalite.consoleauth.rpcapi.ConsoleAuthAPI') as ca:
        api.compute_rpcapi.get_vnc_console.return_value = {
            'token': 't', 'host': '127.0.0.1', 'port': 5900,
            'internal_access_path': None, 'console_type': 'novnc',
            'access_url': 'http://proxy/vnc_auto.html?path=%3Ftoken%3Dt'}
        resp = api('POST', url, body=body, version='2.5')
        assert resp.status_int == 200
        assert resp.json_body_or_none == {'console': {
            'type': 'novnc',
            'url': 'http://proxy/vnc_auto.html?path=%3Ftoken%3Dt'}}
        ca.return_value.authorize_console.assert_called_once()
        assert api('POST', url, body=body, version='2.6').status_int == 404
        resp = api('POST', '/v2.1/servers/%s/remote-consoles' % server.uuid,
                   body={'remote_console': {'protocol': 'vnc',
                                            'type': 'novnc'}},
                   version='2.6')
        assert resp.status_int == 200
        assert set(resp.json_body_or_none['remote_console']) == {
            'protocol', 'type', 'url'}
    resp = api('POST', '/v2.1/servers/%s/remote-consoles' % server.uuid,
               body={'remote_console': {'protocol': 'spice',
                                        'type': 'spice-html5'}},
               version='2.6')
    assert resp.status_int == 400
    assert api('POST', '/v2.1/servers/%s/remote-consoles' % server.uuid,
               body={'remote_console': {'protocol': 'vnc',
                                        'type': 'novnc'}},
               version='2.5').status_int == 404


def test_delete_without_host_is_local(api, server):
    server.host = None
    with mock.patch.object(objects.Instance, 'destroy') as destroy, \
            mock.patch.object(objects.InstanceGroup, 'remove_member'):
        assert api('DELETE', '/v2.1/servers/%s' % server.uuid
                   ).status_int == 204
    destroy.assert_called_once()
    assert server.vm_state == 'deleted'
    api.compute_rpcapi.terminate_instance.assert_not_called()


def test_delete_with_host_casts_terminate(api, server):
    assert api('DELETE', '/v2.1/servers/%s' % server.uuid).status_int == 204
    assert server.task_state == 'deleting'
    api.compute_rpcapi.terminate_instance.assert_called_once()


@pytest.mark.parametrize('body,message', [
    ({'server': {'name': 'x'}}, "'flavorRef' is a required property"),
    ({'server': {'flavorRef': '1'}}, "'name' is a required property"),
    ({'server': {'name': 'x', 'flavorRef': '1', 'bogus': 1}},
     "Additional properties are not allowed ('bogus' was unexpected)"),
    ({'server': {'name': '', 'flavorRef': '1'}}, 'Invalid input'),
    ({'server': {'name': 'x', 'flavorRef': '1', 'min_count': -1}},
     'Invalid input'),
    ({'server': {'name': 'x', 'flavorRef': '1', 'min_count': 3,
                 'max_count': 2}}, 'min_count must be <= max_count'),
    ({'server': {'name': 'x', 'flavorRef': '1', 'imageRef': IMAGE,
                 'block_device_mapping_v2': [{
                     'uuid': IMAGE, 'source_type': 'volume',
                     'destination_type': 'volume', 'boot_index': 0}]}},
     'Block Device Mapping is Invalid'),
    ({'server': {'name': 'x', 'flavorRef': '1', 'imageRef': IMAGE,
                 'block_device_mapping_v2': [{
                     'uuid': '1d1d6e9c-7f57-4bd6-9d4b-4b2a3f7d2a11',
                     'source_type': 'image', 'destination_type': 'local',
                     'boot_index': 0}]}},
     'only the image given as imageRef'),
    ({'server': {'name': 'x', 'flavorRef': '1', 'imageRef': IMAGE,
                 'block_device_mapping_v2': [{
                     'uuid': IMAGE, 'source_type': 'image', 'bogus': 1}]}},
     "Additional properties are not allowed ('bogus' was unexpected)"),
    ({'server': {'name': 'x', 'flavorRef': '1',
                 'block_device_mapping': [{'volume_id': 'v'}]}},
     'volumes are not supported'),
])
def test_create_validation(api, body, message):
    with mock.patch.object(objects.Instance, 'create') as create:
        resp = api('POST', '/v2.1/servers', body=body)
    assert resp.status_int == 400
    assert message in resp.json_body_or_none['badRequest']['message']
    create.assert_not_called()


def test_create_over_quota_is_403_and_creates_nothing(api):
    flavor = fakes.flavor(vcpus=1, memory_mb=512)
    counts = {'project': {'instances': 10, 'cores': 10, 'ram': 5120}}
    with mock.patch.object(objects.Flavor, 'get_by_flavor_id',
                           return_value=flavor), \
            mock.patch.object(objects.Quotas, 'get_project_overrides',
                              return_value={}), \
            mock.patch.object(objects.InstanceList, 'get_counts',
                              return_value=counts), \
            mock.patch.object(objects.Instance, 'create') as create:
        resp = api('POST', '/v2.1/servers', body={'server': {
            'name': 'x', 'flavorRef': '1',
            'imageRef': '70a599e0-31e7-49b7-b260-868f441e862b'}})
    assert resp.status_int == 403
    assert resp.json_body_or_none['forbidden']['message'] == \
        'Quota exceeded for instances: Requested 1, but already used 10 ' \
        'of 10 instances'
    create.assert_not_called()


def test_create_accepts_the_image_root_disk_mapping(api):
    """What ``openstack server create --image`` sends: imageRef plus the
    same image mapped to the local root disk."""
    counts = {'project': {'instances': 0, 'cores': 0, 'ram': 0}}
    created = []

    def create(self):
        self.id, self.uuid = 1, '1d1d6e9c-7f57-4bd6-9d4b-4b2a3f7d2a11'
        created.append(self)

    with mock.patch.object(objects.Flavor, 'get_by_flavor_id',
                           return_value=fakes.flavor()), \
            mock.patch.object(objects.Quotas, 'get_project_overrides',
                              return_value={}), \
            mock.patch.object(objects.InstanceList, 'get_counts',
                              return_value=counts), \
            mock.patch.object(objects.Instance, 'create', create), \
            mock.patch.object(objects.InstanceAction, 'action_start'):
        resp = api('POST', '/v2.1/servers', body={'server': {
            'name': 'vm', 'flavorRef': '1', 'imageRef': IMAGE,
            'networks': [], 'min_count': 1, 'max_count': 1,
            'block_device_mapping_v2': [{
                'uuid': IMAGE, 'boot_index': 0, 'source_type': 'image',
                'destination_type': 'local',
                'delete_on_termination': True}]}})
    assert resp.status_int == 202, resp.body
    assert [i.image_ref for i in created] == [IMAGE]


def test_create_builds_and_leaves_the_action_to_the_conductor(api):
    flavor = fakes.flavor()
    counts = {'project': {'instances': 0, 'cores': 0, 'ram': 0}}
    created = []

    def _create(self):
        self.id = 1
        self.uuid = '1d1d6e9c-7f57-4bd6-9d4b-4b2a3f7d2a11'
        created.append(self)

    with mock.patch.object(objects.Flavor, 'get_by_flavor_id',
                           return_value=flavor), \
            mock.patch.object(objects.Quotas, 'get_project_overrides',
                              return_value={}), \
            mock.patch.object(objects.InstanceList, 'get_counts',
                              return_value=counts), \
            mock.patch.object(objects.Instance, 'create', _create), \
            mock.patch.object(objects.InstanceAction,
                              'action_start') as action:
        resp = api('POST', '/v2.1/servers', body={'server': {
            'name': 'vm', 'flavorRef': 'http://x/flavors/1',
            'imageRef': '70a599e0-31e7-49b7-b260-868f441e862b',
            'metadata': {'a': 'b'}}})
    assert resp.status_int == 202
    body = resp.json_body_or_none['server']
    assert set(body) == {'id', 'links', 'OS-DCF:diskConfig',
                         'security_groups', 'adminPass'}
    assert resp.headers['Location'].endswith('/servers/' + body['id'])
    inst = created[0]
    assert (inst.vm_state, inst.task_state) == ('building', 'scheduling')
    assert inst.metadata == {'a': 'b'}
    # The conductor records the create action when it takes the request.
    action.assert_not_called()
    call = api.compute_task_api.build_instances.call_args
    assert call.kwargs['instances'] == [inst]
    assert call.kwargs['request_spec'].flavor is flavor


def test_metadata_crud(api, server):
    base = '/v2.1/servers/%s/metadata' % server.uuid
    assert api('POST', base, body={'metadata': {'a': '1'}}
               ).json_body_or_none == {'metadata': {'a': '1'}}
    assert api('GET', base + '/a').json_body_or_none == {'meta': {'a': '1'}}
    assert api('PUT', base + '/b', body={'meta': {'c': '1'}}
               ).status_int == 400
    assert api('PUT', base, body={'metadata': {'z': '9'}}
               ).json_body_or_none == {'metadata': {'z': '9'}}
    assert api('DELETE', base + '/z').status_int == 204
    assert api('GET', base + '/z').status_int == 404
    server.vm_state = 'building'
    resp = api('POST', base, body={'metadata': {'a': '1'}})
    assert resp.status_int == 409
    assert "Cannot 'update metadata'" in resp.text


@pytest.mark.parametrize('vm,task,status', [
    ('active', None, 'ACTIVE'), ('building', 'scheduling', 'BUILD'),
    ('stopped', None, 'SHUTOFF'), ('paused', None, 'PAUSED'),
    ('suspended', None, 'SUSPENDED'), ('error', None, 'ERROR'),
    ('active', 'rebooting', 'REBOOT'),
    ('active', 'rebooting_hard', 'HARD_REBOOT'),
    ('deleted', None, 'DELETED'), ('active', 'deleting', 'ACTIVE'),
    ('weird', None, 'UNKNOWN')])
def test_status_mapping(vm, task, status):
    assert common.status_from_state(vm, task) == status


def test_list_with_paging_links_and_unknown_status(api):
    instances = [fakes.instance() for _ in range(2)]
    lst = objects.InstanceList(objects=instances)
    with mock.patch.object(objects.InstanceList, 'get_by_filters',
                           return_value=lst) as get:
        resp = api('GET', '/v2.1/servers?limit=2')
        body = resp.json_body_or_none
        assert [s['id'] for s in body['servers']] == \
            [i.uuid for i in instances]
        assert body['servers_links'][0]['rel'] == 'next'
        assert 'marker=%s' % instances[1].uuid in \
            body['servers_links'][0]['href']
        filters = get.call_args.args[1]
        assert filters['project_id'] == 'p1'
        assert api('GET', '/v2.1/servers?status=NOPE'
                   ).json_body_or_none == {'servers': []}
        assert api('GET', '/v2.1/servers?limit=-1').status_int == 400
        assert api('GET', '/v2.1/servers?limit=abc').status_int == 400
        assert api('GET', '/v2.1/servers?all_tenants=1').status_int == 403
        assert api('GET', '/v2.1/servers?all_tenants=1',
                   token='admin:admin').status_int == 200
        assert 'project_id' not in get.call_args.args[1]


def test_instance_group_missing_is_400(api):
    from novalite.objects import quotas as quota_obj
    with mock.patch.object(objects.Flavor, 'get_by_flavor_id',
                           return_value=fakes.flavor()), \
            mock.patch.object(objects.Quotas, 'get_limits_and_usage',
                              return_value={
                                  'limits': quota_obj.default_limits(),
                                  'usage': {}}), \
            mock.patch.object(objects.InstanceGroup, 'get_by_uuid',
                              side_effect=exception.InstanceGroupNotFound(
                                  group_uuid='x')):
        resp = api('POST', '/v2.1/servers', body={
            'server': {'name': 'x', 'flavorRef': '1',
                       'imageRef': '70a599e0-31e7-49b7-b260-868f441e862b'},
            'os:scheduler_hints': {
                'group': '70a599e0-31e7-49b7-b260-868f441e862c'}})
    assert resp.status_int == 400
