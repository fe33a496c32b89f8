"""RAMWeigher: prefer hosts with more free RAM (or less, to stack)."""

from novalite import conf
from novalite.scheduler import weights

CONF = conf.CONF


class RAMWeigher(weights.BaseHostWeigher):
    """Raw weight: ``free_ram_mb``; ``[filter_scheduler]
    ram_weight_multiplier`` scales it."""

    def weight_multiplier(self):
        return CONF.filter_scheduler.ram_weight_multiplier

    def _weigh_object(self, host_state, request):
        return host_state.free_ram_mb

    def weigh_objects(self, hosts, request):
        return [h.free_ram_mb for h in hosts]
