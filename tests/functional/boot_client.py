"""Test-side stand-ins for the REST API, for the boot-flow functional tests.

:class:`RpcClient` does over RPC what ``POST /servers`` and the server
actions do in novalite-api: create instances through the conductor
(vm_state building, task_state scheduling), record the ``create`` action,
cast ``build_instances``; start power actions by moving the task state
with a guarded save and casting to the instance's compute. Reads go
straight to the cloud's database (``Cloud.sql``) so polling costs no RPC.

Only one RpcClient may be open per test process (oslo.config and the RPC
transport are process-wide); :meth:`close` undoes everything it set up.
"""

import json
import time
import uuid

from tests.functional import cloud as cloud_mod

ACTIVE_OR_ERROR = ('active', 'error')


class RpcClient:
    """Creates servers and starts actions as novalite-api would."""

    def __init__(self, cloud):
        from novalite import config
        from novalite import conf
        from novalite import objects
        from novalite import rpc
        from novalite.objects import base as obj_base

        self.cloud = cloud
        self.conf = conf.CONF
        self.conf.reset()
        rpc.cleanup()
        config.parse_args(['--config-file', cloud.conf_path],
                          init_rpc=True)
        objects.register_all()
        from novalite.compute import rpcapi as compute_rpcapi
        from novalite.conductor import rpcapi as conductor_rpcapi
        # As novalite.cmd.common.use_conductor, without importing
        # novalite.cmd (which patches the test process for green threads).
        obj_base.use_indirection('functional-test-client',
                                 conductor_rpcapi.object_indirection())
        self.objects = objects
        self.compute_rpcapi = compute_rpcapi.ComputeAPI()
        self.task_api = conductor_rpcapi.ComputeTaskAPI()
        self._flavors = {}

    def close(self):
        from novalite import db as db_guard
        from novalite import rpc
        from novalite.objects import base as obj_base
        rpc.cleanup()
        obj_base.NovaliteObject.indirection_api = None
        db_guard.block_access(None)
        self.conf.reset()

    # -- contexts and flavors ----------------------------------------------

    def context(self, project_id='demo', user_id='demo', is_admin=False):
        from novalite import context
        return context.RequestContext(user_id=user_id, project_id=project_id,
                                      is_admin=is_admin, roles=['member'])

    def flavor(self, name, vcpus, memory_mb, root_gb, ephemeral_gb=0):
        """A Flavor object backed by a flavors row (created once)."""
        if name in self._flavors:
            return self._flavors[name]
        rows = self.cloud.sql('SELECT id FROM flavors WHERE name=%s',
                              (name,))
        if not rows:
            self.cloud.sql(
                'INSERT INTO flavors (flavorid, name, memory_mb, vcpus, '
                'root_gb, ephemeral_gb, swap, rxtx_factor, disabled, '
                'is_public, created_at) VALUES (%s, %s, %s, %s, %s, %s, 0, '
                '1.0, 0, 1, NOW())',
                (name, name, memory_mb, vcpus, root_gb, ephemeral_gb))
            rows = self.cloud.sql('SELECT id FROM flavors WHERE name=%s',
                                  (name,))
        flavor = self.objects.Flavor(
            id=rows[0]['id'], flavorid=name, name=name, memory_mb=memory_mb,
            vcpus=vcpus, root_gb=root_gb, ephemeral_gb=ephemeral_gb, swap=0,
            rxtx_factor=1.0, vcpu_weight=None, disabled=False,
            is_public=True, description=None, extra_specs={}, projects=[])
        flavor.obj_reset_changes()
        self._flavors[name] = flavor
        return flavor

    # -- servers -----------------------------------------------------------

    def boot(self, flavor, count=1, name='server', availability_zone=None,
             group_uuid=None, ctxt=None, image_ref=None, cast=True):
        """Create ``count`` instances and cast one build for all of them.

        :param cast: False returns ``(uuids, cast_build)`` without casting;
            calling ``cast_build()`` casts the build later.
        :returns: the instance uuids.
        """
        objects = self.objects
        ctxt = ctxt or self.context()
        image_ref = image_ref or str(uuid.UUID(int=1))
        instances = []
        for index in range(count):
            inst = objects.Instance(
                ctxt, user_id=ctxt.user_id, project_id=ctxt.project_id,
                display_name='%s-%d' % (name, index + 1),
                hostname='%s-%d' % (name, index + 1), image_ref=image_ref,
                flavor=flavor, instance_type_id=flavor.id,
                vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb,
                vm_state='building', task_state='scheduling', power_state=0,
                availability_zone=availability_zone, launch_index=index,
                locked=False, progress=0, metadata={},
                system_metadata={'image_architecture': 'x86_64'})
            inst.create()
            # The conductor records the create action when the build
            # arrives, as for a request through the api.
            instances.append(inst)
        spec = objects.RequestSpec(
            instance_uuid=instances[0].uuid, project_id=ctxt.project_id,
            user_id=ctxt.user_id, flavor=flavor, image_id=image_ref,
            image_properties={'architecture': 'x86_64'},
            num_instances=count, availability_zone=availability_zone,
            scheduler_hints={}, force_hosts=[], force_nodes=[],
            ignore_hosts=[], retry_hosts=[], num_attempts=0,
            group_hosts=[], group_members=[])
        if group_uuid:
            objects.InstanceGroup.add_members(ctxt, group_uuid,
                                              [i.uuid for i in instances])
            spec.group_uuid = group_uuid
        def cast_build():
            self.task_api.build_instances(
                ctxt, instances=instances,
                image={'id': image_ref,
                       'properties': {'architecture': 'x86_64'}},
                request_spec=spec)
        uuids = [i.uuid for i in instances]
        if not cast:
            return uuids, cast_build
        cast_build()
        return uuids

    def boot_on(self, host, flavor, count=1, name='pinned', ctxt=None):
        """Create instances and cast their builds straight to ``host``,
        as the conductor would after scheduling, without retry info (a
        failed claim or spawn goes to ERROR instead of rescheduling).

        :returns: the instance uuids.
        """
        objects = self.objects
        ctxt = ctxt or self.context()
        uuids = []
        for index in range(count):
            inst = objects.Instance(
                ctxt, user_id=ctxt.user_id, project_id=ctxt.project_id,
                display_name='%s-%d' % (name, index + 1), image_ref='img',
                flavor=flavor, instance_type_id=flavor.id,
                vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb,
                vm_state='building', task_state='scheduling', power_state=0,
                host=host, node=host, launch_index=index, locked=False,
                metadata={}, system_metadata={})
            inst.create()
            objects.InstanceAction.action_start(ctxt, inst.uuid, 'create',
                                                want_result=False)
            spec = objects.RequestSpec(
                instance_uuid=inst.uuid, flavor=flavor, num_instances=1,
                image_properties={}, scheduler_hints={})
            self.compute_rpcapi.build_and_run_instance(
                ctxt, inst, host, {'id': 'img'}, spec, filter_properties={},
                node=host, host_list=[])
            uuids.append(inst.uuid)
        return uuids

    def instance(self, uuid, ctxt=None):
        return self.objects.Instance.get_by_uuid(ctxt or self.context(),
                                                 uuid)

    def action(self, uuid, task_state, action, method, expected=(None,),
               ctxt=None, **kwargs):
        """Start a power action as the api does: guarded task-state save,
        ``action_start``, cast to the instance's host."""
        ctxt = ctxt or self.context()
        inst = self.instance(uuid, ctxt)
        inst.task_state = task_state
        inst.save(expected_task_state=list(expected))
        self.objects.InstanceAction.action_start(ctxt, uuid, action,
                                                 want_result=False)
        getattr(self.compute_rpcapi, method)(ctxt, inst, **kwargs)
        return inst

    def delete(self, uuid, ctxt=None):
        """Delete as the api does: local when no host, else cast."""
        ctxt = ctxt or self.context()
        inst = self.instance(uuid, ctxt)
        self.objects.InstanceAction.action_start(ctxt, uuid, 'delete',
                                                 want_result=False)
        if not inst.host:
            inst.vm_state = 'deleted'
            inst.task_state = None
            inst.save()
            inst.destroy()
            return
        inst.task_state = 'deleting'
        inst.save()
        self.compute_rpcapi.terminate_instance(ctxt, inst)


