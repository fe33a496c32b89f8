#!/usr/bin/env python3
"""Boot-flow benchmark (not a test): real daemons, fake computes, the API.

Starts a throw-away cloud with the functional-test harness (own RabbitMQ
vhost and MariaDB database): novalite-conductor, -scheduler, -api and
``--computes`` fake computes, then prints

- POST /servers -> ACTIVE latency, p50 / p90, over ``--sequential``
  boots made one after the other (completion is seen by reading the
  server's row every 2 ms over one kept database connection, so the
  measurement adds no load to the daemons);
- burst throughput: ``--burst`` servers POSTed by ``--clients``
  concurrent clients (one server per request) and the time from the first
  POST until all are ACTIVE, with the CPU each daemon (and RabbitMQ and
  MariaDB) spent per server of it;
- the boot flow alone: as many servers created beforehand, then
  ``build_instances`` cast for them ten at a time (what the api casts
  after its POST work) and the time until all are ACTIVE;
- GET /servers/detail latency (p50) with every server of the run listed,
  topped up to ``--list-servers`` (1000) ACTIVE servers;
- the CPU time each daemon spent per sequential boot, and RabbitMQ's and
  MariaDB's (what bounds the burst rate on a small machine);
- each daemon's resident memory (RSS, MiB) at the end;
- first, how long a fixed pure-Python loop takes here: a hint of the
  machine's speed (it follows the other figures only loosely; compare runs
  made on one machine).

Usage: ``.venv/bin/python tools/bench_boot.py [--computes 20]
[--sequential 50] [--burst 200] [--conductor-workers N]``.
"""

import argparse
from concurrent import futures
import json
import os
import statistics
import sys
import tempfile
import time

import psutil
import pymysql
import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests.functional import boot_client as bc  # noqa: E402
from tests.functional.conftest import CloudFactory  # noqa: E402


def percentile(values, pct):
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(pct / 100.0 *
                                                  (len(values) - 1)))))
    return values[index]


class StatePoller:
    """Sees the moment a server's build commits: one kept root connection
    to the cloud's database reading the one row every 2 ms (a query costs
    ~0.2 ms and adds no load to the daemons being measured; a connection
    per poll would add its own set-up time to every latency)."""

    def __init__(self, cloud):
        from tests.functional import cloud as cloud_mod
        self.conn = cloud_mod.mysql_admin()
        with self.conn.cursor() as cur:
            cur.execute('USE `%s`' % cloud.db_name)

    def wait_active(self, server_id, timeout=60, interval=0.002):
        """The row once it is ACTIVE or ERROR with no task state."""
        deadline = time.monotonic() + timeout
        with self.conn.cursor(pymysql.cursors.DictCursor) as cur:
            while time.monotonic() < deadline:
                cur.execute('SELECT uuid, vm_state, task_state FROM '
                            'instances WHERE uuid = %s', (server_id,))
                row = cur.fetchone()
                if row and row['vm_state'] in ('active', 'error') and \
                        row['task_state'] is None:
                    return row
                time.sleep(interval)
        raise RuntimeError('server %s not ACTIVE after %ss' % (server_id,
                                                               timeout))

    def close(self):
        self.conn.close()


def post(api, image, flavor, name):
    resp = api('POST', '/servers', {'server': {
        'name': name, 'imageRef': image, 'flavorRef': flavor}})
    if resp.status_code != 202:
        raise RuntimeError('POST /servers: %s %s' % (resp.status_code,
                                                     resp.text))
    return resp.json()['server']['id']


def cpu_by_daemon(cloud):
    """CPU seconds (user + system) used so far, per daemon binary,
    children (API workers) included."""
    result = {}
    for daemon in cloud.daemons:
        if not daemon.running():
            continue
        try:
            procs = [psutil.Process(daemon.pid)]
            procs += procs[0].children(recursive=True)
            used = sum(sum(p.cpu_times()[:2]) for p in procs)
        except psutil.NoSuchProcess:
            continue
        result[daemon.binary] = result.get(daemon.binary, 0.0) + used
    return result


# The broker and the database serve every daemon; their CPU counts
# against the same two cores.
SERVERS = {'beam.smp': 'rabbitmq', 'mariadbd': 'mariadb', 'mysqld': 'mariadb'}


def cpu_of_servers():
    """CPU seconds used so far by the machine's RabbitMQ and MariaDB
    (shared: anything else using them at the time counts too)."""
    result = {}
    for proc in psutil.process_iter(['name', 'cpu_times']):
        name = SERVERS.get(proc.info['name'])
        if name and proc.info['cpu_times'] is not None:
            result[name] = result.get(name, 0.0) + \
                sum(proc.info['cpu_times'][:2])
    return result


