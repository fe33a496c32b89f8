"""What the metadata API tells an instance about itself, as Nova tells it.

:class:`InstanceMetadata` holds one instance's metadata in the two trees Nova
serves: the OpenStack tree (``/openstack/<version>/meta_data.json``,
``user_data``, ``password`` (GET and, once, POST), ``vendor_data.json``,
``network_data.json``,
``vendor_data2.json``) and the EC2 tree (``/<version>/meta-data/...``,
``/<version>/user-data``). :meth:`InstanceMetadata.lookup` walks a request
path through them; :func:`format_listing` renders a directory the way Nova
does (one entry a line, sub-directories with a trailing ``/``, public keys
as ``0=name``). No web framework here: the WSGI side is
:mod:`novalite.api.metadata.handler`.
"""

import base64
import json
import os
import posixpath
import uuid

import netaddr
from oslo_log import log as logging

from novalite import conf
from novalite import exception

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# EC2 API versions (the root listing), oldest first.
EC2_VERSIONS = ('1.0', '2007-01-19', '2007-03-01', '2007-08-29',
                '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01',
                '2009-04-04')
FOLSOM = '2012-08-10'
GRIZZLY = '2013-04-04'
HAVANA = '2013-10-17'
LIBERTY = '2015-10-15'
NEWTON_ONE = '2016-06-30'
NEWTON_TWO = '2016-10-06'
OCATA = '2017-02-22'
ROCKY = '2018-08-27'
VICTORIA = '2020-10-14'
OPENSTACK_VERSIONS = (FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE,
                      NEWTON_TWO, OCATA, ROCKY, VICTORIA)

MD_JSON = 'meta_data.json'
UD = 'user_data'
PASSWORD = 'password'
VD_JSON = 'vendor_data.json'
NW_JSON = 'network_data.json'
VD2_JSON = 'vendor_data2.json'
JSON_NAMES = (MD_JSON, VD_JSON, NW_JSON, VD2_JSON)

MIME_TEXT = 'text/plain'
MIME_JSON = 'application/json'


class InvalidMetadataPath(exception.NotFound):
    msg_fmt = 'The metadata path %(path)s does not exist.'


def ec2_id(prefix, value):
    """An EC2-style id (``i-0000002a``) for an integer or a uuid.

    Nova keeps a table mapping image uuids to EC2 integers; novalite takes
    the first 32 bits of the uuid, which is stable across requests."""
    if isinstance(value, int):
        return '%s-%08x' % (prefix, value)
    return '%s-%s' % (prefix, str(value).replace('-', '')[:8])


def format_listing(data):
    """Nova's plain-text rendering of a tree node."""
    if isinstance(data, dict):
        lines = []
        for key in sorted(data):
            if key == '_name':
                continue
            value = data[key]
            if isinstance(value, dict):
                lines.append(str(value['_name']) if '_name' in value
                             else key + '/')
            else:
                lines.append(key)
        return '\n'.join(lines)
    if isinstance(data, (list, tuple)):
        return '\n'.join(str(item) for item in data)
    if isinstance(data, bytes):
        return data
    return str(data)


def _walk(tree, tokens):
    for token in tokens:
        if isinstance(tree, dict) and token in tree:
            tree = tree[token]
        elif isinstance(tree, list) and token.isdigit() and \
                int(token) < len(tree):
            tree = tree[int(token)]
        else:
            raise KeyError(token)
    return tree


def load_vendordata():
    """The JSON of ``[api] vendordata_jsonfile_path`` ({} when unset or
    unreadable, as Nova)."""
    path = CONF.api.vendordata_jsonfile_path
    if not path:
        return {}
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        LOG.warning('Cannot read vendordata from %s: %s', path, exc)
        return {}
    return data if isinstance(data, dict) else {}


