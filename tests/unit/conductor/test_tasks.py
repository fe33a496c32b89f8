"""The compute_task endpoint is registered on the conductor and delegates."""

from unittest import mock

from oslo_utils import timeutils

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


def test_lost_builds_are_redriven_by_the_periodic_check(flags):
    """Regression: builds whose build_instances cast a broker restart lost
    stayed in scheduling until a compute failed them; the conductor's
    periodic check schedules them again."""
    flags(group='conductor', lost_build_timeout=30)
    mgr = conductor_manager.ConductorManager(host='c1')
    endpoint = mgr.compute_task_mgr
    lost = mock.Mock(uuid='u1')
    with mock.patch.object(endpoint.builder, 'lost_builds',
                           return_value=[lost]) as find, \
            mock.patch.object(endpoint.builder, 'redrive_build') as redrive:
        mgr.check_lost_builds('ctxt')
    older_than = find.call_args.args[1]
    age = (timeutils.utcnow() - older_than).total_seconds()
    assert 29 <= age <= 31
    assert redrive.call_args.args == ('ctxt', lost)
    assert mgr._periodic_spacing['check_lost_builds'] == 6


def test_lost_build_check_off(flags):
    flags(group='conductor', lost_build_timeout=0)
    mgr = conductor_manager.ConductorManager(host='c1')
    with mock.patch.object(mgr.compute_task_mgr.builder,
                           'lost_builds') as find:
        mgr.check_lost_builds('ctxt')
    assert not find.called


def test_a_compute_hands_back_a_build():
    endpoint = tasks.ComputeTaskManager(host='c1')
    with mock.patch.object(endpoint.builder, 'redrive_build') as redrive:
        endpoint.resume_build('ctxt', 'inst', failed_host='cn1',
                              reason='why')
    redrive.assert_called_once_with('ctxt', 'inst', failed_host='cn1',
                                    reason='why')


def test_a_build_another_conductor_took_over_is_left_to_it(flags):
    flags(group='conductor', lost_build_timeout=30)
    mgr = conductor_manager.ConductorManager(host='c1')
    endpoint = mgr.compute_task_mgr
    mine, theirs = mock.Mock(uuid='u1'), mock.Mock(uuid='u2')
    mine.take_over_build.return_value = True
    theirs.take_over_build.return_value = False
    with mock.patch.object(endpoint.builder, 'lost_builds',
                           return_value=[theirs, mine]), \
            mock.patch.object(endpoint.builder, 'redrive_build') as redrive:
        mgr.check_lost_builds('ctxt')
    assert [c.args[1] for c in redrive.call_args_list] == [mine]
    cutoff = mine.take_over_build.call_args.args[0]
    assert 29 <= (timeutils.utcnow() - cutoff).total_seconds() <= 31