def rss_by_daemon(cloud):
    result = {}
    for daemon in cloud.daemons:
        if not daemon.running():
            continue
        try:
            proc = psutil.Process(daemon.pid)
            rss = proc.memory_info().rss
            for child in proc.children(recursive=True):
                rss += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
        result.setdefault(daemon.binary, []).append(rss / 2.0 ** 20)
    return result


def cpu_per_unit(before, after, units):
    """``'binary ms, ...'``: CPU milliseconds per unit of work, per daemon
    binary and server."""
    return ', '.join('%s %.1f' % (binary, 1000.0 * (after[binary] -
                                                  before.get(binary, 0.0)) /
                                  max(1, units))
                     for binary in sorted(after))


def cpu_snapshot(cloud):
    cpu = cpu_by_daemon(cloud)
    cpu.update(cpu_of_servers())
    return cpu


def machine_speed():
    """Seconds this process takes for a fixed pure-Python loop: a hint
    that a run was made on a slower or busier machine, not a factor the
    other figures scale by."""
    start = time.process_time()
    total = 0
    for i in range(5000000):
        total += i
    return time.process_time() - start


def report_errors(cloud, rows):
    """Print the fault of each server that ended in ERROR (a benchmark
    run should have none; when it does, say why)."""
    reasons = {}
    for uuid, row in rows.items():
        if row['vm_state'] == 'error':
            faults = bc.faults(cloud, uuid)
            message = faults[-1]['message'] if faults else '(no fault)'
            reasons[message] = reasons.get(message, 0) + 1
    for message, count in sorted(reasons.items()):
        print('  %d in ERROR: %s' % (count, message[:200]))


