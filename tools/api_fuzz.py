#!/usr/bin/env python3
"""Property-based fuzzing of novalite-api over HTTP.

Usage::

    tools/api_fuzz.py http://127.0.0.1:8774 [--seed N] [--max-examples N]
        [--time-budget S] [--auth noauth2|keystone] [--world FILE]

The routes come from the code: every path of the compute API's ``ROUTES``
(``novalite/api/openstack/compute/routes.py``) under ``/v2.1`` (and now and
then ``/v2`` or an unknown prefix), the image API's ``ROUTES``
(``novalite/api/glance.py``) under ``/image/v2``, and the version documents.
:func:`uncovered` names every route, path parameter, body or server action
this module does not know how to fill; the functional test fails on any, so
a new route cannot be left out of the fuzzing.

Each request is drawn by hypothesis: a caller (two projects' members, a
reader, the admin, no token, odd tokens and roles), a route and method,
path ids (the caller's own resources, another project's, random and
hostile ones), query strings (each route's filters with hostile values and
repeated keys), headers (microversions, content types) and a body (a valid
shape drawn from the route's JSON schema, then often mutated: wrong types,
NaN and Infinity as raw JSON text, huge numbers and strings, deep nesting,
broken JSON).

Every answer is checked: no 5xx (501 with Nova's body is a deliberate
answer); no traceback or Python path in the body; Nova's fault body
``{name: {"code": N, "message": "..."}}`` on every 4xx of the compute API;
no 2xx that shows another project's resource (the names, ids and values
:func:`setup_world` gave each project's resources, unless the request
itself carried them); the version documents without a token; no 2xx
without a token; no write by a reader. With ``--auth keystone`` the API is
expected to have an identity service it cannot reach: 401 without a token,
503 (never 500) with one, version documents still served.

Requests are sent one after the other. Resources the fuzzing must keep
(the fixtures of both projects) are never the target of a DELETE, and
quotas are only changed for projects no caller belongs to, so a run stays
bounded. The run prints the requests sent, a status histogram and each
failure class with a repro line, and exits 1 on any failure.
"""

import argparse
import collections
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from hypothesis import HealthCheck  # noqa: E402
from hypothesis import Phase  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from novalite.api import glance  # noqa: E402
from novalite.api.openstack import api_version  # noqa: E402
from novalite.api.openstack import faults  # noqa: E402
from novalite.api.openstack.compute import quota_sets  # noqa: E402
from novalite.api.openstack.compute import routes  # noqa: E402
from novalite.api.openstack.compute import server_actions  # noqa: E402
from novalite.api.openstack.compute import server_groups  # noqa: E402
from novalite.api.openstack.compute.schemas import flavors as flavor_schema  # noqa: E402,E501
from novalite.api.openstack.compute.schemas import keypairs as kp_schema  # noqa: E402,E501
from novalite.api.openstack.compute.schemas import servers as srv_schema  # noqa: E402,E501
from novalite.api.openstack.compute.schemas import services as svc_schema  # noqa: E402,E501

PROJECTS = ('fuzzp1', 'fuzzp2')
USERS = {'fuzzp1': 'fuzzu1', 'fuzzp2': 'fuzzu2'}
COMPUTE_PREFIX = '/v2.1'
IMAGE_PREFIX = '/image/v2'
# Served without a token (Nova's and Glance's version documents).
VERSION_DOCS = ('/', '/v2', '/v2.1', '/image/', '/image/versions')
BODY_LIMIT = 114688  # [wsgi] max_request_body_size's default
TRACE_MARKERS = (b'Traceback (most recent', b'File "', b'.py", line',
                 b'site-packages', b'/novalite/')
FAULT_NAMES = set(faults.FAULT_NAMES.values()) | {'computeFault'}

# -- what each path parameter holds ------------------------------------------

PARAM_KINDS = {
    'server_id': 'server', 'network_label': 'network', 'key': 'meta_key',
    'request_id': 'action', 'flavor_id': 'flavor',
    'keypair_name': 'keypair', 'image_id': 'image', 'tenant_id': 'project',
    'service_id': 'service', 'hypervisor_id': 'hypervisor',
    'hypervisor_hostname_pattern': 'hypervisor_host',
    'server_group_id': 'server_group',
    # The removed APIs' ids: anything.
    'id': 'any', 'action': 'any', 'entry': 'any',
}
ROUTE_PARAM_KINDS = {
    '/flavors/{flavor_id}/os-extra_specs/{key}': {'key': 'spec_key'},
}

# -- the query parameters each list knows -------------------------------------

_SERVER_FILTERS = ('name', 'status', 'image', 'flavor', 'ip', 'ip6',
                   'changes-since', 'all_tenants', 'reservation_id', 'host',
                   'node', 'project_id', 'tenant_id', 'user_id', 'key_name',
                   'uuid', 'deleted', 'vm_state', 'task_state', 'locked',
                   'availability_zone', 'sort_key', 'sort_dir', 'limit',
                   'marker')
QUERIES = {
    '/servers': _SERVER_FILTERS,
    '/servers/detail': _SERVER_FILTERS,
    '/flavors': ('limit', 'marker', 'is_public', 'minRam', 'minDisk',
                 'sort_key', 'sort_dir'),
    '/flavors/detail': ('limit', 'marker', 'is_public', 'minRam', 'minDisk',
                        'sort_key', 'sort_dir'),
    '/os-keypairs': ('user_id', 'limit', 'marker'),
    '/os-keypairs/{keypair_name}': ('user_id',),
    '/images': ('name', 'status', 'changes-since', 'server', 'type',
                'minRam', 'minDisk', 'limit', 'marker'),
    '/images/detail': ('name', 'status', 'changes-since', 'server', 'type',
                       'minRam', 'minDisk', 'limit', 'marker'),
    '/os-quota-sets/{tenant_id}': ('user_id',),
    '/os-quota-sets/{tenant_id}/detail': ('user_id',),
    '/limits': ('tenant_id', 'reserved'),
    '/os-services': ('host', 'binary'),
    '/os-server-groups': ('all_projects', 'limit', 'offset'),
    '/os-hypervisors': ('limit', 'marker', 'hypervisor_hostname_pattern',
                        'with_servers'),
    '/os-hypervisors/detail': ('limit', 'marker',
                               'hypervisor_hostname_pattern'),
    '/servers/{server_id}/os-instance-actions': ('limit', 'marker',
                                                 'changes-since'),
    IMAGE_PREFIX + '/images': glance._FILTERS + glance._PAGING,
}