class InstanceMetadata:
    """The metadata of one instance, as the address ``address`` asks."""

    def __init__(self, instance, address=None, vendordata=None):
        self.instance = instance
        self.address = address
        self.vifs = self._vifs(instance)
        self.fixed_ip = (self.vifs[0]['address'] if self.vifs
                         else address)
        self.vendordata = load_vendordata() if vendordata is None \
            else vendordata
        self.mimetype = MIME_TEXT
        raw = instance.user_data
        self.userdata_raw = None
        if raw:
            try:
                self.userdata_raw = base64.b64decode(raw)
            except (TypeError, ValueError):
                LOG.warning('Undecodable user_data of %s', instance.uuid)

    @staticmethod
    def _vifs(instance):
        try:
            vifs = json.loads(instance.network_info or '[]')
        except (TypeError, ValueError):
            return []
        return [v for v in vifs if isinstance(v, dict) and v.get('address')]

    # -- common values --------------------------------------------------------

    @property
    def uuid(self):
        return self.instance.uuid

    @property
    def hostname(self):
        name = self.instance.hostname or self.instance.display_name or ''
        if CONF.api.dhcp_domain:
            return '%s.%s' % (name, CONF.api.dhcp_domain)
        return name

    @property
    def availability_zone(self):
        return self.instance.availability_zone or \
            CONF.default_availability_zone

    def _keys(self):
        if not self.instance.key_name:
            return []
        return [{'name': self.instance.key_name, 'type': 'ssh',
                 'data': self.instance.key_data or ''}]

    # The password a guest posted (encrypted by the guest with its key),
    # kept in system metadata in 255-character chunks, as Nova keeps it.
    PASSWORD_CHUNKS = 4
    PASSWORD_MAX = 256

    @property
    def password(self):
        sysmeta = self.instance.system_metadata or {}
        return ''.join(sysmeta.get('password_%d' % i) or ''
                       for i in range(self.PASSWORD_CHUNKS))

    def password_updates(self, password):
        """The system metadata that stores ``password`` (text)."""
        return {'password_%d' % i: password[i * 255:(i + 1) * 255]
                for i in range(self.PASSWORD_CHUNKS)}

    def is_password_path(self, path):
        """True for ``/openstack/<version>/password`` of a version that
        has it."""
        tokens = [t for t in posixpath.normpath(
            '/' + (path or '').lstrip('/')).split('/') if t]
        if len(tokens) != 3 or tokens[0] != 'openstack' or \
                tokens[2] != PASSWORD:
            return False
        version = OPENSTACK_VERSIONS[-1] if tokens[1] == 'latest' \
            else tokens[1]
        return version in OPENSTACK_VERSIONS and version >= GRIZZLY

    # -- the OpenStack tree ---------------------------------------------------

    def _os_listing(self, version):
        items = [MD_JSON]
        if self.userdata_raw is not None:
            items.append(UD)
        if version >= GRIZZLY:
            items.append(PASSWORD)
        if version >= HAVANA:
            items.append(VD_JSON)
        if version >= LIBERTY:
            items.append(NW_JSON)
        if version >= NEWTON_TWO:
            items.append(VD2_JSON)
        return items

    def meta_data_json(self, version):
        """``meta_data.json`` with the keys Nova adds up to ``version``."""
        data = {'uuid': self.uuid}
        metadata = dict(self.instance.metadata or {})
        if metadata:
            data['meta'] = metadata
        keys = self._keys()
        if keys:
            data['public_keys'] = {k['name']: k['data'] for k in keys}
            data['keys'] = keys
        data.update({
            'hostname': self.hostname,
            'name': self.instance.display_name,
            'launch_index': self.instance.launch_index or 0,
            'availability_zone': self.availability_zone,
        })
        if version >= GRIZZLY:
            data['random_seed'] = base64.b64encode(
                os.urandom(512)).decode('ascii')
        if version >= LIBERTY:
            data['project_id'] = self.instance.project_id
        if version >= NEWTON_ONE:
            data['devices'] = []
        if version >= VICTORIA:
            data['dedicated_cpus'] = []
        return data

    def network_data_json(self):
        """Nova's ``network_data.json``: links, static IPv4 networks with
        the flat network's gateway, no DNS services."""
        links, networks = [], []
        cidr = netaddr.IPNetwork(CONF.network.fixed_range)
        gateway = str(netaddr.IPAddress(cidr.first + 1))
        for index, vif in enumerate(self.vifs):
            vif_id = str(uuid.uuid5(uuid.NAMESPACE_OID, '%s/%s' % (
                self.uuid, vif.get('mac'))))
            link = 'tap' + vif_id[:11]
            links.append({'id': link, 'vif_id': vif_id, 'type': 'bridge',
                          'mtu': 1500,
                          'ethernet_mac_address': vif.get('mac')})
            networks.append({
                'id': 'network%d' % index, 'type': 'ipv4', 'link': link,
                'ip_address': vif['address'], 'netmask': str(cidr.netmask),
                'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                            'gateway': gateway}],
                'network_id': vif.get('network') or CONF.network.network_name,
                'services': []})
        return {'links': links, 'networks': networks, 'services': []}

    def _openstack_item(self, tokens):
        version = tokens[0]
        if version == 'latest':
            version = OPENSTACK_VERSIONS[-1]
        if version not in OPENSTACK_VERSIONS:
            raise KeyError(version)
        if len(tokens) == 1:
            return self._os_listing(version)
        name = '/'.join(tokens[1:])
        if name not in self._os_listing(version):
            raise KeyError(name)
        if name == UD:
            return self.userdata_raw
        if name == PASSWORD:
            return self.password
        self.mimetype = MIME_JSON
        if name == MD_JSON:
            return json.dumps(self.meta_data_json(version))
        if name == VD_JSON:
            return json.dumps(self.vendordata)
        if name == NW_JSON:
            return json.dumps(self.network_data_json())
        return json.dumps({})  # vendor_data2.json: no dynamic providers

    # -- the EC2 tree ---------------------------------------------------------

    def ec2_meta_data(self, version):
        """``meta-data`` as Nova builds it for an EC2 version."""
        inst = self.instance
        hostname = self.hostname
        data = {
            'ami-id': ec2_id('ami', inst.image_ref or '0'),
            'ami-launch-index': inst.launch_index or 0,
            'ami-manifest-path': 'FIXME',
            'instance-id': ec2_id('i', inst.id),
            'hostname': hostname,
            'local-ipv4': self.fixed_ip or '',
            'reservation-id': inst.reservation_id or '',
            'security-groups': ['default'],
        }
        keys = self._keys()
        if keys:
            data['public-keys'] = {
                str(i): {'_name': '%d=%s' % (i, k['name']),
                         'openssh-key': k['data']}
                for i, k in enumerate(keys)}
        if version >= '2007-01-19':
            data.update({'local-hostname': hostname,
                         'public-hostname': hostname, 'public-ipv4': ''})
        if version >= '2007-08-29':
            data['instance-type'] = inst.flavor.name if inst.flavor else ''
        if version >= '2007-12-15':
            root = inst.root_device_name or '/dev/vda'
            data['block-device-mapping'] = {'ami': root.rsplit('/', 1)[-1],
                                            'root': root}
            if inst.kernel_id:
                data['kernel-id'] = ec2_id('aki', inst.kernel_id)
            if inst.ramdisk_id:
                data['ramdisk-id'] = ec2_id('ari', inst.ramdisk_id)
        if version >= '2008-02-01':
            data['placement'] = {'availability-zone':
                                 self.availability_zone}
        if version >= '2008-09-01':
            data['instance-action'] = 'none'
        return data

    def _ec2_item(self, tokens):
        version = tokens[0]
        if version == 'latest':
            version = EC2_VERSIONS[-1]
        if version not in EC2_VERSIONS:
            raise KeyError(version)
        tree = {'meta-data': self.ec2_meta_data(version)}
        if self.userdata_raw is not None:
            tree['user-data'] = self.userdata_raw
        return _walk(tree, tokens[1:])

    # -- lookup ---------------------------------------------------------------

    def lookup(self, path):
        """The data at ``path``: a listing (list / dict) or a value.

        Sets :attr:`mimetype` (JSON for the ``.json`` documents).

        :raises: InvalidMetadataPath (404)
        """
        self.mimetype = MIME_TEXT
        path = posixpath.normpath('/' + (path or '').lstrip('/'))
        tokens = [t for t in path.split('/') if t]
        if not tokens:
            return list(EC2_VERSIONS) + ['latest']
        if tokens == ['openstack']:
            return list(OPENSTACK_VERSIONS) + ['latest']
        try:
            if tokens[0] == 'openstack':
                return self._openstack_item(tokens[1:])
            if tokens[0] == 'ec2':
                tokens = tokens[1:]
                if not tokens:
                    return list(EC2_VERSIONS) + ['latest']
            return self._ec2_item(tokens)
        except KeyError:
            raise InvalidMetadataPath(path=path)
