"""The compute node's books: totals from the driver, usage from instances.

One :class:`ResourceTracker` per compute service. It keeps, per node, the
usage of every instance placed on it; claims are checked and recorded
under a single lock and every change (claim, abort, free, periodic
refresh) is written to the ComputeNode row within :data:`WRITE_DELAY`, so
the scheduler's next refresh sees it (until then it counts its own recent
choices as pending claims). The writes are made by one background writer:
a claim does not wait for its round trip to the conductor, and the
changes of a short while (a build's claim and its end, a burst's claims)
go out together in one write.

Usage follows Nova's filter-era accounting: ``memory_mb_used`` starts at
``reserved_host_memory_mb``, ``local_gb_used`` at ``reserved_host_disk_mb``
(rounded up to GiB), ``vcpus_used`` at ``reserved_host_cpus``; a request
fits while ``used + requested <= total * allocation_ratio``.
"""

import threading

from oslo_log import log as logging

from novalite.compute import claims
from novalite.compute import task_states
from novalite.compute import vm_states
from novalite import conf
from novalite import context as nl_context
from novalite import exception
from novalite import green
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)

_ZERO = {'vcpus': 0, 'memory_mb': 0, 'disk_gb': 0}
# Seconds the writer waits before writing what changed: the node's write
# stays off a build's path to ACTIVE, and a burst's claims on this host
# cost one conductor call per window instead of one each.
WRITE_DELAY = 0.1