def top_up(cloud, count):
    """Add ``count`` ACTIVE servers for the list measurement: created
    through the conductor as the api creates them, then given the state
    and network record a finished build leaves (building 1000 through
    the fake computes would measure the burst again)."""
    client = bc.RpcClient(cloud)
    try:
        flavor = client.flavor('listbench', 1, 64, 1)
        ctxt = client.context(project_id='admin', user_id='admin')
        uuids, _cast = client.boot(flavor, count=count, name='listed',
                                   ctxt=ctxt, cast=False)
    finally:
        client.close()
    vif = json.dumps([{'address': '10.0.15.2', 'mac': 'fa:16:3e:00:0f:02',
                       'network': 'novalite', 'type': 'bridge',
                       'version': 4}])
    # On a host no compute serves: a compute's periodic tasks would read
    # (and try to settle) the 1000 rows, loading the daemons measured.
    cloud.sql("UPDATE instances SET vm_state='active', task_state=NULL, "
              "power_state=1, host='listed01', node='listed01', "
              "launched_at=NOW(), network_info=%s WHERE display_name "
              "LIKE 'listed-%%'", (vif,))
    return uuids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--computes', type=int, default=20)
    parser.add_argument('--sequential', type=int, default=50)
    parser.add_argument('--burst', type=int, default=200)
    parser.add_argument('--conductor-workers', type=int, default=2)
    parser.add_argument('--api-workers', type=int, default=2)
    parser.add_argument('--list-servers', type=int, default=1000,
                        help='servers listed by GET /servers/detail (the '
                             'run\'s own, topped up with ACTIVE rows)')
    parser.add_argument('--clients', type=int, default=10,
                        help='concurrent clients POSTing the burst')
    args = parser.parse_args()

    print('machine speed: a 5M-step Python loop takes %.2f s of CPU'
          % machine_speed())
    factory = CloudFactory()
    try:
        # Production cadences (the test defaults heartbeat and refresh far
        # more often, which costs conductor time on 20 computes).
        conf = {
            'DEFAULT': {'debug': False, 'report_interval': 10,
                        'update_resources_interval': 60,
                        'sync_power_state_interval': 600},
            'scheduler': {'host_state_refresh_seconds': 2},
            # Room for every server of the run (a /24 holds 253).
            'network': {'fixed_range': '10.0.0.0/20'},
            'conductor': {'workers': args.conductor_workers},
            'quota': {'instances': -1, 'cores': -1, 'ram': -1},
        }
        hosts = ['bench%02d' % i for i in range(1, args.computes + 1)]
        t0 = time.monotonic()
        cloud = bc.start_boot_cloud(factory, {h: None for h in hosts},
                                    conf_overrides=conf, timeout=300)
        bc.start_api(cloud, workers=args.api_workers)
        image = bc.import_image(cloud, tempfile.mkdtemp(prefix='nlbench-'))
        api = bc.Api(cloud)
        resp = api('POST', '/flavors', {'flavor': {
            'name': 'bench', 'vcpus': 1, 'ram': 256, 'disk': 1,
            'id': 'bench'}})
        assert resp.status_code == 200, resp.text
        print('cloud with %d fake computes up in %.1f s'
              % (args.computes, time.monotonic() - t0))

        # Warm up every daemon's connections and caches: one boot per
        # compute (the RAM weigher spreads them), since a compute opens
        # more RabbitMQ connections during its first build, when the event
        # start, the fixed IP and the first save go out at once; the
        # figures below are of computes past that.
        poller = StatePoller(cloud)
        for i in range(args.computes):
            poller.wait_active(post(api, image, 'bench', 'warmup%d' % i))

        latencies = []
        cpu_before = cpu_snapshot(cloud)
        for i in range(args.sequential):
            start = time.monotonic()
            row = poller.wait_active(post(api, image, 'bench',
                                                  'seq%d' % i))
            if row['vm_state'] != 'active':
                raise RuntimeError('server %s went to ERROR' % row['uuid'])
            latencies.append((time.monotonic() - start) * 1000)
        poller.close()
        print('POST -> ACTIVE, %d sequential boots: p50 %.0f ms, p90 %.0f '
              'ms (min %.0f, max %.0f)' % (
                  len(latencies), percentile(latencies, 50),
                  percentile(latencies, 90), min(latencies),
                  max(latencies)))
        print('CPU per sequential boot (ms): ' + cpu_per_unit(
            cpu_before, cpu_snapshot(cloud), args.sequential))

        cpu_before = cpu_snapshot(cloud)
        start = time.monotonic()
        with futures.ThreadPoolExecutor(args.clients) as pool:
            ids = list(pool.map(
                lambda i: post(bc.Api(cloud), image, 'bench', 'burst%d' % i),
                range(args.burst)))
        posted = time.monotonic() - start
        rows = bc.wait_for_states(cloud, ids, timeout=900)
        elapsed = time.monotonic() - start
        errors = sum(1 for r in rows.values() if r['vm_state'] != 'active')
        print('burst of %d servers over %d computes (%d concurrent '
              'clients): all settled in %.1f s = %.1f servers/s (POSTs took '
              '%.1f s; %d ERROR)' % (
                  args.burst, args.computes, args.clients, elapsed,
                  args.burst / elapsed, posted, errors))
        # The burst is bound by CPU on a small machine: what each part
        # spends per server says where the time goes.
        print('CPU per server of the burst (ms): ' + cpu_per_unit(
            cpu_before, cpu_snapshot(cloud), args.burst))
        report_errors(cloud, rows)

        # The same burst without the API in front: instances created and
        # build_instances cast over RPC, ten per request, as the api does
        # for min/max_count requests.
        client = bc.RpcClient(cloud)
        try:
            flavor = client.flavor('rpcbench', 1, 256, 1)
            uuids, casts = [], []
            for _ in range(max(1, args.burst // 10)):
                some, cast = client.boot(flavor, count=10, name='rpc',
                                         cast=False)
                uuids += some
                casts.append(cast)
            start = time.monotonic()
            for cast in casts:
                cast()
            rows = bc.wait_for_states(cloud, uuids, timeout=900,
                                      interval=0.05)
            elapsed = time.monotonic() - start
        finally:
            client.close()
        errors = sum(1 for r in rows.values() if r['vm_state'] != 'active')
        print('build_instances cast over RPC for %d servers created '
              'beforehand (10 per request): all settled in %.1f s = %.1f '
              'servers/s (%d ERROR)' % (
                  len(uuids), elapsed, len(uuids) / elapsed, errors))
        report_errors(cloud, rows)

        total = len(api('GET', '/servers?limit=10000').json()['servers'])
        if total < args.list_servers:
            top_up(cloud, args.list_servers - total)
            total = len(api('GET', '/servers?limit=10000').json()['servers'])
        detail = []
        for _ in range(20):
            start = time.monotonic()
            resp = api('GET', '/servers/detail?limit=10000')
            detail.append((time.monotonic() - start) * 1000)
            assert resp.status_code == 200
        print('GET /servers/detail with %d servers: p50 %.0f ms'
              % (total, statistics.median(detail)))

        print('RSS per daemon (MiB):')
        for binary, values in sorted(rss_by_daemon(cloud).items()):
            print('  %-22s %3d process(es)  mean %6.1f  max %6.1f' % (
                binary, len(values), statistics.mean(values), max(values)))
    finally:
        for cloud in factory.clouds:
            bc.stop_daemons(cloud)
        factory.cleanup()
    return 0


if __name__ == '__main__':
    requests.packages.urllib3.disable_warnings()
    sys.exit(main())
