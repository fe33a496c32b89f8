#!/usr/bin/env python3
"""Benchmark of ``select_destinations`` (not a test): prints figures.

In-process (``--hosts 1000,10000``): a HostManager fed synthetic
ComputeNode and Service objects (no RPC, no DB). Prints, per host count:

* refresh: building the HostStates from the objects (what every
  ``host_state_refresh_seconds`` costs, *excluding* the fetch through the
  conductor);
* select: one ``select_destinations`` for one instance on a warm snapshot
  (filters + weighers + consumption + Selections, every default filter
  enabled), p50 / p90 / max over ``--rounds`` calls, and whether the p50
  is within ``--target-ms`` (50 ms: one instance among 10,000 hosts);
* select with refresh_seconds=0: a refresh from the same objects on every
  call.

End to end (``--rpc``): a real cloud (RabbitMQ vhost, MariaDB database,
novalite-conductor and novalite-scheduler processes, via the functional
harness) with ``--rpc-hosts`` ComputeNode and Service rows; times the
``select_destinations`` RPC call from this process in three set-ups: a
cached snapshot, an inline refresh on every call (the fetch of every node
through the conductor included) and the defaults (2 s window, refresh in the
background).

Usage::

    .venv/bin/python tools/bench_scheduler.py [--hosts 1000,10000]
        [--rounds 200] [--target-ms 50] [--rpc] [--rpc-hosts 1000]
"""

import argparse
import os
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import warnings  # noqa: E402

warnings.filterwarnings('ignore')

from oslo_utils import timeutils  # noqa: E402

from novalite import conf  # noqa: E402
from novalite import config  # noqa: E402,F401 (registers log options)
from novalite import context as nl_context  # noqa: E402
from novalite import objects  # noqa: E402

CONF = conf.CONF

SUPPORTED = '[["x86_64", "qemu", "hvm"], ["i686", "qemu", "hvm"]]'
CPU_INFO = '{"arch": "x86_64", "vendor": "Intel", "features": ["sse", "avx"]}'


def synthetic_nodes(count):
    """ComputeNode and Service objects for ``count`` varied hosts."""
    now = timeutils.utcnow()
    nodes, services = [], []
    for i in range(count):
        host = 'cn%05d' % i
        vcpus = (8, 16, 32, 64)[i % 4]
        memory = (16384, 32768, 65536, 131072)[i % 4]
        nodes.append(objects.ComputeNode(
            id=i + 1, uuid=str(uuid.UUID(int=i + 1)), host=host,
            hypervisor_hostname=host, hypervisor_type='qemu',
            hypervisor_version=8002000, vcpus=vcpus,
            memory_mb=memory, local_gb=1000, vcpus_used=i % vcpus,
            memory_mb_used=512 + (i * 37) % (memory // 2),
            local_gb_used=(i * 7) % 500, free_ram_mb=None,
            free_disk_gb=None, running_vms=i % 10, cpu_info=CPU_INFO,
            supported_instances=SUPPORTED, stats='{"numa": "%d"}' % (i % 2),
            cpu_allocation_ratio=None, ram_allocation_ratio=None,
            disk_allocation_ratio=None, updated_at=now))
        services.append(objects.Service(
            id=i + 1, host=host, binary='novalite-compute', disabled=False,
            forced_down=False, last_seen_up=now, updated_at=now,
            availability_zone='az%d' % (i % 3) if i % 5 == 0 else None))
    return nodes, services


class StaticSource:
    """The HostManager's source, answering from memory."""

    def __init__(self, nodes, services):
        self.nodes, self.services_ = nodes, services

    def compute_nodes(self, ctxt):
        return self.nodes

    def services(self, ctxt):
        return self.services_

    def instance_map(self, ctxt):
        return {}


def spec(memory_mb=2048, vcpus=2):
    flavor = objects.Flavor(id=1, flavorid='1', name='m1', memory_mb=memory_mb,
                            vcpus=vcpus, root_gb=20, ephemeral_gb=0, swap=0,
                            extra_specs={})
    return objects.RequestSpec(flavor=flavor, num_instances=1,
                               image_properties={'architecture': 'x86_64'})


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values)
                                                                - 1))))]