# Query values: valid ones of the parameter and hostile ones of any.
_HOSTILE_QUERY = (
    '', ' ', '-1', '0', '2147483648', '18446744073709551616', '9' * 400,
    '1e3', '0x10', 'NaN', 'null', 'true', '%ff', '%00', '..', '\u00fc',
    '\U0001f4a5', 'a{4294967296}', 'a{70000}', '(?a)x', '(' * 300,
    '[', '*', '\\', 'x' * 1500, 'in:', 'in:,,', 'asc:desc', 'created_at:up',
)
_QUERY_VALID = {
    'limit': ('1', '2', '1000'), 'offset': ('0', '1'),
    'status': ('ACTIVE', 'ERROR', 'BUILD', 'DELETED', 'SHUTOFF', 'active'),
    'sort_dir': ('asc', 'desc'),
    'sort_key': ('display_name', 'created_at', 'uuid', 'flavorid', 'name',
                 'memory_mb', 'bogus'),
    'changes-since': ('2020-01-01T00:00:00Z', '2020-01-01',
                      '9999-99-99T99:99:99'),
    'all_tenants': ('', '1', 'true', 'false'),
    'all_projects': ('true', 'false', '1'),
    'deleted': ('true', 'false'), 'locked': ('true', 'false'),
    'is_public': ('true', 'false', 'none', 'None'),
    'name': ('vm', '^secret', '.*', 'fuzz'), 'ip': ('10.', '^10\\.'),
    'ip6': ('::',), 'minRam': ('0', '64'), 'minDisk': ('0', '1'),
    'with_servers': ('true', 'false'),
    'availability_zone': ('nova', 'nova:nohost', '::', 'nova::'),
}


def query_value_kind(name):
    """Path-parameter kind whose ids a query parameter takes, if any."""
    return {'marker': 'server', 'image': 'image', 'flavor': 'flavor',
            'uuid': 'server', 'project_id': 'project',
            'tenant_id': 'project', 'user_id': 'user',
            'host': 'hypervisor_host', 'node': 'hypervisor_host',
            'key_name': 'keypair', 'server': 'server',
            'hypervisor_hostname_pattern': 'hypervisor_host',
            'id': 'image', 'owner': 'project'}.get(name)


# -- JSON values --------------------------------------------------------------