# -- database reads for assertions --------------------------------------------


def states(cloud, uuids=None, deleted=False):
    """``{uuid: row}`` with vm_state, task_state, power_state, host, ..."""
    query = ('SELECT uuid, vm_state, task_state, power_state, host, node, '
             'launched_at, network_info, vcpus, memory_mb, root_gb, '
             'ephemeral_gb, deleted FROM instances')
    rows = cloud.sql(query + ('' if deleted else ' WHERE deleted = 0'))
    wanted = set(uuids) if uuids is not None else None
    return {r['uuid']: r for r in rows
            if wanted is None or r['uuid'] in wanted}


def wait_for_states(cloud, uuids, accept=ACTIVE_OR_ERROR, timeout=120,
                    settled=True, interval=0.2):
    """Wait until every instance has a vm_state in ``accept`` (and, when
    ``settled``, no task); returns the rows."""
    uuids = list(uuids)

    def check():
        rows = states(cloud, uuids)
        if len(rows) < len(uuids):
            return None
        for row in rows.values():
            if row['vm_state'] not in accept:
                return None
            if settled and row['task_state'] is not None:
                return None
        return rows
    return cloud_mod.wait_for(check, timeout, interval=interval,
                              message='%d instances to reach %s'
                                      % (len(uuids), accept))