def fmt_ms(seconds):
    return '%.2f ms' % (seconds * 1000.0)


def bench_in_process(host_counts, rounds, target_ms=50.0):
    from novalite.scheduler import filter_scheduler
    from novalite.scheduler import host_manager

    ctxt = nl_context.get_admin_context()
    print('== in-process: HostManager fed synthetic ComputeNodes '
          '(conductor fetch NOT included) ==')
    for count in host_counts:
        nodes, services = synthetic_nodes(count)
        manager = host_manager.HostManager(StaticSource(nodes, services))
        sched = filter_scheduler.FilterScheduler(manager)
        CONF.set_override('host_state_refresh_seconds', 3600, 'scheduler')

        refresh = []
        for _ in range(5):
            manager._fetched_at = None
            start = time.perf_counter()
            manager.get_host_states(ctxt)
            refresh.append(time.perf_counter() - start)

        times = []
        req = spec()
        for i in range(rounds):
            start = time.perf_counter()
            sched.select_destinations(ctxt, req, [str(uuid.uuid4())])
            times.append(time.perf_counter() - start)

        CONF.set_override('host_state_refresh_seconds', 0, 'scheduler')
        cold = []
        for _ in range(max(5, rounds // 20)):
            start = time.perf_counter()
            sched.select_destinations(ctxt, req, [str(uuid.uuid4())])
            cold.append(time.perf_counter() - start)
        CONF.clear_override('host_state_refresh_seconds', 'scheduler')

        print('%6d hosts: refresh (build HostStates) p50 %s | '
              'select 1 instance (warm) p50 %s p90 %s max %s | '
              'select with refresh each call p50 %s' % (
                  count, fmt_ms(statistics.median(refresh)),
                  fmt_ms(pct(times, 50)), fmt_ms(pct(times, 90)),
                  fmt_ms(max(times)), fmt_ms(statistics.median(cold))))
        p50_ms = pct(times, 50) * 1000.0
        print('%6d hosts: warm select p50 %.2f ms is %s the %.0f ms '
              'target' % (count, p50_ms,
                          'within' if p50_ms < target_ms else 'OVER',
                          target_ms))


RPC_CASES = (
    ('cached snapshot (no fetch in the timed calls)',
     {'host_state_refresh_seconds': 3600}, 0.0),
    ('inline refresh on every call (fetch of every node, service and the '
     'instance map through the conductor included)',
     {'host_state_refresh_seconds': 0, 'pending_claim_seconds': 0}, 0.0),
    ('defaults: 2 s window, refresh in the background, one call every '
     '30 ms', {}, 0.03),
)


def bench_rpc(host_count, rounds):
    from novalite import rpc
    from novalite.scheduler import rpcapi
    from tests.functional import cloud as cloud_mod

    print('== end to end: select_destinations over RabbitMQ to a '
          'novalite-scheduler process, %d ComputeNode rows in MariaDB =='
          % host_count)
    cloud = cloud_mod.Cloud(conf_overrides={
        'DEFAULT': {'service_down_time': 3600, 'debug': False}})
    try:
        cloud.sync_db()
        _insert_rows(cloud, host_count)
        cloud.start('conductor', wait=True, timeout=60)
        for label, sched_conf, pause in RPC_CASES:
            for daemon in cloud.daemons:
                if daemon.binary == 'novalite-scheduler':
                    daemon.stop()
            # A call sent before the scheduler's queue exists is lost.
            daemon = cloud.start('scheduler',
                                 extra_conf={'scheduler': sched_conf})
            daemon.wait_for_log('novalite-scheduler on scheduler is up',
                                timeout=120)
            times = _time_calls(cloud, rpcapi, rounds, pause)
            print('%6d hosts, %s:\n        p50 %s p90 %s max %s' % (
                host_count, label, fmt_ms(pct(times, 50)),
                fmt_ms(pct(times, 90)), fmt_ms(max(times))))
    finally:
        rpc.cleanup()
        cloud.cleanup()


def _insert_rows(cloud, count):
    """Services and compute nodes straight into the test database (the
    harness's root access; the daemons only read them)."""
    import contextlib
    import pymysql  # noqa: F401
    from tests.functional.cloud import mysql_admin

    now = timeutils.utcnow().replace(tzinfo=None, microsecond=0)
    with contextlib.closing(mysql_admin()) as conn, conn.cursor() as cur:
        cur.execute('USE `%s`' % cloud.db_name)
        svc_rows, node_rows = [], []
        for i in range(count):
            host = 'bench%05d' % i
            svc_rows.append((str(uuid.uuid4()), host, 'novalite-compute',
                             'compute', 1, now, 0, 0, 0, now, 0))
        cur.executemany(
            'INSERT INTO services (uuid, host, `binary`, topic, '
            'report_count, last_seen_up, disabled, forced_down, version, '
            'created_at, deleted) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)',
            svc_rows)
        cur.execute("SELECT id, host FROM services WHERE `binary` = "
                    "'novalite-compute'")
        ids = dict((host, sid) for sid, host in cur.fetchall())
        for i in range(count):
            host = 'bench%05d' % i
            ram_used = 512 + (i * 37) % 30000
            disk_used = (i * 7) % 500
            node_rows.append((str(uuid.uuid4()), ids[host], host, host,
                              'qemu', 8002000, 32, 65536, 1000, i % 32,
                              ram_used, disk_used, 65536 - ram_used,
                              1000 - disk_used, 0, 0, CPU_INFO, SUPPORTED,
                              '{}', now, 0))
        cur.executemany(
            'INSERT INTO compute_nodes (uuid, service_id, host, '
            'hypervisor_hostname, hypervisor_type, hypervisor_version, '
            'vcpus, memory_mb, local_gb, vcpus_used, memory_mb_used, '
            'local_gb_used, free_ram_mb, free_disk_gb, running_vms, '
            'current_workload, cpu_info, supported_instances, stats, '
            'created_at, deleted) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'
            '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)', node_rows)
        conn.commit()


def _time_calls(cloud, rpcapi, rounds, pause=0.0):
    from novalite import rpc

    # Only this process's RPC client: it talks to the cloud's vhost.
    rpc.cleanup()
    CONF(['--config-file', cloud.conf_path], project='novalite')
    api = rpcapi.SchedulerAPI()
    ctxt = nl_context.get_admin_context()
    req = spec()
    api.select_destinations(ctxt, req, [str(uuid.uuid4())], timeout=120)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = api.select_destinations(ctxt, req, [str(uuid.uuid4())],
                                         timeout=120)
        times.append(time.perf_counter() - start)
        assert result and result[0], result
        if pause:
            time.sleep(pause)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', default='1000,10000',
                        help='comma-separated host counts (in-process)')
    parser.add_argument('--rounds', type=int, default=200)
    parser.add_argument('--target-ms', type=float, default=50.0,
                        help='the warm select p50 to compare against')
    parser.add_argument('--rpc', action='store_true',
                        help='also measure the RPC call against real '
                             'daemons (needs RabbitMQ and MariaDB)')
    parser.add_argument('--rpc-hosts', type=int, default=1000)
    parser.add_argument('--rpc-rounds', type=int, default=50)
    args = parser.parse_args()

    CONF([], project='novalite')
    objects.register_all()
    bench_in_process([int(x) for x in args.hosts.split(',') if x],
                     args.rounds, args.target_ms)
    if args.rpc:
        bench_rpc(args.rpc_hosts, args.rpc_rounds)


if __name__ == '__main__':
    main()
