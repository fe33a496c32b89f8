"""RetryFilter: a rescheduled build does not go back to a host that failed it."""

from novalite.scheduler import filters


class RetryFilter(filters.BaseHostFilter):
    """Drop the hosts already tried for this build (``retry_hosts``)."""

    run_filter_once_per_request = True

    def applies(self, request):
        return bool(request.retry_hosts)

    def host_passes(self, host_state, request):
        return host_state.host not in request.retry_hosts

    def filter_all(self, hosts, request):
        tried = request.retry_hosts
        return [h for h in hosts if h.host not in tried]