def wait_for_gone(cloud, uuids, timeout=60):
    uuids = set(uuids)
    return cloud_mod.wait_for(
        lambda: not (set(states(cloud, uuids)) & uuids), timeout,
        message='%d instances to be deleted' % len(uuids))


def faults(cloud, uuid):
    return cloud.sql('SELECT code, message, details, host FROM '
                     'instance_faults WHERE instance_uuid=%s ORDER BY id',
                     (uuid,))


def compute_nodes(cloud):
    return {r['host']: r for r in cloud.sql(
        'SELECT * FROM compute_nodes WHERE deleted = 0')}


def wait_for_service_row(cloud, binary, host, timeout=60):
    """Wait until ``binary`` on ``host`` has heartbeated once (SQL only,
    so the wait does not depend on novalite-manage)."""
    cloud_mod.wait_for(
        lambda: cloud.sql('SELECT id FROM services WHERE deleted = 0 AND '
                          '`binary` = %s AND host = %s AND last_seen_up IS '
                          'NOT NULL', (binary, host)),
        timeout, interval=0.2, message='%s on %s' % (binary, host))


def wait_for_computes(cloud, hosts, timeout=60):
    """Wait until each host has a compute node row and an up service."""
    hosts = set(hosts)

    def check():
        nodes = set(compute_nodes(cloud))
        services = {r['host'] for r in cloud.sql(
            "SELECT host FROM services WHERE deleted = 0 AND "
            "`binary` = 'novalite-compute' AND last_seen_up IS NOT NULL")}
        return hosts <= nodes and hosts <= services
    cloud_mod.wait_for(check, timeout, interval=0.3,
                       message='compute nodes %s' % sorted(hosts))
    # The scheduler refreshes host states every couple of seconds.
    time.sleep(0.1)


def vif(row):
    info = json.loads(row['network_info'] or '[]')
    return info[0] if info else None


# -- clouds for the boot tests ------------------------------------------------

# Fast periodic tasks and heartbeats so tests do not wait on defaults.
BOOT_CONF = {
    'DEFAULT': {'update_resources_interval': 5,
                'sync_power_state_interval': 5,
                'report_interval': 2},
    'scheduler': {'host_state_refresh_seconds': 1},
    # RpcClient creates instances as the api does but without its quota
    # check; the conductor's recheck would refuse a burst over the
    # default quota of the test project.
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
}


def merge_conf(*dicts):
    merged = {}
    for conf in dicts:
        for section, options in (conf or {}).items():
            merged.setdefault(section, {}).update(options or {})
    return merged


def start_boot_cloud(factory, computes, conf_overrides=None, timeout=90):
    """A synced cloud with conductor, scheduler and the given computes up.

    :param computes: ``{host: extra_conf or None}``; all start at once.
    :returns: the Cloud.
    """
    cloud = factory(conf_overrides=merge_conf(BOOT_CONF, conf_overrides))
    cloud.sync_db()
    cloud.start('conductor')
    wait_for_service_row(cloud, 'novalite-conductor', 'conductor', timeout)
    for host, extra in computes.items():
        cloud.start('compute', host=host, extra_conf=extra)
    wait_for_computes(cloud, list(computes), timeout=timeout)
    # Started last, the scheduler's first snapshot already holds every
    # node (it answers from a stale snapshot while it refreshes).
    cloud.start('scheduler')
    wait_for_service_row(cloud, 'novalite-scheduler', 'scheduler', timeout)
    return cloud


def daemon(cloud, name, host=None):
    """The newest Daemon of ``novalite-<name>`` (on ``host``)."""
    for d in reversed(cloud.daemons):
        if d.name == name and (host is None or d.host == host):
            return d
    raise LookupError('%s on %s' % (name, host))


def events(cloud, uuid):
    """Action events of an instance, oldest first."""
    return cloud.sql(
        'SELECT a.action, e.event, e.result, e.host, e.details '
        'FROM instance_actions_events e JOIN instance_actions a '
        'ON a.id = e.action_id WHERE a.instance_uuid = %s ORDER BY e.id',
        (uuid,))


