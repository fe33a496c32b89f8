"""Host filters: which hosts can take one instance of a request.

A filter is a class with ``host_passes(host_state, request)``; the scheduler
calls ``filter_all(hosts, request)``, which the built-in filters override
with one list comprehension over plain attributes (10,000 hosts per
instance). A filter that has nothing to check for a request says so in
``applies(request)`` and is skipped; one whose answer cannot change while a
request places its instances sets ``run_filter_once_per_request``.

``[filter_scheduler] available_filters`` names classes (or functions
returning lists of classes) by import path; ``enabled_filters`` picks among
them by class name.
"""

from novalite import exception
from novalite.scheduler import loadables


class BaseHostFilter:
    """Base of every host filter."""

    #: True when the answer for a host does not change as the instances of
    #: one request are placed (so it runs once, not once per instance).
    run_filter_once_per_request = False

    def applies(self, request):
        """False when this request gives the filter nothing to check."""
        return True

    def host_passes(self, host_state, request):
        """True if ``host_state`` can take one instance of ``request``.

        :param request: a :class:`~novalite.scheduler.request.ScheduleRequest`.
        """
        raise NotImplementedError()

    def filter_all(self, hosts, request):
        """The hosts of ``hosts`` that pass, in order (a new list)."""
        passes = self.host_passes
        return [h for h in hosts if passes(h, request)]

    @classmethod
    def name(cls):
        return cls.__name__


def all_filters():
    """Every filter class novalite ships."""
    from novalite.scheduler.filters import affinity_filter
    from novalite.scheduler.filters import availability_zone_filter
    from novalite.scheduler.filters import compute_capabilities_filter
    from novalite.scheduler.filters import compute_filter
    from novalite.scheduler.filters import image_props_filter
    from novalite.scheduler.filters import resource_filters
    from novalite.scheduler.filters import retry_filter
    return [
        retry_filter.RetryFilter,
        availability_zone_filter.AvailabilityZoneFilter,
        resource_filters.RamFilter,
        resource_filters.CoreFilter,
        resource_filters.DiskFilter,
        compute_filter.ComputeFilter,
        compute_capabilities_filter.ComputeCapabilitiesFilter,
        image_props_filter.ImagePropertiesFilter,
        affinity_filter.ServerGroupAffinityFilter,
        affinity_filter.ServerGroupAntiAffinityFilter,
        affinity_filter.SameHostFilter,
        affinity_filter.DifferentHostFilter,
    ]


def enabled_filters(available_paths, enabled_names):
    """Instances of the filters ``enabled_names`` picks among
    ``available_paths``, in the order of ``enabled_names``.

    :raises: ConfigError for an unknown name.
    """
    available = {cls.__name__: cls for cls in loadables.load_classes(
        available_paths, BaseHostFilter,
        '[filter_scheduler] available_filters')}
    result = []
    for name in enabled_names:
        cls = available.get(name)
        if cls is None:
            raise exception.ConfigError(
                option='[filter_scheduler] enabled_filters',
                reason='filter %s is not among available_filters (%s)' % (
                    name, ', '.join(sorted(available))))
        result.append(cls())
    return result
