"""select_destinations over RabbitMQ against real daemons.

A cloud with novalite-conductor, novalite-scheduler and three novalite-compute
processes (fake driver, small hosts) registered through the conductor. This
process calls the scheduler as the conductor would (``SchedulerAPI``) and
checks the answers against the database rows the computes wrote.
"""

import collections
import time
import uuid

import pytest

from tests.functional import cloud as cloud_mod

COMPUTES = ('cn1', 'cn2', 'cn3')
# Each fake compute: 4 vCPUs, 4608 MiB (4096 after the 512 reserved), 40 GiB.
FAKE = {'vcpus': 4, 'memory_mb': 4608, 'local_gb': 40}
RATIOS = {'cpu_allocation_ratio': 2.0, 'ram_allocation_ratio': 1.0,
          'disk_allocation_ratio': 1.0, 'reserved_host_memory_mb': 512}


class SchedulerClient:
    """This process as an RPC client of the cloud (one per process)."""

    def __init__(self, cloud):
        from novalite import conf
        from novalite import config
        from novalite import objects
        from novalite import rpc
        from novalite.scheduler import rpcapi

        self.conf = conf.CONF
        self.conf.reset()
        rpc.cleanup()
        config.parse_args(['--config-file', cloud.conf_path], init_rpc=True)
        objects.register_all()
        self.objects = objects
        self.api = rpcapi.SchedulerAPI()

    def close(self):
        from novalite import rpc
        rpc.cleanup()
        self.conf.reset()

    def context(self):
        from novalite import context
        return context.get_admin_context()

    def spec(self, memory_mb=512, vcpus=1, root_gb=1, **fields):
        flavor = self.objects.Flavor(
            id=1, flavorid='f', name='f', memory_mb=memory_mb, vcpus=vcpus,
            root_gb=root_gb, ephemeral_gb=0, swap=0, extra_specs={})
        fields.setdefault('num_instances', 1)
        return self.objects.RequestSpec(flavor=flavor, **fields)

    def select(self, spec, count=1, **kwargs):
        uuids = [str(uuid.uuid4()) for _ in range(count)]
        return self.api.select_destinations(self.context(), spec, uuids,
                                            timeout=60, **kwargs)


@pytest.fixture(scope='module')
def sched_cloud():
    cloud = cloud_mod.Cloud(conf_overrides={
        'DEFAULT': dict(RATIOS, service_down_time=8, report_interval=1),
        'fake_driver': FAKE,
        # A long window: the scheduler must count its own choices.
        'scheduler': {'host_state_refresh_seconds': 600, 'max_attempts': 3},
    })
    try:
        cloud.sync_db()
        cloud.start('conductor', wait=True, timeout=60)
        for host in COMPUTES:
            cloud.start('compute', host=host)
        for host in COMPUTES:
            cloud.wait_for_service('novalite-compute', host, timeout=60)
        cloud_mod.wait_for(
            lambda: len(cloud.sql('SELECT id FROM compute_nodes WHERE '
                                  'deleted = 0')) == len(COMPUTES),
            60, message='compute node rows')
        # The scheduler last, so its first snapshot sees every node.
        cloud.start('scheduler', wait=True, timeout=60)
        yield cloud
    finally:
        cloud.cleanup()


@pytest.fixture
def client(sched_cloud):
    c = SchedulerClient(sched_cloud)
    try:
        yield c
    finally:
        c.close()


def _restart_scheduler(cloud, extra_conf=None):
    """A fresh scheduler process (fresh snapshot, no choices counted)."""
    for daemon in cloud.daemons:
        if daemon.binary == 'novalite-scheduler' and daemon.running():
            daemon.stop()
    daemon = cloud.start('scheduler', host='scheduler',
                         extra_conf=extra_conf)
    daemon.wait_for_log('novalite-scheduler on scheduler is up', timeout=60)
    return daemon


def test_selections_name_real_nodes_with_alternates(sched_cloud, client):
    result = client.select(client.spec())
    assert len(result) == 1
    entry = result[0]
    assert len(entry) == 3                         # max_attempts = 3
    assert len({s.service_host for s in entry}) == 3
    nodes = {r['host']: r for r in sched_cloud.sql(
        'SELECT host, hypervisor_hostname, uuid FROM compute_nodes '
        'WHERE deleted = 0')}
    for sel in entry:
        assert isinstance(sel, client.objects.Selection)
        row = nodes[sel.service_host]
        assert sel.nodename == row['hypervisor_hostname']
        assert sel.compute_node_uuid == row['uuid']
    no_alts = client.select(client.spec(), return_alternates=False)
    assert [len(e) for e in no_alts] == [1]


