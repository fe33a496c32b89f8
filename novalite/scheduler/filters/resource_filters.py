"""RamFilter, CoreFilter, DiskFilter: room for one more instance under the
allocation ratios.

Each host's head-room (``usable_ram_mb``, ``usable_vcpus``,
``usable_disk_mb``) is ``total * ratio - used``, with the ratio the compute
node reports or else ``[DEFAULT] ram/cpu/disk_allocation_ratio`` — the same
numbers the compute's claims check. The HostState keeps them current as the
scheduler consumes its own choices.
"""

from novalite.scheduler import filters


class RamFilter(filters.BaseHostFilter):
    """Free RAM under ``ram_allocation_ratio`` covers the flavor's RAM."""

    def host_passes(self, host_state, request):
        return host_state.usable_ram_mb >= request.ram_mb

    def filter_all(self, hosts, request):
        ram = request.ram_mb
        return [h for h in hosts if h.usable_ram_mb >= ram]


class CoreFilter(filters.BaseHostFilter):
    """Free vCPUs under ``cpu_allocation_ratio`` cover the flavor's vCPUs.

    A flavor with more vCPUs than the host has physical ones never fits: an
    instance may over-commit against others, not against itself. A host
    that reports no vCPUs at all passes (nothing to judge by).
    """

    def host_passes(self, host_state, request):
        total = host_state.vcpus_total
        if not total:
            return True
        return (request.vcpus <= total and
                host_state.usable_vcpus >= request.vcpus)

    def filter_all(self, hosts, request):
        vcpus = request.vcpus
        return [h for h in hosts
                if not h.vcpus_total or
                (vcpus <= h.vcpus_total and h.usable_vcpus >= vcpus)]


class DiskFilter(filters.BaseHostFilter):
    """Free disk under ``disk_allocation_ratio`` covers root + ephemeral +
    swap; a flavor bigger than the host's whole disk never fits."""

    def host_passes(self, host_state, request):
        disk = request.disk_mb
        return (host_state.total_usable_disk_gb * 1024 >= disk and
                host_state.usable_disk_mb >= disk)

    def filter_all(self, hosts, request):
        disk = request.disk_mb
        return [h for h in hosts
                if h.usable_disk_mb >= disk and
                h.total_usable_disk_gb * 1024 >= disk]
