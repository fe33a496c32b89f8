"""The compute_task endpoint is registered on the conductor and delegates."""

from unittest import mock

from novalite.conductor import manager as conductor_manager
from novalite.conductor import tasks


def test_conductor_serves_the_compute_task_namespace():
    mgr = conductor_manager.ConductorManager(host='c1')
    [endpoint] = [e for e in mgr.additional_endpoints
                  if isinstance(e, tasks.ComputeTaskManager)]
    assert endpoint.target.namespace == 'compute_task'
    assert endpoint.target.version == '1.0'
    with mock.patch.object(endpoint.builder, 'build_instances') as build:
        endpoint.build_instances('ctxt', ['i'], {'id': 'x'}, 'spec',
                                 host_lists=[[]],
                                 filter_properties={'retry': {}})
    build.assert_called_once_with(
        'ctxt', ['i'], {'id': 'x'}, 'spec', requested_networks=None,
        admin_password=None, injected_files=None, host_lists=[[]],
        filter_properties={'retry': {}})


def test_orphan_sweep_redrives_what_it_finds():
    endpoint = tasks.ComputeTaskManager(host='c1')
    orphan = mock.Mock(uuid='u1')
    with mock.patch('novalite.green.spawn_n',
                    side_effect=lambda f, *a: f(*a)), \
            mock.patch('novalite.green.sleep') as sleep, \
            mock.patch.object(endpoint.builder, 'orphaned_builds',
                              return_value=[orphan]) as find, \
            mock.patch.object(endpoint.builder, 'redrive_build') as redrive:
        endpoint.post_start_hook()
    sleep.assert_called_once_with(tasks.ORPHAN_SWEEP_DELAY)
    assert find.call_args.args[1] == endpoint.started_at
    assert redrive.call_args.args[1] is orphan


def test_a_new_request_is_accepted_before_it_is_built():
    endpoint = tasks.ComputeTaskManager(host='c1')
    with mock.patch.object(endpoint.builder, 'accept_request',
                           return_value=True) as accept, \
            mock.patch.object(endpoint.builder, 'build_instances') as build:
        endpoint.build_instances('ctxt', ['i'], {'id': 'x'}, 'spec')
    accept.assert_called_once_with('ctxt', ['i'])
    assert build.called
    with mock.patch.object(endpoint.builder, 'accept_request',
                           return_value=False), \
            mock.patch.object(endpoint.builder, 'build_instances') as build:
        endpoint.build_instances('ctxt', ['i'], {'id': 'x'}, 'spec')
    assert not build.called


def test_a_reschedule_is_not_accepted_again():
    endpoint = tasks.ComputeTaskManager(host='c1')
    with mock.patch.object(endpoint.builder, 'accept_request') as accept, \
            mock.patch.object(endpoint.builder, 'build_instances') as build:
        endpoint.build_instances('ctxt', ['i'], {'id': 'x'}, 'spec',
                                 filter_properties={'retry': {
                                     'num_attempts': 1, 'hosts': []}})
    assert not accept.called
    assert build.called