def test_no_valid_host_crosses_rpc_as_itself(client):
    from novalite import exception
    with pytest.raises(exception.NoValidHost) as err:
        client.select(client.spec(memory_mb=8192))
    assert 'No valid host was found' in str(err.value)
    # vcpus beyond any host's physical count, and disk beyond any disk
    with pytest.raises(exception.NoValidHost):
        client.select(client.spec(vcpus=5))
    with pytest.raises(exception.NoValidHost):
        client.select(client.spec(root_gb=41))


def test_burst_spreads_and_stops_at_the_ratios(sched_cloud, client):
    _restart_scheduler(sched_cloud)
    placed = collections.Counter()
    # 1024 MiB each: 4 fit per host (RAM ratio 1.0), so 12 in all; the
    # choices made in earlier calls count although no compute claimed them.
    for _ in range(6):
        for entry in client.select(client.spec(memory_mb=1024), count=2):
            placed[entry[0].service_host] += 1
    assert placed == {'cn1': 4, 'cn2': 4, 'cn3': 4}
    from novalite import exception
    with pytest.raises(exception.NoValidHost):
        client.select(client.spec(memory_mb=1024))


def test_anti_affinity_group_in_one_request(sched_cloud, client):
    _restart_scheduler(sched_cloud)
    spec = client.spec(group_policy='anti-affinity',
                       group_uuid=str(uuid.uuid4()))
    result = client.select(spec, count=3)
    assert sorted(e[0].service_host for e in result) == list(COMPUTES)
    from novalite import exception
    with pytest.raises(exception.NoValidHost):
        client.select(spec, count=4)


def test_availability_zone_and_disabled_service(sched_cloud, client):
    sched_cloud.sql("UPDATE services SET availability_zone = 'az-x' "
                    "WHERE host = 'cn2' AND `binary` = 'novalite-compute'")
    sched_cloud.sql("UPDATE services SET disabled = 1 WHERE host = 'cn3' "
                    "AND `binary` = 'novalite-compute'")
    try:
        _restart_scheduler(sched_cloud)
        for _ in range(3):
            entry = client.select(client.spec(availability_zone='az-x'))[0]
            assert [s.service_host for s in entry] == ['cn2']
        # Fresh claims, so spreading alone decides between cn1 and cn2.
        _restart_scheduler(sched_cloud)
        hosts = {client.select(client.spec())[0][0].service_host
                 for _ in range(4)}
        assert hosts == {'cn1', 'cn2'}             # cn3 is disabled
    finally:
        sched_cloud.sql("UPDATE services SET availability_zone = NULL, "
                        "disabled = 0 WHERE `binary` = 'novalite-compute'")


def test_dead_compute_is_not_chosen_after_service_down_time(sched_cloud,
                                                            client):
    victim = [d for d in sched_cloud.daemons
              if d.binary == 'novalite-compute' and d.host == 'cn1'][0]
    victim.kill()
    try:
        sched_cloud.wait_for_service('novalite-compute', 'cn1',
                                     state='down', timeout=30)
        _restart_scheduler(sched_cloud)
        hosts = {client.select(client.spec())[0][0].service_host
                 for _ in range(4)}
        assert 'cn1' not in hosts and hosts <= {'cn2', 'cn3'}
    finally:
        victim.start()
        sched_cloud.wait_for_service('novalite-compute', 'cn1', timeout=60)


def test_retry_hosts_and_a_second_scheduler_process(sched_cloud, client):
    _restart_scheduler(sched_cloud)
    second = sched_cloud.start('scheduler', host='scheduler2')
    try:
        sched_cloud.wait_for_service('novalite-scheduler', 'scheduler2',
                                     timeout=60)
        # Both processes consume the topic; every answer honours the retry.
        for _ in range(8):
            entry = client.select(client.spec(retry_hosts=['cn1', 'cn2'],
                                              num_attempts=3))[0]
            assert [s.service_host for s in entry] == ['cn3']
        # With the first scheduler gone the second still answers.
        for daemon in sched_cloud.daemons:
            if daemon.binary == 'novalite-scheduler' and \
                    daemon.host == 'scheduler' and daemon.running():
                daemon.stop()
        start = time.monotonic()
        assert client.select(client.spec())[0]
        assert time.monotonic() - start < 30
    finally:
        second.stop()
        _restart_scheduler(sched_cloud)
