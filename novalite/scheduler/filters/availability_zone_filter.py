"""AvailabilityZoneFilter: a server asked for a zone lands in that zone."""

from novalite.scheduler import filters


class AvailabilityZoneFilter(filters.BaseHostFilter):
    """Keep the hosts whose compute service is in the requested zone.

    A host's zone is its service's ``availability_zone``, else
    ``[DEFAULT] default_availability_zone``. No zone requested: every host.
    """

    run_filter_once_per_request = True

    def applies(self, request):
        return bool(request.availability_zone)

    def host_passes(self, host_state, request):
        return host_state.availability_zone == request.availability_zone

    def filter_all(self, hosts, request):
        zone = request.availability_zone
        return [h for h in hosts if h.availability_zone == zone]
