"""CPUWeigher: prefer hosts with more free vCPUs (or fewer, to stack)."""

from novalite import conf
from novalite.scheduler import weights

CONF = conf.CONF


class CPUWeigher(weights.BaseHostWeigher):
    """Raw weight: vCPUs left under the allocation ratio
    (``vcpus_total * cpu_allocation_ratio - vcpus_used``);
    ``[filter_scheduler] cpu_weight_multiplier`` scales it."""

    def weight_multiplier(self):
        return CONF.filter_scheduler.cpu_weight_multiplier

    def _weigh_object(self, host_state, request):
        return host_state.usable_vcpus

    def weigh_objects(self, hosts, request):
        return [h.usable_vcpus for h in hosts]