class Raw:
    """JSON text sent as is (``1e999``, ``-Infinity``...)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return 'Raw(%r)' % self.text


def to_json(value):
    """``value`` as JSON bytes; floats nan/inf become NaN/Infinity and
    :class:`Raw` values their text, as a careless client would send."""
    raws = []

    def default(obj):
        if isinstance(obj, Raw):
            raws.append(obj.text)
            return '\x00raw%d\x00' % (len(raws) - 1)
        raise TypeError(obj)
    text = json.dumps(value, allow_nan=True, default=default,
                      ensure_ascii=False)
    for index, raw in enumerate(raws):
        text = text.replace('"\\u0000raw%d\\u0000"' % index, raw)
    return text.encode('utf-8')


_HOSTILE_VALUES = st.sampled_from([
    None, True, False, 0, -1, 1.5, -0.0, 2 ** 31, 2 ** 31 - 1, 2 ** 63,
    10 ** 400, -10 ** 400, float('nan'), float('inf'), float('-inf'),
    Raw('1e999'), Raw('-1e999'), Raw('1' * 5000), '', ' ', '2147483648',
    '-1', 'NaN', '1e999', '\u0000', '\u00fc' * 300, '\U0001f4a5',
    '\udcff'.encode('utf-8', 'surrogatepass').decode('latin-1'),
    'x' * 70000, [], {}, [[]], {'a': None}, '..', '%ff', 'nova:nohost',
    '::', ':', 'nova::', 'nova:fake-1', '2147483647', '0.0.0.0',
]) | st.text(max_size=40) | st.integers() | st.floats()


def _nested(depth, kind):
    value = []
    for _ in range(depth):
        value = [value] if kind == 'list' else {'a': value}
    return value


def schema_values(schema, depth=0):
    """Values valid, or nearly, for a JSON schema (the parts our schemas
    use: type, enum, properties, patternProperties, items, oneOf, pattern,
    formats, bounds)."""
    if not schema:
        return st.none() | st.text(max_size=8)
    if 'enum' in schema:
        return st.sampled_from(schema['enum'])
    if 'oneOf' in schema or 'anyOf' in schema:
        return st.one_of([schema_values(s, depth)
                          for s in schema.get('oneOf') or schema['anyOf']])
    types = schema.get('type', 'object')
    if isinstance(types, list):
        return st.one_of([schema_values(dict(schema, type=t), depth)
                          for t in types])
    if types == 'null':
        return st.none()
    if types == 'boolean':
        return st.booleans()
    if types == 'integer':
        low = max(schema.get('minimum', -2 ** 31), -2 ** 31)
        high = min(schema.get('maximum', 2 ** 31 - 1), 2 ** 31 - 1)
        return st.integers(low, min(high, low + 8)) | st.just(high)
    if types == 'number':
        return st.floats(min_value=0.01, max_value=1000.0)
    if types == 'string':
        return _string_values(schema)
    if types == 'array':
        items = schema.get('items', {})
        return st.lists(schema_values(items, depth + 1),
                        min_size=schema.get('minItems', 0),
                        max_size=min(schema.get('maxItems', 3), 3))
    if depth > 4:
        return st.just({})
    props = schema.get('properties', {})
    required = [k for k in schema.get('required', []) if k in props]
    optional = sorted(set(props) - set(required))
    fixed = st.fixed_dictionaries(
        {k: schema_values(props[k], depth + 1) for k in required},
        optional={k: schema_values(props[k], depth + 1) for k in optional})
    pattern_props = schema.get('patternProperties')
    if not pattern_props:
        return fixed
    key_re, value_schema = sorted(pattern_props.items())[0]
    extra = st.dictionaries(
        st.from_regex(re.compile(key_re), fullmatch=True).filter(
            lambda k: 0 < len(k) < 40),
        schema_values(value_schema, depth + 1),
        min_size=schema.get('minProperties', 0),
        max_size=min(schema.get('maxProperties', 3), 3))
    return st.tuples(fixed, extra).map(lambda t: dict(t[1], **t[0]))


def _string_values(schema):
    fmt = schema.get('format')
    if fmt == 'uuid':
        return st.uuids().map(str)
    if fmt in ('ipv4',):
        return st.ip_addresses(v=4).map(str)
    if fmt in ('ipv6',):
        return st.ip_addresses(v=6).map(str)
    if fmt == 'date-time':
        return st.just('2020-01-01T00:00:00Z')
    if fmt == 'base64':
        return st.sampled_from(['aGVsbG8=', '', 'not base64!'])
    low = schema.get('minLength', 0)
    high = min(schema.get('maxLength', 20), 20)
    plain = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e),
                    min_size=max(low, 1), max_size=max(high, 1))
    if 'pattern' in schema:
        try:
            return st.from_regex(re.compile(schema['pattern']),
                                 fullmatch=True).filter(
                lambda s: low <= len(s) <= max(high, low)) | plain
        except Exception:  # lookarounds hypothesis cannot generate
            return plain
    return plain


@st.composite
def mutated(draw, value):
    """``value`` or a damaged copy of it: a leaf of another type or a
    hostile value, a key dropped or added, the whole wrapped."""
    choice = draw(st.integers(0, 9))
    if choice < 4:
        return value
    if choice < 7:
        return _replace_leaf(draw, value)
    if choice == 7 and isinstance(value, dict) and value:
        inner = dict(value)
        key = draw(st.sampled_from(sorted(inner)))
        if isinstance(inner[key], dict) and inner[key] and draw(
                st.booleans()):
            sub = dict(inner[key])
            sub.pop(draw(st.sampled_from(sorted(sub))))
            inner[key] = sub
        else:
            inner.pop(key)
        return inner
    if choice == 8 and isinstance(value, dict):
        inner = dict(value)
        inner[draw(st.sampled_from(['fuzz', '', '\u00fc', 'server']))] = \
            draw(_HOSTILE_VALUES)
        return inner
    return draw(st.sampled_from([[value], None, 'body', 1,
                                 _nested(100, 'list'),
                                 {'a': _nested(100, 'dict')}]))


def _replace_leaf(draw, value):
    if isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value)))
        copy = dict(value)
        copy[key] = _replace_leaf(draw, value[key]) if draw(
            st.integers(0, 3)) else draw(_HOSTILE_VALUES)
        return copy
    if isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        copy = list(value)
        copy[index] = _replace_leaf(draw, value[index])
        return copy
    return draw(_HOSTILE_VALUES)


_RAW_BODIES = st.sampled_from([
    b'', b'{', b'null', b'[]', b'"x"', b'{"a": NaN}', b'{"a": Infinity}',
    b'\xff\xfe{}', b'\xef\xbb\xbf{}', '{"\u00fc": 1}'.encode('latin-1'),
    b'[' * 20000 + b']' * 20000, b'{"a":' * 5000 + b'1' + b'}' * 5000,
    b'{"a": 1, "a": 2}', b'x' * (BODY_LIMIT + 10),
    b'{"a": "' + b'x' * (BODY_LIMIT - 20) + b'"}',
])

# -- bodies of each (path, method) --------------------------------------------


def _server_create(world, ids):
    schema = srv_schema.create

    def fill(body):
        server = body.setdefault('server', {})
        if isinstance(server, dict):
            server['flavorRef'] = ids('flavor')
            server['imageRef'] = ids('image')
            if 'key_name' in server:
                server['key_name'] = ids('keypair')
            server.pop('personality', None)
            server.pop('block_device_mapping_v2', None)
            server['min_count'] = 1
            server['max_count'] = 1
        return body
    return schema, fill


def _with(schema):
    return lambda world, ids: (schema, lambda body: body)


def _tenant_access(name):
    schema = getattr(flavor_schema, name)
    key = 'addTenantAccess' if name.startswith('add') else \
        'removeTenantAccess'

    def make(world, ids):
        return schema, lambda body: {key: {'tenant': ids('project')}}
    return make


def _service_update(world, ids):
    schema = {'oneOf': [svc_schema.enable_disable,
                        svc_schema.disable_log_reason,
                        svc_schema.force_down,
                        {'type': 'object', 'properties': {
                            'status': {'enum': ['enabled', 'disabled']},
                            'disabled_reason': {'type': 'string'},
                            'forced_down': {'type': 'boolean'}}}]}

    def fill(body):
        if isinstance(body, dict) and 'host' in body:
            body['host'] = ids('hypervisor_host')
            body['binary'] = 'novalite-compute'
        return body
    return schema, fill


BODIES = {
    ('/servers', 'POST'): _server_create,
    ('/servers/{server_id}', 'PUT'): _with(srv_schema.update),
    ('/servers/{server_id}/remote-consoles', 'POST'):
        _with(srv_schema.remote_console_v28),
    ('/servers/{server_id}/metadata', 'POST'): _with(srv_schema.metadata_set),
    ('/servers/{server_id}/metadata', 'PUT'): _with(srv_schema.metadata_set),
    ('/servers/{server_id}/metadata/{key}', 'PUT'):
        _with(srv_schema.metadata_item),
    ('/flavors', 'POST'): _with(flavor_schema.create),
    ('/flavors/{flavor_id}/os-extra_specs', 'POST'):
        _with(flavor_schema.extra_specs_create),
    ('/flavors/{flavor_id}/os-extra_specs/{key}', 'PUT'):
        _with(flavor_schema.extra_spec_update),
    ('/os-keypairs', 'POST'): _with(kp_schema.create_v210),
    ('/os-quota-sets/{tenant_id}', 'PUT'): _with(quota_sets.update_schema),
    ('/os-services/{service_id}', 'PUT'): _service_update,
    ('/os-server-groups', 'POST'): _with(server_groups.create_schema),
}

_RELAXED = {'type': 'object'}
# The body of each server action (``POST /servers/{id}/action``).
ACTION_BODIES = {
    'os-start': {'enum': [None]}, 'os-stop': {'enum': [None]},
    'reboot': srv_schema.reboot['properties']['reboot'],
    'pause': {'enum': [None]}, 'unpause': {'enum': [None]},
    'suspend': {'enum': [None]}, 'resume': {'enum': [None]},
    'lock': {'enum': [None, {}, {'locked_reason': 'fuzz'}]},
    'unlock': {'enum': [None]},
    'os-getConsoleOutput':
        srv_schema.get_console_output['properties']['os-getConsoleOutput'],
    'os-getVNCConsole':
        srv_schema.get_vnc_console['properties']['os-getVNCConsole'],
    'os-getSPICEConsole': {'enum': [{'type': 'spice-html5'}]},
    'os-getRDPConsole': {'enum': [{'type': 'rdp-html5'}]},
    'os-getSerialConsole': {'enum': [{'type': 'serial'}]},
}
FLAVOR_ACTIONS = {'addTenantAccess': _tenant_access('add_tenant_access'),
                  'removeTenantAccess': _tenant_access('remove_tenant_access')}


def compute_routes():
    """``[(path, methods, gone)]`` of the compute API."""
    gone = set(routes.REMOVED)
    return [(path, sorted(methods), path in gone)
            for path, methods in sorted(routes.ROUTES.items())]


def all_routes():
    """``[(prefix, path, methods, gone)]``: compute, image and versions."""
    result = [(COMPUTE_PREFIX, p, m, g) for p, m, g in compute_routes()]
    result += [(IMAGE_PREFIX, p, sorted(m), False)
               for p, m in sorted(glance.ROUTES.items())]
    result += [('', p, ['GET'], False) for p in VERSION_DOCS]
    return result


def route_params(path):
    return re.findall(r'{([^}]+)}', path)


def param_kind(path, name):
    return ROUTE_PARAM_KINDS.get(path, {}).get(name) or \
        PARAM_KINDS.get(name)


def uncovered():
    """What the fuzzer does not know how to fill: ``["why", ...]``."""
    missing = []
    for prefix, path, methods, gone in all_routes():
        for name in route_params(path):
            if param_kind(path, name) is None:
                missing.append('%s%s: no id kind for {%s}'
                               % (prefix, path, name))
        if gone or prefix != COMPUTE_PREFIX:
            continue
        for method in methods:
            if method in ('POST', 'PUT') and (path, method) not in BODIES \
                    and path not in ('/servers/{server_id}/action',
                                     '/flavors/{flavor_id}/action'):
                missing.append('%s %s%s: no body' % (method, prefix, path))
    for name in sorted(set(server_actions.ACTIONS) - set(ACTION_BODIES)):
        missing.append('server action %s: no body' % name)
    for (path, method) in sorted(BODIES):
        if method not in routes.ROUTES.get(path, {}):
            missing.append('%s %s: a body for a route that is gone'
                           % (method, path))
    for path in sorted(QUERIES):
        if path not in routes.ROUTES and not path.startswith(IMAGE_PREFIX):
            missing.append('%s: query parameters of a route that is gone'
                           % path)
    return missing


# -- the requests --------------------------------------------------------------

class Request:
    """One HTTP request and what the checks need to know about it."""

    def __init__(self, method, path, headers, body, route, identity):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.route = route
        self.identity = identity  # (project or None, is_admin, is_reader)

    def text(self):
        """Everything the request carried, for the echo test."""
        parts = [urllib.parse.unquote(self.path, errors='replace')]
        parts += [v if isinstance(v, str) else v.decode('latin-1')
                  for _k, v in self.headers]
        parts.append((self.body or b'').decode('utf-8', 'replace'))
        return '\n'.join(parts)

    def repro(self, limit=300):
        """A curl line; a run of one character longer than 12 is shown
        as ``<'x'*N>``."""
        headers = ' '.join('-H %r' % _short('%s: %s' % (
            k, v if isinstance(v, str) else v.decode('latin-1')))
            for k, v in self.headers)
        body = ''
        if self.body:
            shown = _short(self.body.decode('utf-8', 'replace'))
            body = ' --data-binary %r%s' % (
                shown[:limit], '' if len(shown) <= limit
                else ' (%d bytes in all)' % len(self.body))
        return 'curl -g -X %s %r %s%s' % (
            self.method, '$URL' + _short(self.path), headers, body)


def _short(text):
    return re.sub(r'(.)\1{12,}', lambda m: "<%r*%d>" % (
        m.group(1), len(m.group(0))), text)


def identity_of(token, roles):
    """``(project, is_admin, is_reader_only)`` as noauth2 makes it."""
    if token is None or not token.strip():
        return (None, False, False)
    user, _sep, project = token.strip().partition(':')
    project = project or user
    if roles is None:
        roles = ['admin', 'member', 'reader'] if user == 'admin' \
            else ['member', 'reader']
    lowered = [r.strip().lower() for r in roles if r.strip()]
    is_admin = 'admin' in lowered
    reader_only = not is_admin and 'member' not in lowered
    return (project, is_admin, reader_only)


_CALLERS = [
    ('fuzzu1:fuzzp1', None), ('fuzzu2:fuzzp2', None),
    ('fuzzr1:fuzzp1', 'reader'), ('admin:admin', None), (None, None),
    ('fuzzu2:fuzzp2', 'member'), ('fuzzu1:fuzzp1', 'ADMIN,reader'),
    (':fuzzp2', None), ('fuzzu1:', None), (':', None), (' ', None),
    ('x' * 3000, None), ('\u00fc:fuzzp1', None), ('fuzzu1:fuzzp1', ''),
    ('fuzzu1:fuzzp1', ',,'), ('fuzzu1:fuzzp1', 'reader,\u00fc'),
]
_VERSIONS = ['2.1', '2.2', '2.5', '2.6', '2.8', '2.10',
             api_version.MAX_VERSION, 'latest', '2.0', '3.0', '1.0',
             '2.99', '2.' + '1' * 5000, '2.-1', '2.01', '2', '', 'garbage',
             '2.1.1', '\u00fc', '99999999999999999999.1']
_CONTENT_TYPES = ['application/json', 'application/json; charset=UTF-8',
                  'text/plain', 'application/xml', '', 'application/json; '
                  'charset=latin-1', 'multipart/form-data; boundary=x',
                  'application/x-www-form-urlencoded', '\u00fc/json']
_HOSTILE_IDS = ['%ff', '%ff%fe', '..', '%2e%2e', '.', '%00', '%20', 'x' * 300,
                '9' * 30, '-1', '0', '2147483648', '18446744073709551616',
                '%C3%BC', '%F0%9F%92%A5', 'detail', 'action', 'null',
                '%25ff', '%5c', 'a%2Fb', '%20a', '1' * 2000, '%3B', '*']


class World:
    """The fixtures: ids of each project's resources and shared ones,
    and the strings only each project may see."""

    def __init__(self, data):
        self.data = data

    def ids(self, project, kind):
        if kind in ('project', 'user'):
            return list(self.data['shared'].get(kind, []))
        per = self.data['projects'].get(project or '', {})
        return list(per.get(kind, []))

    def shared(self, kind):
        return list(self.data['shared'].get(kind, []))

    def secrets(self):
        return {p: v.get('secrets', [])
                for p, v in self.data['projects'].items()}

    def protected(self):
        """Ids a DELETE must never name (the fixtures)."""
        found = set()
        for per in self.data['projects'].values():
            for kind, values in per.items():
                if kind != 'secrets':
                    found.update(values)
        for kind in ('flavor', 'service', 'image'):
            found.update(self.shared(kind))
        return found


def _quote(value):
    return urllib.parse.quote(str(value), safe='')


@st.composite
def id_values(draw, world, kind, project, other):
    """An id of ``kind``: the caller's own, another project's, a shared
    one, random or hostile; returned as the (quoted) text."""
    own = world.ids(project, kind) + world.shared(kind)
    theirs = world.ids(other, kind)
    choices = ['random', 'hostile']
    if own:
        choices += ['own'] * 4
    if theirs:
        choices += ['other'] * 3
    choice = draw(st.sampled_from(choices))
    if choice == 'own':
        return draw(st.sampled_from(own))
    if choice == 'other':
        return draw(st.sampled_from(theirs))
    if choice == 'random':
        return draw(st.uuids().map(str) | st.text(min_size=1, max_size=20))
    return draw(st.sampled_from(_HOSTILE_IDS))


@st.composite
def query_strings(draw, world, path, project, other):
    names = QUERIES.get(path, ())
    if not names or draw(st.integers(0, 3)) == 0:
        names = names + ('limit', 'marker', 'fuzz', '\u00fc', '')
    pairs = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(names))
        kind = query_value_kind(name)
        pick = draw(st.integers(0, 4))
        if pick < 2 and name in _QUERY_VALID:
            value = draw(st.sampled_from(_QUERY_VALID[name]))
        elif pick < 3 and kind:
            value = draw(id_values(world, kind, project, other))
            value = urllib.parse.unquote(value)
        elif pick < 4:
            value = draw(st.sampled_from(_HOSTILE_QUERY))
        else:
            value = draw(st.text(max_size=20))
        repeat = draw(st.sampled_from([1, 1, 1, 2, 3]))
        pairs += [(name, value)] * repeat
    if not pairs:
        return ''
    text = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
    if draw(st.integers(0, 15)) == 0:
        text += draw(st.sampled_from(['&name=%ff', '&%ff=1', '&&', '&=',
                                      '&limit', ';limit=1', '&a=%']))
    return '?' + text


@st.composite
def bodies(draw, world, path, method, ids):
    """Bytes of the body, or None."""
    if draw(st.integers(0, 11)) == 0:
        return draw(_RAW_BODIES)
    value = None
    if path == '/servers/{server_id}/action':
        name = draw(st.sampled_from(sorted(ACTION_BODIES)) |
                    st.sampled_from(['bogus', 'resize', 'os-migrateLive']))
        inner = draw(schema_values(ACTION_BODIES.get(name, {})))
        value = {name: inner}
    elif path == '/flavors/{flavor_id}/action':
        name = draw(st.sampled_from(sorted(FLAVOR_ACTIONS)))
        _schema, fill = FLAVOR_ACTIONS[name](world, ids)
        value = fill({})
    elif (path, method) in BODIES:
        schema, fill = BODIES[(path, method)](world, ids)
        value = fill(draw(schema_values(schema)))
    elif method in ('POST', 'PUT', 'PATCH'):
        value = draw(st.none() | st.just({}) | _HOSTILE_VALUES)
    else:
        if draw(st.integers(0, 5)):
            return None
        value = draw(_HOSTILE_VALUES)
    return to_json(draw(mutated(value)))


@st.composite
def requests_of(draw, world, mode='noauth2'):
    """A whole request: caller, route, method, ids, query, headers, body."""
    token, roles = draw(st.sampled_from(_CALLERS))
    if mode == 'keystone' and token and ':' in token and draw(st.booleans()):
        token = draw(st.sampled_from(['gAAAAAB' + 'x' * 180, uuid.uuid4().hex,
                                      'garbage']))
    project, is_admin, reader_only = identity_of(token, roles and
                                                 roles.split(','))
    other = [p for p in PROJECTS if p != project]
    other = other[0] if project in PROJECTS else draw(st.sampled_from(
        PROJECTS))
    live = [r for r in all_routes() if not r[3]]
    gone_routes = [r for r in all_routes() if r[3]]
    prefix, path, methods, gone = draw(
        st.sampled_from(gone_routes) if draw(st.integers(0, 15)) == 0
        else st.sampled_from(live))
    if prefix == COMPUTE_PREFIX:
        prefix = draw(st.sampled_from(['/v2.1'] * 12 + ['/v2', '/v3',
                                                         '/v2.1/%ff', '']))
    pick = draw(st.integers(0, 9))
    method = draw(st.sampled_from(methods)) if pick < 8 else draw(
        st.sampled_from(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD',
                         'OPTIONS']))

    def ids(kind):
        return urllib.parse.unquote(draw(id_values(world, kind, project,
                                                   other)))
    segments = {}
    for name in route_params(path):
        kind = param_kind(path, name)
        value = draw(id_values(world, kind, project, other))
        if method == 'DELETE' and (is_admin or project == other) and \
                urllib.parse.unquote(value) in world.protected():
            value = str(uuid.UUID(int=draw(st.integers(1, 2 ** 64))))
        if kind == 'project' and method == 'PUT':
            # Never change the quotas of a project that is fuzzed.
            value = draw(st.sampled_from(['fuzzq%d' % draw(
                st.integers(0, 3))] + _HOSTILE_IDS[:4]))
        segments[name] = value if value in _HOSTILE_IDS else _quote(value)
    url = prefix + re.sub(r'{([^}]+)}', lambda m: segments[m.group(1)],
                          path)
    if path == '/' and prefix:
        url = prefix + '/'
    url = url or '/'
    url += draw(query_strings(world, path if prefix != IMAGE_PREFIX
                              else prefix + path, project, other))
    headers = []
    if token is not None:
        headers.append(('X-Auth-Token', token))
    if roles is not None:
        headers.append(('X-Roles', roles))
    version_header = draw(st.integers(0, 4))
    if version_header in (1, 2):
        headers.append(('OpenStack-API-Version', 'compute %s' % draw(
            st.sampled_from(_VERSIONS))))
    elif version_header == 3:
        headers.append(('X-OpenStack-Nova-API-Version',
                        draw(st.sampled_from(_VERSIONS))))
    elif version_header == 4 and draw(st.booleans()):
        headers.append(('OpenStack-API-Version', draw(st.sampled_from(
            ['volume 2.1', 'compute', 'compute  latest', 'COMPUTE 2.5',
             'compute 2.1, compute 2.5']))))
    if draw(st.integers(0, 9)) == 0:
        headers.append(('Accept', draw(st.sampled_from(
            ['application/xml', '*/*', 'text/html', '\u00fc']))))
    body = draw(bodies(world, path, method, ids))
    if body is not None:
        ctype = 'application/json' if draw(st.integers(0, 4)) else \
            draw(st.sampled_from(_CONTENT_TYPES))
        if ctype:
            headers.append(('Content-Type', ctype))
    headers = [(k, v.encode('utf-8')) if any(ord(c) > 255 for c in v) else
               (k, v) for k, v in headers]
    return Request(method, url, headers, body, (prefix, path),
                   (project, is_admin, reader_only))


# -- sending and checking -------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


class Client:
    """Keep-alive HTTP/1.1 to one base URL; reconnects when the server
    closes the connection."""

    def __init__(self, base_url, timeout=60):
        parsed = urllib.parse.urlsplit(base_url)
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.timeout = timeout
        self.conn = None

    def _send(self, req):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port,
                                                   timeout=self.timeout)
        conn = self.conn
        conn.putrequest(req.method, req.path, skip_accept_encoding=True)
        for key, value in req.headers:
            conn.putheader(key, value)
        body = req.body
        if body is not None:
            conn.putheader('Content-Length', str(len(body)))
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (413) and closed; read it
        resp = conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.close()
        return Response(resp.status, dict(resp.getheaders()), data)

    def send(self, req):
        """A :class:`Response`; None when the server gave none twice."""
        for _attempt in range(2):
            try:
                return self._send(req)
            except (http.client.HTTPException, OSError):
                self.close()
        return None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _json(body):
    try:
        return json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        return None


def _is_version_doc(req):
    prefix, path = req.route
    return prefix == '' and req.method == 'GET' and \
        req.path.split('?')[0] in ('/', '/v2', '/v2.1', '/image/',
                                   '/image/versions')


def check(req, resp, world, mode='noauth2'):
    """``[(kind, detail)]``: what is wrong with the answer to ``req``."""
    if resp is None:
        return [('no answer', 'the connection closed without a response')]
    problems = []
    status = resp.status
    body = resp.body
    compute = not req.path.startswith('/image')
    fault = _json(body) if body else None
    if any(marker in body for marker in TRACE_MARKERS):
        problems.append(('traceback', 'python internals in the body'))
    if status >= 500:
        deliberate = (status == 501 and isinstance(fault, dict) and
                      'notImplemented' in fault) or (
            status == 503 and mode == 'keystone')
        if not deliberate:
            problems.append(('5xx', 'status %d' % status))
    # 414 comes from the HTTP server itself (eventlet's request-line
    # limit), before any of the API's code, as Nova's would.
    if compute and 400 <= status < 500 and status != 414 and \
            req.method != 'HEAD' and not (
                mode == 'keystone' and status == 401):
        expected = faults.FAULT_NAMES.get(status, 'computeFault')
        if not (isinstance(fault, dict) and len(fault) == 1 and
                isinstance(fault.get(expected), dict) and
                fault[expected].get('code') == status and
                isinstance(fault[expected].get('message'), str)):
            problems.append(('fault shape', 'not {"%s": {"code": %d, '
                             '"message": ...}}' % (expected, status)))
    if _is_version_doc(req) and status in (401, 403, 404, 405):
        problems.append(('version document', 'status %d' % status))
    project, is_admin, reader_only = req.identity
    authed_route = not _is_version_doc(req) and req.route[0] != '' and \
        req.path.split('?')[0] not in ('/image', '/image/')
    if 200 <= status < 300 and authed_route:
        if mode == 'keystone':
            problems.append(('authenticated without identity',
                             'status %d though the identity service is '
                             'unreachable' % status))
        elif project is None:
            problems.append(('no token', 'status %d without a token'
                             % status))
        elif reader_only and req.method in ('POST', 'PUT', 'DELETE') and \
                not req.route[1].startswith('/os-keypairs'):
            problems.append(('reader wrote', 'status %d for a reader'
                             % status))
        if not is_admin and mode != 'keystone':
            sent = req.text()
            text = body.decode('utf-8', 'replace')
            for owner, secrets in world.secrets().items():
                if owner == project:
                    continue
                leaked = [s for s in secrets if s in text and s not in sent]
                if leaked:
                    problems.append(('cross-project read',
                                     '%s of project %s shown to %s'
                                     % (leaked[0], owner, project)))
                    break
    if mode == 'keystone' and authed_route and status < 400 and \
            status != 300:
        pass  # reported above for 2xx
    if mode == 'keystone' and authed_route and 400 <= status:
        has_token = any(k == 'X-Auth-Token' and (v.strip() if isinstance(
            v, str) else v.strip()) for k, v in req.headers)
        allowed = {400, 404, 405, 413, 414}  # refused before auth
        allowed |= {401, 503} if has_token else {401}
        if status not in allowed:
            problems.append(('keystone status', 'status %d (token %s)' % (
                status, 'given' if has_token else 'absent')))
    return problems


class Stats:
    """Counts and failure classes of a run."""

    def __init__(self):
        self.sent = 0
        self.statuses = collections.Counter()
        self.failures = collections.OrderedDict()
        self.failed_requests = 0

    def record(self, req, resp, problems):
        self.sent += 1
        self.statuses[resp.status if resp else 'none'] += 1
        if problems:
            self.failed_requests += 1
        for kind, detail in problems:
            key = (kind, req.method, req.route[0] + req.route[1],
                   resp.status if resp else None)
            entry = self.failures.setdefault(key, {
                'count': 0, 'detail': detail, 'repro': req.repro(),
                'status': resp.status if resp else None,
                'body': (resp.body[:300] if resp else b'').decode(
                    'utf-8', 'replace')})
            entry['count'] += 1

    def histogram(self):
        return ', '.join('%s: %d' % (k, v) for k, v in sorted(
            self.statuses.items(), key=lambda kv: str(kv[0])))

    def report(self):
        lines = ['requests sent: %d' % self.sent,
                 'status histogram: %s' % self.histogram(),
                 'failure classes: %d (%d failing requests)' % (
                     len(self.failures), self.failed_requests)]
        for (kind, method, route, status), entry in self.failures.items():
            lines.append('- %s: %s %s -> %s (%s; %d times)' % (
                kind, method, route, status, entry['detail'],
                entry['count']))
            lines.append('  repro: %s' % entry['repro'])
            lines.append('  body: %s' % entry['body'])
        return '\n'.join(lines)


def run(base_url, world, seed=0, max_examples=3000, time_budget=180.0,
        mode='noauth2'):
    """Fuzz ``base_url``; returns the :class:`Stats`. Deterministic for a
    seed and the same fixtures (hypothesis' database is not used)."""
    if not isinstance(world, World):
        world = World(world)
    stats = Stats()
    client = Client(base_url)
    deadline = time.monotonic() + time_budget

    @hypothesis_seed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(
                  HealthCheck), report_multiple_bugs=False)
    @given(requests_of(world, mode))
    def one(req):
        if time.monotonic() > deadline:
            return
        resp = client.send(req)
        stats.record(req, resp, check(req, resp, world, mode))
    try:
        one()
    finally:
        client.close()
    return stats


