"""ComputeFilter: only hosts whose compute service is up and enabled."""

from novalite.scheduler import filters


class ComputeFilter(filters.BaseHostFilter):
    """Keep hosts whose service heartbeat is within ``service_down_time``,
    not forced down and not disabled (liveness is read at each refresh)."""

    run_filter_once_per_request = True

    def host_passes(self, host_state, request):
        return host_state.service_up and not host_state.service_disabled

    def filter_all(self, hosts, request):
        return [h for h in hosts if h.service_up and not h.service_disabled]
