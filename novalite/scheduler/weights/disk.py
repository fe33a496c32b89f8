"""DiskWeigher: prefer hosts with more free disk (or less, to stack)."""

from novalite import conf
from novalite.scheduler import weights

CONF = conf.CONF


class DiskWeigher(weights.BaseHostWeigher):
    """Raw weight: ``free_disk_mb``; ``[filter_scheduler]
    disk_weight_multiplier`` scales it."""

    def weight_multiplier(self):
        return CONF.filter_scheduler.disk_weight_multiplier

    def _weigh_object(self, host_state, request):
        return host_state.free_disk_mb

    def weigh_objects(self, hosts, request):
        return [h.free_disk_mb for h in hosts]
