"""Host weighers: rank the hosts that passed the filters.

Each weigher gives every host a raw value; the values are normalised to
0..1 over the hosts being ranked (the smallest maps to 0, the largest to 1;
all equal maps to 0), multiplied by the weigher's multiplier and summed. The
host with the largest total wins. A positive multiplier prefers hosts with
more of the resource (spreading); a negative one prefers hosts with less
(stacking).

``[filter_scheduler] weight_classes`` names classes (or functions returning
lists of classes) by import path.
"""

from novalite.scheduler import loadables


class BaseHostWeigher:
    """Base of every host weigher."""

    #: Fixed bounds for normalisation; None means the min / max over the
    #: hosts being ranked.
    minval = None
    maxval = None

    def weight_multiplier(self):
        """How much this weigher counts; negative inverts its preference."""
        return 1.0

    def _weigh_object(self, host_state, request):
        """The raw weight of one host."""
        raise NotImplementedError()

    def weigh_objects(self, hosts, request):
        """Raw weights of ``hosts``, in order."""
        weigh = self._weigh_object
        return [weigh(h, request) for h in hosts]


def normalize(values, minval=None, maxval=None):
    """``values`` scaled to 0..1 between ``minval`` and ``maxval``."""
    if not values:
        return []
    lo = min(values) if minval is None else minval
    hi = max(values) if maxval is None else maxval
    span = hi - lo
    if span == 0:
        return [0.0] * len(values)
    return [(v - lo) / span for v in values]


def weigh(weighers, hosts, request):
    """Total weight of each host of ``hosts`` (a list of floats, in order)."""
    totals = [0.0] * len(hosts)
    for weigher in weighers:
        multiplier = weigher.weight_multiplier()
        if not multiplier:
            continue
        raw = weigher.weigh_objects(hosts, request)
        lo = min(raw) if weigher.minval is None else weigher.minval
        hi = max(raw) if weigher.maxval is None else weigher.maxval
        span = hi - lo
        if span == 0:
            continue
        scale = multiplier / span
        totals = [t + (v - lo) * scale for t, v in zip(totals, raw)]
    return totals


def all_weighers():
    """Every weigher class novalite ships."""
    from novalite.scheduler.weights import cpu
    from novalite.scheduler.weights import disk
    from novalite.scheduler.weights import ram
    return [ram.RAMWeigher, cpu.CPUWeigher, disk.DiskWeigher]


def load_weighers(paths):
    """Instances of the weighers ``paths`` name.

    :raises: ConfigError for a path that does not give weighers.
    """
    return [cls() for cls in loadables.load_classes(
        paths, BaseHostWeigher, '[filter_scheduler] weight_classes')]
