#!/usr/bin/env python3
"""The REST half of tools/stack.sh and tools/unstack.sh.

Talks to novalite-api as ``admin:admin`` (noauth2) with the standard
library only, so it runs from any Python 3:

  stack-api.py --api URL flavors
      create the default flavors that are missing (by name); never
      duplicates one.
  stack-api.py --api URL demo --name NAME --image ID --flavor NAME
      make sure exactly one server NAME exists and is ACTIVE (boot it,
      start it when SHUTOFF, replace it when ERROR, delete extra copies),
      then print shell-sourceable lines: server_id, status, ip,
      console_url.
  stack-api.py --api URL delete-demo --name NAME
      delete every server NAME and wait until they are gone.

Progress goes to stderr, results to stdout.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request

# Nova's default flavors: (name, id, MiB RAM, vCPUs, GiB root disk). The
# tiny guest cannot use m1.tiny's 512 MiB to advantage under TCG, so the
# demo boots the smallest flavor it can run in (96 MiB: with less, the
# Debian cloud kernel can panic out of memory while booting).
FLAVORS = (
    ('m1.tiny', '1', 512, 1, 1),
    ('m1.small', '2', 2048, 1, 20),
    ('m1.medium', '3', 4096, 2, 40),
    ('m1.large', '4', 8192, 4, 80),
    ('m1.xlarge', '5', 16384, 8, 160),
    ('m1.nano', '6', 96, 1, 1),
)
DEMO_MARK = {'novalite-stack': 'demo'}


def log(msg):
    print('stack: %s' % msg, file=sys.stderr, flush=True)


class Api:
    def __init__(self, base, version='2.11'):
        self.base = base.rstrip('/') + '/v2.1'
        self.headers = {'X-Auth-Token': 'admin:admin',
                        'OpenStack-API-Version': 'compute %s' % version,
                        'Content-Type': 'application/json',
                        'Accept': 'application/json'}

    def __call__(self, method, path, body=None, ok=(200, 201, 202, 204)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode('utf-8', 'replace')
        if status not in ok:
            raise SystemExit('stack: %s %s -> %d: %s'
                             % (method, path, status, text[:1000]))
        return status, (json.loads(text) if text.strip() else {})


def ensure_flavors(api):
    _, body = api('GET', '/flavors/detail?is_public=None')
    have = {f['name'] for f in body['flavors']}
    for name, flavorid, ram, vcpus, disk in FLAVORS:
        if name in have:
            log('flavor %s present' % name)
            continue
        api('POST', '/flavors', {'flavor': {
            'name': name, 'id': flavorid, 'ram': ram, 'vcpus': vcpus,
            'disk': disk}})
        log('flavor %s created (%d MiB, %d vCPU, %d GiB)'
            % (name, ram, vcpus, disk))


def _servers_named(api, name):
    _, body = api('GET', '/servers/detail')
    return [s for s in body['servers'] if s['name'] == name]


def _server(api, server_id):
    status, body = api('GET', '/servers/%s' % server_id, ok=(200, 404))
    return body['server'] if status == 200 else None


def _wait(api, server_id, want, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        server = _server(api, server_id)
        if want is None and server is None:
            return None
        if server is not None:
            state = (server['status'], server.get('OS-EXT-STS:task_state'))
            if state != last:
                log('server %s: %s%s' % (server_id, state[0],
                                          ' (%s)' % state[1]
                                          if state[1] else ''))
                last = state
            if server['status'] == 'ERROR' and want != 'ERROR':
                raise SystemExit('stack: server %s went to ERROR: %s' % (
                    server_id, server.get('fault')))
            if server['status'] == want and not state[1]:
                return server
        time.sleep(0.5)
    raise SystemExit('stack: server %s not %s after %d s'
                     % (server_id, want or 'deleted', timeout))


def _delete(api, server_id, timeout):
    api('DELETE', '/servers/%s' % server_id, ok=(204, 404))
    _wait(api, server_id, None, timeout)
    log('server %s deleted' % server_id)


def _flavor_id(api, name):
    _, body = api('GET', '/flavors?is_public=None')
    for flavor in body['flavors']:
        if flavor['name'] == name:
            return flavor['id']
    raise SystemExit('stack: no flavor %s' % name)


def _fixed_ip(server):
    for addrs in server.get('addresses', {}).values():
        for addr in addrs:
            if addr.get('OS-EXT-IPS:type', 'fixed') == 'fixed':
                return addr['addr']
    return ''


def _wait_for_hypervisor(api, timeout):
    """Until a compute node with memory shows in os-hypervisors: a boot
    before the compute has reported its resources can only fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, body = api('GET', '/os-hypervisors/detail')
        if any(h.get('memory_mb', 0) > 0 and h.get('state') == 'up'
               for h in body.get('hypervisors', [])):
            return
        time.sleep(0.5)
    raise SystemExit('stack: no compute node is up after %d s (see '
                     'compute.log)' % timeout)


def ensure_demo(api, name, image, flavor, timeout):
    _wait_for_hypervisor(api, timeout)
    servers = _servers_named(api, name)
    # one is kept: an ACTIVE one first, then any that is not ERROR
    servers.sort(key=lambda s: (s['status'] != 'ACTIVE',
                                s['status'] == 'ERROR', s['created']))
    keep = None
    for server in servers:
        if keep is None and server['status'] != 'ERROR':
            keep = server
            continue
        log('removing %s server %s (%s)' % (
            'extra' if keep else 'failed', server['id'], server['status']))
        _delete(api, server['id'], timeout)
    if keep is None:
        _, body = api('POST', '/servers', {'server': {
            'name': name, 'imageRef': image,
            'flavorRef': _flavor_id(api, flavor), 'metadata': DEMO_MARK}})
        server_id = body['server']['id']
        log('booting server %s (%s)' % (name, server_id))
    else:
        server_id = keep['id']
        log('server %s exists (%s, %s)' % (name, server_id, keep['status']))
        if keep['status'] == 'SHUTOFF':
            api('POST', '/servers/%s/action' % server_id, {'os-start': None})
            log('starting server %s' % server_id)
    server = _wait(api, server_id, 'ACTIVE', timeout)
    _, body = api('POST', '/servers/%s/remote-consoles' % server_id,
                  {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}})
    print('server_id=%s' % server_id)
    print('status=%s' % server['status'])
    print('ip=%s' % _fixed_ip(server))
    print('console_url=%s' % body['remote_console']['url'])


def delete_demo(api, name, timeout):
    servers = _servers_named(api, name)
    if not servers:
        log('no server %s' % name)
    for server in servers:
        _delete(api, server['id'], timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--api', required=True, help='http://host:port')
    parser.add_argument('--timeout', type=int, default=240)
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('flavors')
    demo = sub.add_parser('demo')
    demo.add_argument('--name', required=True)
    demo.add_argument('--image', required=True)
    demo.add_argument('--flavor', default='m1.nano')
    delete = sub.add_parser('delete-demo')
    delete.add_argument('--name', required=True)
    args = parser.parse_args(argv)
    api = Api(args.api)
    if args.command == 'flavors':
        ensure_flavors(api)
    elif args.command == 'demo':
        ensure_demo(api, args.name, args.image, args.flavor, args.timeout)
    else:
        delete_demo(api, args.name, args.timeout)


if __name__ == '__main__':
    main()