def _reserved():
    return {'vcpus': CONF.reserved_host_cpus,
            'memory_mb': CONF.reserved_host_memory_mb,
            'disk_gb': -(-CONF.reserved_host_disk_mb // 1024)}


class ResourceTracker:
    """Claims and usage of the nodes of one compute host."""

    def __init__(self, host, driver):
        self.host = host
        self.driver = driver
        self.compute_nodes = {}      # nodename -> ComputeNode
        self.resources = {}          # nodename -> driver totals
        self.tracked = {}            # instance uuid -> (nodename, usage)
        self._touched = set()        # uuids claimed/freed during a refresh
        self._lock = threading.Lock()
        self._dirty = {}             # nodename -> full write wanted
        self._writer = None          # green thread writing node rows
        self._workload = {}          # nodename -> instances with a task
        self._stale = set()          # nodes whose last write failed

    # -- arithmetic ---------------------------------------------------------

    def limits(self, nodename):
        res = self.resources[nodename]
        return {'vcpus': res['vcpus'] * CONF.cpu_allocation_ratio,
                'memory_mb': res['memory_mb'] * CONF.ram_allocation_ratio,
                'disk_gb': res['local_gb'] * CONF.disk_allocation_ratio}

    def used(self, nodename):
        total = dict(_reserved())
        for node, usage in self.tracked.values():
            if node == nodename:
                for key in total:
                    total[key] += usage[key]
        return total

    # -- claims ---------------------------------------------------------------

    def instance_claim(self, context, instance, nodename):
        """Take ``instance``'s resources on ``nodename``.

        Sets ``instance.host`` / ``instance.node`` (not saved). A second
        claim for a tracked instance returns a claim for what it holds.

        :returns: :class:`~novalite.compute.claims.Claim`
        :raises: ComputeResourcesUnavailable
        """
        usage = claims.instance_usage(instance)
        with self._lock:
            if nodename not in self.resources:
                raise exception.ComputeResourcesUnavailable(
                    reason='node %s is not managed by %s yet'
                           % (nodename, self.host))
            held = self.tracked.get(instance.uuid)
            if held is None:
                claims.check_fits(self.limits(nodename), self.used(nodename),
                                  usage)
                self.tracked[instance.uuid] = (nodename, usage)
                self._touched.add(instance.uuid)
                self._save(context, nodename)
            LOG.debug('Claimed %s on %s for %s', usage, nodename,
                      instance.uuid)
        instance.host = self.host
        instance.node = nodename
        return claims.Claim(self, context, instance, nodename, usage)

    def abort_instance_claim(self, context, instance):
        """Give back a claim whose build did not complete."""
        self.drop_instance(context, instance)

    def drop_instance(self, context, instance):
        """Stop counting ``instance`` (deleted, failed, moved away)."""
        with self._lock:
            held = self.tracked.pop(instance.uuid, None)
            self._touched.add(instance.uuid)
            if held is not None:
                self._save(context, held[0])

    # -- periodic refresh -----------------------------------------------------

    def update_available_resource(self, context, nodename=None):
        """Re-read totals from the driver and usage from the instances here.

        Instances still building are counted only once their build has
        claimed them; everything else on this host (active, stopped,
        error...) counts until it is deleted.
        """
        for node in ([nodename] if nodename else
                     self.driver.get_available_nodes()):
            self._update_node(context, node)

    def _update_node(self, context, nodename):
        resources = self.driver.get_available_resource(nodename)
        with self._lock:
            self._touched = set()
        instances = objects.InstanceList.get_by_host(context, self.host)
        with self._lock:
            self.resources[nodename] = resources
            present = {}
            for inst in instances:
                if inst.node not in (None, nodename):
                    continue
                if inst.vm_state == vm_states.DELETED:
                    continue
                if (inst.vm_state == vm_states.BUILDING and
                        inst.uuid not in self.tracked):
                    continue
                present[inst.uuid] = inst
            for uuid, inst in present.items():
                if uuid not in self.tracked and uuid not in self._touched:
                    self.tracked[uuid] = (nodename,
                                          claims.instance_usage(inst))
            for uuid, (node, _usage) in list(self.tracked.items()):
                if (node == nodename and uuid not in present and
                        uuid not in self._touched):
                    del self.tracked[uuid]
            workload = sum(1 for inst in present.values()
                           if inst.task_state not in (None,
                                                      task_states.DELETING))
            self._save(context, nodename, workload=workload, full=True)

    # -- persistence ----------------------------------------------------------

    def _values(self, nodename):
        res = self.resources[nodename]
        used = self.used(nodename)
        running = sum(1 for node, _u in self.tracked.values()
                      if node == nodename)
        return {
            'vcpus': res['vcpus'],
            'memory_mb': res['memory_mb'],
            'local_gb': res['local_gb'],
            'vcpus_used': used['vcpus'],
            'memory_mb_used': used['memory_mb'],
            'local_gb_used': used['disk_gb'],
            'free_ram_mb': res['memory_mb'] - used['memory_mb'],
            'free_disk_gb': res['local_gb'] - used['disk_gb'],
            'running_vms': running,
        }

    def _static_values(self, nodename):
        res = self.resources[nodename]
        return {
            'hypervisor_type': res.get('hypervisor_type') or '',
            'hypervisor_version': int(res.get('hypervisor_version') or 0),
            'hypervisor_hostname': res.get('hypervisor_hostname') or nodename,
            'cpu_info': res.get('cpu_info') or '{}',
            'supported_instances': res.get('supported_instances'),
            'host_ip': CONF.my_ip,
            'cpu_allocation_ratio': CONF.cpu_allocation_ratio,
            'ram_allocation_ratio': CONF.ram_allocation_ratio,
            'disk_allocation_ratio': CONF.disk_allocation_ratio,
            'disk_available_least': (res['local_gb'] -
                                     res.get('local_gb_used', 0)),
        }

    def _save(self, context, nodename, workload=None, full=False):
        """Ask for the node's row to be written (called with the lock held).

        The first write of a node (its creation) happens here and now;
        later ones are handed to the background writer.
        """
        if workload is not None:
            self._workload[nodename] = workload
        if nodename not in self.compute_nodes:
            values = self._values(nodename)
            values['current_workload'] = self._workload.get(nodename, 0)
            self.compute_nodes[nodename] = self._get_or_create(
                context, nodename, values)
            return
        self._dirty[nodename] = self._dirty.get(nodename, False) or full
        if self._writer is None:
            self._writer = green.spawn(self._write_dirty)

    def flush(self):
        """Wait until every requested write has been made."""
        writer = self._writer
        while writer is not None:
            writer.wait()
            with self._lock:
                writer = self._writer

    def _write_dirty(self):
        ctxt = nl_context.get_admin_context()
        green.sleep(WRITE_DELAY)
        while True:
            with self._lock:
                if not self._dirty:
                    self._writer = None
                    return
                nodename, full = self._dirty.popitem()
                node = self.compute_nodes[nodename]
                values = self._values(nodename)
                values['current_workload'] = self._workload.get(nodename, 0)
                if full:
                    values.update(self._static_values(nodename))
                changed = nodename in self._stale
                self._stale.discard(nodename)
                for key, value in values.items():
                    if (not node.obj_attr_is_set(key) or
                            getattr(node, key) != value):
                        setattr(node, key, value)
                        changed = True
            if not changed:
                continue
            try:
                node._context = ctxt
                node.save()
            except Exception:
                # Retry with the next change or refresh, whichever first.
                LOG.exception('Could not save compute node %s', nodename)
                with self._lock:
                    self._stale.add(nodename)

    def _get_or_create(self, context, nodename, values):
        values = dict(values, **self._static_values(nodename))
        try:
            node = objects.ComputeNode.get_by_host_and_nodename(
                context, self.host, nodename)
        except exception.ComputeHostNotFound:
            values.setdefault('current_workload', 0)
            node = objects.ComputeNode(context, host=self.host, **values)
            node.create()
            LOG.info('Created compute node %s of %s', nodename, self.host)
            return node
        for key, value in values.items():
            setattr(node, key, value)
        node.save()
        return node
