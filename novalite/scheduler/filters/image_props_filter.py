"""ImagePropertiesFilter: the image's architecture, hypervisor type and VM
mode must be something the host supports.

A host advertises ``supported_instances``: ``[arch, hv_type, vm_mode]``
triples. An image that names none of the three goes anywhere; one that names
some needs a triple matching all it names; a host that advertises nothing
takes no image that names any. ``img_hv_requested_version`` (e.g.
``>=6.0``) is checked against the node's ``hypervisor_version``.
"""

from novalite.scheduler.filters import extra_specs_ops
from novalite.scheduler import filters

# Spellings Nova accepts for the same thing (canonical names on the right).
_ARCH_ALIASES = {'i386': 'i686', 'i486': 'i686', 'i586': 'i686',
                 'x86_32': 'i686', 'x86_32p': 'i686', 'amd64': 'x86_64'}
_HV_ALIASES = {'xapi': 'xen'}
_VM_MODE_ALIASES = {'pv': 'xen', 'hv': 'hvm', 'baremetal': 'hvm'}


def _canonical(value, aliases):
    if not value:
        return None
    value = str(value).lower()
    return aliases.get(value, value)


def canonical_triple(arch, hv_type, vm_mode):
    return (_canonical(arch, _ARCH_ALIASES), _canonical(hv_type, _HV_ALIASES),
            _canonical(vm_mode, _VM_MODE_ALIASES))


def _version_str(version):
    """``6002001`` -> ``'6.2.1'`` (Nova's integer encoding of versions)."""
    if version is None:
        return None
    parts = []
    for _ in range(3):
        parts.append(str(version % 1000))
        version //= 1000
    return '.'.join(reversed(parts))


def _version_tuple(text):
    try:
        return tuple(int(p) for p in str(text).split('.'))
    except ValueError:
        return None


def _version_ok(hypervisor_version, requirement):
    if not requirement:
        return True
    if hypervisor_version is None:
        return False
    words = requirement.split()
    have = _version_tuple(_version_str(hypervisor_version))
    if len(words) == 2 and words[0] in ('>=', '<=', '==', '!=', '=', '>',
                                        '<'):
        want = _version_tuple(words[1])
        if want is None:
            return False
        size = max(len(have), len(want))
        have = have + (0,) * (size - len(have))
        want = want + (0,) * (size - len(want))
        return {'>=': have >= want, '=': have >= want, '<=': have <= want,
                '==': have == want, '!=': have != want, '>': have > want,
                '<': have < want}[words[0]]
    return extra_specs_ops.match(_version_str(hypervisor_version),
                                 requirement)


def _supports(supported, wanted):
    for triple in supported:
        triple = canonical_triple(*(tuple(triple) + (None,) * 3)[:3])
        if all(w is None or w == t for w, t in zip(wanted, triple)):
            return True
    return False


class ImagePropertiesFilter(filters.BaseHostFilter):
    """Keep hosts that support the image's arch / hypervisor / VM mode."""

    run_filter_once_per_request = True

    @staticmethod
    def _wanted(request):
        return canonical_triple(request.image_property('architecture'),
                                request.image_property('hypervisor_type'),
                                request.image_property('vm_mode'))

    def applies(self, request):
        return (any(self._wanted(request)) or
                bool(request.image_props.get('img_hv_requested_version')))

    def host_passes(self, host_state, request):
        wanted = self._wanted(request)
        if any(wanted):
            if not host_state.supported_instances:
                return False
            if not _supports(host_state.supported_instances, wanted):
                return False
        return _version_ok(host_state.hypervisor_version,
                           request.image_props.get('img_hv_requested_version'))

    def filter_all(self, hosts, request):
        wanted = self._wanted(request)
        version = request.image_props.get('img_hv_requested_version')
        verdicts = {}
        kept = []
        for h in hosts:
            key = (h.supported_instances, h.hypervisor_version)
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = (
                    (not any(wanted) or
                     (bool(h.supported_instances) and
                      _supports(h.supported_instances, wanted))) and
                    _version_ok(h.hypervisor_version, version))
            if verdict:
                kept.append(h)
        return kept
