"""ComputeCapabilitiesFilter: flavor extra specs against host capabilities.

Every extra spec without a scope, or in the ``capabilities:`` scope, names a
host capability and a requirement (see
:mod:`~novalite.scheduler.filters.extra_specs_ops`). The first part of the
name is a HostState attribute (``free_ram_mb``, ``hypervisor_type``,
``cpu_info`` ...) or else a key of the node's ``stats``; further parts walk
into it (``capabilities:cpu_info:arch``). Specs in other scopes
(``hw:``, ``quota:`` ...) belong to other parts of the system and are skipped.
"""

import json

from novalite.scheduler.filters import extra_specs_ops
from novalite.scheduler import filters

_SCOPE = 'capabilities'
_MISSING = object()


def _requirements(extra_specs):
    """``[(path, predicate, spec)]`` for the specs this filter checks."""
    result = []
    for key, requirement in sorted(extra_specs.items()):
        path = key.split(':')
        if len(path) > 1:
            if path[0] != _SCOPE:
                continue
            path = path[1:]
        if not all(path):
            continue
        result.append((tuple(path),
                       extra_specs_ops.compile_requirement(requirement),
                       key))
    return result


def _walk(value, part):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _MISSING
    if isinstance(value, dict):
        return value.get(part, _MISSING)
    found = getattr(value, part, None)
    return _MISSING if found is None else found


def capability(host_state, path):
    """The host's capability at ``path`` as a string, or None."""
    value = getattr(host_state, path[0], None)
    if value is None:
        value = host_state.stats.get(path[0], _MISSING)
    for part in path[1:]:
        if value is _MISSING or value is None:
            return None
        value = _walk(value, part)
    if value is _MISSING or value is None:
        return None
    return str(value)


class ComputeCapabilitiesFilter(filters.BaseHostFilter):
    """Keep hosts whose capabilities satisfy every applicable extra spec."""

    def applies(self, request):
        return bool(request.extra_specs) and bool(
            _requirements(request.extra_specs))

    def host_passes(self, host_state, request):
        for path, predicate, _key in _requirements(request.extra_specs):
            if not predicate(capability(host_state, path)):
                return False
        return True

    def filter_all(self, hosts, request):
        checks = _requirements(request.extra_specs)
        if not checks:
            return list(hosts)
        for path, predicate, _key in checks:
            # Hosts repeat capabilities: judge each distinct value once.
            verdicts = {}
            kept = []
            for h in hosts:
                value = capability(h, path)
                verdict = verdicts.get(value)
                if verdict is None:
                    verdict = verdicts[value] = bool(predicate(value))
                if verdict:
                    kept.append(h)
            hosts = kept
        return hosts