def finished_events(cloud, uuid, timeout=30, at_least=None):
    """:func:`events` once every one of them is finished: the compute and
    conductor write an event's finish after the flow's last state save, so
    a state seen settled does not mean its events are written yet.

    :param at_least: ``{event name: count}`` that must be there too (an
        event's start may land after another daemon settled the state).
    """
    def done():
        evs = events(cloud, uuid)
        if not evs or any(e['result'] is None for e in evs):
            return None
        for name, count in (at_least or {}).items():
            if sum(1 for e in evs if e['event'] == name) < count:
                return None
        return evs
    return cloud_mod.wait_for(done, timeout, interval=0.05,
                              message='the events of %s finished' % uuid)


def stop_daemons(cloud, timeout=20):
    """Stop every daemon of ``cloud``: all but the conductor at once, then
    the conductor (a daemon whose RPC call to a conductor already gone
    would wait ``rpc_response_timeout`` before exiting)."""
    import signal
    import subprocess

    def stop(daemons):
        running = [d for d in daemons if d.running()]
        for d in running:
            d._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for d in running:
            try:
                d.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                d.kill()
    stop([d for d in cloud.daemons if d.name != 'conductor'])
    stop([d for d in cloud.daemons if d.name == 'conductor'])


# -- novalite-api -------------------------------------------------------------


class Api:
    """Minimal osapi_compute client (noauth2 token ``user:project``)."""

    def __init__(self, cloud, token='admin:admin', version='2.11'):
        import requests
        self.session = requests.Session()
        self.base = cloud.api_url + '/v2.1'
        self.session.headers.update({
            'X-Auth-Token': token,
            'OpenStack-API-Version': 'compute %s' % version})

    def __call__(self, method, path, body=None):
        return self.session.request(method, self.base + path, json=body,
                                    timeout=60)

    def server(self, server_id):
        resp = self('GET', '/servers/%s' % server_id)
        return resp.json()['server'] if resp.status_code == 200 else None

    def wait(self, server_ids, statuses, timeout=120):
        """Wait until each server's status is in ``statuses`` with no task
        state; returns ``{id: server}`` from one detail listing."""
        ids = set(server_ids)

        def check():
            resp = self('GET', '/servers/detail?limit=1000')
            found = {s['id']: s for s in resp.json()['servers']
                     if s['id'] in ids}
            if len(found) < len(ids):
                return None
            for s in found.values():
                if s['status'] not in statuses or \
                        s.get('OS-EXT-STS:task_state'):
                    return None
            return found
        return cloud_mod.wait_for(check, timeout, interval=0.3,
                                  message='servers in %s' % (statuses,))


def start_api(cloud, timeout=60, workers=1, netns=None):
    """novalite-api on the cloud's port (in network namespace ``netns``
    when given), answering."""
    import requests
    daemon = cloud.start('api', netns=netns, extra_conf={'DEFAULT': {
        'osapi_compute_workers': workers, 'metadata_workers': 1}})

    def answers():
        if daemon.proc.poll() is not None:
            raise cloud_mod.HarnessError('novalite-api exited: %s'
                                         % daemon.log()[-3000:])
        try:
            return requests.get(cloud.api_url, timeout=2).status_code == 200
        except requests.ConnectionError:
            return False
    cloud_mod.wait_for(answers, timeout,
                       message='novalite-api on %s' % cloud.api_url)
    return daemon


def import_image(cloud, directory):
    """``novalite-manage image import`` a tiny raw image; returns its id."""
    import os
    path = os.path.join(str(directory), 'tiny.img')
    with open(path, 'wb') as fh:
        fh.write(b'\0' * 4096)
    out = cloud.manage('image', 'import', '--name', 'tiny', '--file', path,
                       '--disk-format', 'raw', check=True).stdout
    return [line.split('|')[2].strip() for line in out.splitlines()
            if line.startswith('| id ')][0]


def create_flavor(api, flavorid, ram, name='tiny'):
    """``POST /flavors`` a one-vCPU, one-GB-disk flavor through ``api``
    (an :class:`Api` of an admin); returns its id."""
    resp = api('POST', '/flavors', {'flavor': {
        'name': name, 'vcpus': 1, 'ram': ram, 'disk': 1, 'id': flavorid}})
    assert resp.status_code == 200, resp.text
    return flavorid


def wait_nothing_held(cloud, timeout=30):
    """Wait until every compute node shows no vCPU used, then check that
    no fixed IP is left allocated (what deleted servers held is free)."""
    cloud_mod.wait_for(
        lambda: all(n['vcpus_used'] == 0
                    for n in compute_nodes(cloud).values()), timeout,
        message='every node empty')
    assert cloud.sql('SELECT COUNT(*) AS n FROM fixed_ips '
                     'WHERE allocated = 1')[0]['n'] == 0
