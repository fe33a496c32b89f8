"""Claims: an instance's share of a compute node, taken before it is built.

A claim is granted only when the node's usage plus the request stays
within ``total * <resource>_allocation_ratio`` for vCPUs, RAM and disk
(usage counts ``reserved_host_*``). The resource tracker checks and records
claims under one lock, so concurrent builds on a host cannot over-commit
it. ``Claim`` is a context manager: leaving its block with an exception
gives the resources back.
"""

from novalite import exception


def instance_usage(instance):
    """``{'vcpus', 'memory_mb', 'disk_gb'}`` an instance occupies."""
    flavor = instance.flavor if instance.obj_attr_is_set('flavor') else None

    def pick(name):
        if flavor is not None and flavor.obj_attr_is_set(name):
            return getattr(flavor, name) or 0
        if instance.obj_attr_is_set(name):
            return getattr(instance, name) or 0
        return 0
    return {'vcpus': pick('vcpus'), 'memory_mb': pick('memory_mb'),
            'disk_gb': pick('root_gb') + pick('ephemeral_gb')}


def check_fits(limits, used, request):
    """Raise unless ``request`` fits in ``limits`` minus ``used``.

    All three are dicts keyed ``vcpus``, ``memory_mb``, ``disk_gb``.

    :raises: ComputeResourcesUnavailable naming every resource short.
    """
    reasons = []
    for key, label, unit in (('memory_mb', 'memory', 'MB'),
                             ('disk_gb', 'disk', 'GB'),
                             ('vcpus', 'vcpu', 'VCPU')):
        free = limits[key] - used[key]
        if request[key] > free:
            reasons.append('Free %s %.2f %s < requested %d %s' % (
                label, free, unit, request[key], unit))
    if reasons:
        raise exception.ComputeResourcesUnavailable(
            reason=', '.join(reasons))


class Claim:
    """Resources held for one instance on one node."""

    def __init__(self, tracker, context, instance, nodename, usage):
        self.tracker = tracker
        self.context = context
        self.instance = instance
        self.nodename = nodename
        self.usage = usage
        self.aborted = False

    def abort(self):
        """Give the resources back (idempotent)."""
        if not self.aborted:
            self.aborted = True
            self.tracker.abort_instance_claim(self.context, self.instance)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None:
            self.abort()
        return False