# -- the fixtures ----------------------------------------------------------------

def _call(base_url, method, path, token, body=None, version='2.11'):
    import requests
    headers = {'X-Auth-Token': token,
               'OpenStack-API-Version': 'compute %s' % version}
    resp = requests.request(method, base_url + COMPUTE_PREFIX + path,
                            json=body, headers=headers, timeout=60)
    if resp.status_code >= 400:
        raise RuntimeError('%s %s: %d %s' % (method, path, resp.status_code,
                                             resp.text[:500]))
    return resp.json() if resp.content else None


def setup_world(base_url, image_id=None, servers_per_project=2,
                timeout=90):
    """Create both projects' fixtures through the API (noauth2): a public
    and a private flavor (the private one for project 1 only, with an
    extra spec), and per project a keypair, a server group and servers
    with metadata. Returns the fixture data :class:`World` wraps."""
    tag = uuid.uuid4().hex[:8]
    admin = 'admin:admin'
    public = 'fuzz-tiny-%s' % tag
    private = 'fuzz-priv-%s' % tag
    _call(base_url, 'POST', '/flavors', admin, {'flavor': {
        'name': public, 'id': public, 'ram': 64, 'vcpus': 1, 'disk': 0}})
    private_name = 'secret-fuzzp1-flavor-%s' % tag
    _call(base_url, 'POST', '/flavors', admin, {'flavor': {
        'name': private_name, 'id': private, 'ram': 64, 'vcpus': 1,
        'disk': 0, 'os-flavor-access:is_public': False}})
    _call(base_url, 'POST', '/flavors/%s/action' % private, admin,
          {'addTenantAccess': {'tenant': 'fuzzp1'}})
    spec_value = 'secret-fuzzp1-spec-%s' % tag
    _call(base_url, 'POST', '/flavors/%s/os-extra_specs' % private, admin,
          {'extra_specs': {'fuzz:spec': spec_value}})
    images = [i['id'] for i in _call(base_url, 'GET', '/images',
                                     admin)['images']]
    if image_id and image_id not in images:
        images.append(image_id)
    data = {'projects': {}, 'shared': {
        'flavor': [public], 'image': images, 'project': list(PROJECTS),
        'user': list(USERS.values()), 'network': ['private', 'public'],
        'spec_key': ['fuzz:spec']}}
    all_servers = []
    for project in PROJECTS:
        token = '%s:%s' % (USERS[project], project)
        secrets = []
        per = {'server': [], 'keypair': [], 'server_group': [],
               'meta_key': ['fuzzkey'], 'action': [], 'secrets': secrets}
        if project == 'fuzzp1':
            per['flavor'] = [private]
            secrets += [private, private_name, spec_value]
        kp = _call(base_url, 'POST', '/os-keypairs', token, {
            'keypair': {'name': 'fuzz-kp-%s-%s' % (project, tag)}})
        per['keypair'].append(kp['keypair']['name'])
        secrets += [kp['keypair']['name'], kp['keypair']['fingerprint']]
        group = _call(base_url, 'POST', '/os-server-groups', token, {
            'server_group': {'name': 'secret-%s-group-%s' % (project, tag),
                             'policies': ['anti-affinity']}})
        per['server_group'].append(group['server_group']['id'])
        secrets += [group['server_group']['id'],
                    group['server_group']['name']]
        for index in range(servers_per_project):
            name = 'secret-%s-vm%d-%s' % (project, index, tag)
            meta = 'secret-%s-meta%d-%s' % (project, index, tag)
            flavor = private if project == 'fuzzp1' and index == 0 \
                else public
            server = {'name': name, 'flavorRef': flavor,
                      'metadata': {'fuzzkey': meta},
                      'key_name': kp['keypair']['name']}
            if images:
                server['imageRef'] = images[0]
            created = _call(base_url, 'POST', '/servers', token,
                            {'server': server})['server']
            per['server'].append(created['id'])
            secrets += [created['id'], name, meta]
            all_servers.append((token, created['id']))
        data['projects'][project] = per
    deadline = time.monotonic() + timeout
    for token, server_id in all_servers:
        while time.monotonic() < deadline:
            status = _call(base_url, 'GET', '/servers/%s' % server_id,
                           token)['server']['status']
            if status != 'BUILD':
                break
            time.sleep(0.5)
    for project in PROJECTS:
        per = data['projects'][project]
        token = '%s:%s' % (USERS[project], project)
        for server_id in per['server']:
            actions = _call(base_url, 'GET', '/servers/%s/os-instance-actions'
                            % server_id, token)['instanceActions']
            per['action'] += [a['request_id'] for a in actions]
    hypervisors = _call(base_url, 'GET', '/os-hypervisors', admin)
    data['shared']['hypervisor'] = [
        str(h['id']) for h in hypervisors['hypervisors']]
    data['shared']['hypervisor_host'] = [
        h['hypervisor_hostname'] for h in hypervisors['hypervisors']]
    services = _call(base_url, 'GET', '/os-services', admin)['services']
    data['shared']['service'] = [str(s['id']) for s in services]
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('base_url', help='novalite-api, e.g. '
                        'http://127.0.0.1:8774')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--max-examples', type=int, default=20000)
    parser.add_argument('--time-budget', type=float, default=1800,
                        help='seconds; the run stops sending after them')
    parser.add_argument('--auth', choices=('noauth2', 'keystone'),
                        default='noauth2',
                        help='keystone: an API whose identity service '
                             'cannot be reached')
    parser.add_argument('--world', help='fixtures as JSON (from an earlier '
                        '--world-out); default: create them (noauth2 only)')
    parser.add_argument('--world-out', help='write the fixtures here')
    parser.add_argument('--image', help='an image id servers boot from')
    args = parser.parse_args(argv)
    missing = uncovered()
    if missing:
        print('routes the fuzzer cannot fill:\n  ' + '\n  '.join(missing))
        return 2
    base = args.base_url.rstrip('/')
    if args.world:
        with open(args.world) as fh:
            world = json.load(fh)
    elif args.auth == 'keystone':
        world = {'projects': {p: {} for p in PROJECTS},
                 'shared': {'project': list(PROJECTS)}}
    else:
        world = setup_world(base, image_id=args.image)
    if args.world_out:
        with open(args.world_out, 'w') as fh:
            json.dump(world, fh, indent=1)
    start = time.monotonic()
    stats = run(base, world, seed=args.seed, max_examples=args.max_examples,
                time_budget=args.time_budget, mode=args.auth)
    print(stats.report())
    print('elapsed: %.1f s' % (time.monotonic() - start))
    return 1 if stats.failures else 0


if __name__ == '__main__':
    sys.exit(main())
