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
