"""Server-group and same/different-host filters.

``ServerGroupAffinityFilter`` / ``ServerGroupAntiAffinityFilter`` read the
request's group policy and the hosts already holding group members: those
the conductor lists in ``group_hosts``, those this scheduler knows it placed
members on, and those chosen earlier in the same request.
``SameHostFilter`` / ``DifferentHostFilter`` read the ``same_host`` and
``different_host`` scheduler hints (instance uuids) against the instances on
each host.
"""

from novalite.scheduler import filters


class ServerGroupAffinityFilter(filters.BaseHostFilter):
    """Policy ``affinity``: once a member is placed, only its host(s)."""

    def applies(self, request):
        return request.group_policy == 'affinity' and bool(
            request.group_hosts)

    def host_passes(self, host_state, request):
        if not self.applies(request):
            return True
        return host_state.host in request.group_hosts

    def filter_all(self, hosts, request):
        group_hosts = request.group_hosts
        return [h for h in hosts if h.host in group_hosts]


class ServerGroupAntiAffinityFilter(filters.BaseHostFilter):
    """Policy ``anti-affinity``: never a host that holds a member."""

    def applies(self, request):
        return request.group_policy == 'anti-affinity' and bool(
            request.group_hosts)

    def host_passes(self, host_state, request):
        if request.group_policy != 'anti-affinity':
            return True
        return host_state.host not in request.group_hosts

    def filter_all(self, hosts, request):
        group_hosts = request.group_hosts
        return [h for h in hosts if h.host not in group_hosts]


class SameHostFilter(filters.BaseHostFilter):
    """Hint ``same_host``: only hosts running one of the given instances."""

    run_filter_once_per_request = True

    def applies(self, request):
        return bool(request.same_host)

    def host_passes(self, host_state, request):
        if not request.same_host:
            return True
        return not host_state.instances.isdisjoint(request.same_host)

    def filter_all(self, hosts, request):
        wanted = request.same_host
        return [h for h in hosts if not h.instances.isdisjoint(wanted)]


class DifferentHostFilter(filters.BaseHostFilter):
    """Hint ``different_host``: no host running any of the given instances."""

    run_filter_once_per_request = True

    def applies(self, request):
        return bool(request.different_host)

    def host_passes(self, host_state, request):
        return host_state.instances.isdisjoint(request.different_host)

    def filter_all(self, hosts, request):
        avoid = request.different_host
        return [h for h in hosts if h.instances.isdisjoint(avoid)]
