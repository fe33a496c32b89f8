"""Host states: what the scheduler believes about every compute node.

The scheduler never reads the database. :class:`HostManager` fetches
ComputeNodes, compute Services and the instances per host through the
conductor (remotable object methods), keeps one :class:`HostState` per node
and reuses that snapshot for ``[scheduler] host_state_refresh_seconds``.

Every choice is consumed from its HostState at once, so the next instance of
a burst sees the host fuller and goes elsewhere. A choice is also remembered
as a *pending claim*: after a refresh it is applied again to the fresh
numbers until the node's row shows it (the instance is on the host and the
row was saved after the choice) or ``pending_claim_seconds`` pass. Without
that, a refresh that lands before the compute saved its claim would make the
scheduler forget the choice and pile the next burst onto the same host.
"""

import json
import math
import threading
import time

from oslo_log import log as logging
from oslo_utils import timeutils

from novalite import conf
from novalite import green
from novalite import objects
from novalite.tuning import versionedobjects as tuning_ovo

CONF = conf.CONF
LOG = logging.getLogger(__name__)

COMPUTE_BINARY = 'novalite-compute'
# A snapshot lives at least this many times as long as it took to fetch.
FETCH_COST_FACTOR = 5


class HostState:
    """One compute node as the filters and weighers see it.

    Resource attributes follow Nova's names. ``usable_ram_mb``,
    ``usable_vcpus`` and ``usable_disk_mb`` are the head-room left under the
    allocation ratios, kept current by :meth:`consume_from_request` so the
    resource filters compare one attribute per host.
    """

    __slots__ = (
        'host', 'nodename', 'uuid', 'host_ip', 'hypervisor_type',
        'hypervisor_version', 'hypervisor_hostname', 'cpu_info', 'stats',
        'supported_instances', 'vcpus_total', 'vcpus_used',
        'total_usable_ram_mb', 'free_ram_mb', 'total_usable_disk_gb',
        'free_disk_mb', 'disk_mb_used', 'num_instances',
        'cpu_allocation_ratio', 'ram_allocation_ratio',
        'disk_allocation_ratio', 'usable_ram_mb', 'usable_vcpus',
        'usable_disk_mb', 'availability_zone', '_up_until',
        'service_disabled', 'disabled_reason', 'instances', 'updated',
        '_raw_cpu_info', '_raw_stats', '_raw_supported')

    def __init__(self, host, nodename, uuid=None):
        self.host = host
        self.nodename = nodename
        self.uuid = uuid
        self.host_ip = None
        self.hypervisor_type = None
        self.hypervisor_version = None
        self.hypervisor_hostname = nodename
        self.cpu_info = {}
        self.stats = {}
        self.supported_instances = ()
        self.vcpus_total = 0
        self.vcpus_used = 0
        self.total_usable_ram_mb = 0
        self.free_ram_mb = 0
        self.total_usable_disk_gb = 0
        self.free_disk_mb = 0
        self.disk_mb_used = 0
        self.num_instances = 0
        self.cpu_allocation_ratio = 1.0
        self.ram_allocation_ratio = 1.0
        self.disk_allocation_ratio = 1.0
        self.usable_ram_mb = 0
        self.usable_vcpus = 0
        self.usable_disk_mb = 0
        self.availability_zone = None
        self._up_until = None
        self.service_disabled = True
        self.disabled_reason = None
        self.instances = set()
        self.updated = None
        self._raw_cpu_info = self._raw_stats = self._raw_supported = None

    def __repr__(self):
        return ('<HostState %s/%s ram:%s/%s disk:%s vcpus:%s/%s '
                'instances:%s>' % (
                    self.host, self.nodename, self.free_ram_mb,
                    self.total_usable_ram_mb, self.free_disk_mb,
                    self.vcpus_used, self.vcpus_total, self.num_instances))

    # -- filling from the conductor's objects --------------------------------

    def update_from_compute_node(self, node, parse_json, ratios):
        """Take totals and usage from a ComputeNode.

        :param parse_json: ``str -> object`` (cached by the caller; many
            nodes share the same cpu_info and supported_instances).
        :param ratios: default ``(cpu, ram, disk)`` allocation ratios for a
            node that reports none.
        """
        get = node.get if isinstance(node, dict) else \
            tuning_ovo.field_reader(node)
        self.uuid = get('uuid')
        self.host_ip = get('host_ip')
        self.hypervisor_type = get('hypervisor_type')
        self.hypervisor_version = get('hypervisor_version')
        self.hypervisor_hostname = get('hypervisor_hostname') or self.nodename
        self.updated = get('updated_at') or get('created_at')

        # Free space from the usage counters, which every claim updates
        # (free_ram_mb / free_disk_gb are derived from them and the
        # columns default to 0, not NULL, when a writer leaves them out).
        memory_mb = get('memory_mb') or 0
        used = get('memory_mb_used')
        free_ram = (memory_mb - used if used is not None
                    else get('free_ram_mb') or 0)
        local_gb = get('local_gb') or 0
        used = get('local_gb_used')
        free_gb = (local_gb - used if used is not None
                   else get('free_disk_gb') or 0)
        least = get('disk_available_least')
        if least is not None and least < free_gb:
            free_gb = least
        self.total_usable_ram_mb = memory_mb
        self.free_ram_mb = free_ram
        self.total_usable_disk_gb = local_gb
        self.free_disk_mb = free_gb * 1024
        self.disk_mb_used = (get('local_gb_used') or 0) * 1024
        self.vcpus_total = get('vcpus') or 0
        self.vcpus_used = get('vcpus_used') or 0
        self.num_instances = get('running_vms') or 0

        self.cpu_allocation_ratio = get('cpu_allocation_ratio') or ratios[0]
        self.ram_allocation_ratio = get('ram_allocation_ratio') or ratios[1]
        self.disk_allocation_ratio = get('disk_allocation_ratio') or ratios[2]

        raw = get('cpu_info')
        if raw != self._raw_cpu_info:
            self._raw_cpu_info = raw
            value = parse_json(raw)
            self.cpu_info = value if isinstance(value, dict) else {}
        raw = get('stats')
        if raw != self._raw_stats:
            self._raw_stats = raw
            value = parse_json(raw)
            self.stats = value if isinstance(value, dict) else {}
        raw = get('supported_instances')
        if raw != self._raw_supported:
            self._raw_supported = raw
            self.supported_instances = _supported_instances(parse_json(raw))
        self._recompute()

    @property
    def service_up(self):
        """The compute service's liveness *now*: a snapshot served for a
        while still sees a host go down once ``service_down_time`` passed
        since the last heartbeat it knew of."""
        return self._up_until is not None and \
            time.monotonic() <= self._up_until

    @service_up.setter
    def service_up(self, value):
        self._up_until = math.inf if value else None

    def update_from_service(self, service, up_for):
        """Take liveness, the disabled flag and the zone from a Service.

        :param service: the compute Service of this host, or None.
        :param up_for: seconds the service counts as up from now without
            another heartbeat (:meth:`Service.up_for`), None when down.
        """
        if service is None:
            self.service_up = False
            self.service_disabled = True
            self.disabled_reason = 'no compute service'
            self.availability_zone = CONF.default_availability_zone
            return
        get = service.get if isinstance(service, dict) else \
            tuning_ovo.field_reader(service)
        self._up_until = (None if up_for is None
                          else time.monotonic() + up_for)
        self.service_disabled = bool(get('disabled'))
        self.disabled_reason = get('disabled_reason')
        self.availability_zone = (get('availability_zone') or
                                  CONF.default_availability_zone)

    def _recompute(self):
        ram_total = self.total_usable_ram_mb
        self.usable_ram_mb = (ram_total * self.ram_allocation_ratio -
                              (ram_total - self.free_ram_mb))
        self.usable_vcpus = (self.vcpus_total * self.cpu_allocation_ratio -
                             self.vcpus_used)
        disk_total = self.total_usable_disk_gb * 1024
        self.usable_disk_mb = (disk_total * self.disk_allocation_ratio -
                               (disk_total - self.free_disk_mb))

    # -- choices ----------------------------------------------------------

    def consume_from_request(self, request, instance_uuid=None, sign=1):
        """Count one instance of ``request`` against this host.

        :param request: a :class:`~novalite.scheduler.request.ScheduleRequest`
            or anything with ``ram_mb``, ``vcpus`` and ``disk_mb``.
        :param sign: -1 gives the resources back (a request that could not
            place all its instances).
        """
        self.free_ram_mb -= sign * request.ram_mb
        self.free_disk_mb -= sign * request.disk_mb
        self.disk_mb_used += sign * request.disk_mb
        self.vcpus_used += sign * request.vcpus
        self.num_instances += sign
        if instance_uuid:
            if sign > 0:
                self.instances.add(instance_uuid)
            else:
                self.instances.discard(instance_uuid)
        self._recompute()


def _supported_instances(value):
    """``[[arch, hv_type, vm_mode], ...]`` as a tuple of lower-case tuples."""
    result = []
    for entry in value or ():
        if isinstance(entry, (list, tuple)):
            result.append(tuple(str(part).lower() if part else None
                                for part in entry))
    return tuple(result)


class _Claim:
    """A choice this scheduler made that the DB may not show yet."""

    __slots__ = ('node_key', 'instance_uuid', 'ram_mb', 'vcpus', 'disk_mb',
                 'made_at', 'made_at_wall')

    def __init__(self, node_key, instance_uuid, request):
        self.node_key = node_key
        self.instance_uuid = instance_uuid
        self.ram_mb = request.ram_mb
        self.vcpus = request.vcpus
        self.disk_mb = request.disk_mb
        self.made_at = time.monotonic()
        # Whole seconds: the database keeps ``updated_at`` without
        # fractions, so a save in the same second as the choice must count
        # as later (the compute saves right after it claims).
        self.made_at_wall = timeutils.utcnow().replace(tzinfo=None,
                                                       microsecond=0)


class ConductorSource:
    """Reads compute nodes, services and instances through the conductor."""

    def compute_nodes(self, ctxt):
        return objects.ComputeNodeList.get_all(ctxt)

    def services(self, ctxt):
        return objects.ServiceList.get_all(ctxt, binary=COMPUTE_BINARY)

    def instance_map(self, ctxt):
        return objects.InstanceList.get_host_instance_map(ctxt)


class HostManager:
    """Keeps the HostStates of every compute node, cached and consumed.

    :param source: where nodes, services and the instance map come from;
        :class:`ConductorSource` unless a test or the benchmark gives
        another object with the same three methods.
    :param background_refresh: refresh a stale snapshot in a green thread
        while requests go on with the old one (the scheduler service does;
        tests and tools refresh inline).

    Callers hold :attr:`lock` around one whole scheduling decision
    (``get_host_states`` ... ``claim``) so two requests in one process never
    interleave their consumption.
    """

    def __init__(self, source=None, background_refresh=False):
        self.source = source or ConductorSource()
        self.background_refresh = background_refresh
        self._refreshing = False
        self.lock = threading.RLock()
        self._states = {}           # (host, nodename) -> HostState
        self._state_list = []
        self._host_of = {}          # instance uuid -> host
        self._pending = {}          # claim key -> _Claim
        self._fetched_at = None
        self._fetch_seconds = 0.0
        self._claim_seq = 0

    # -- snapshot -------------------------------------------------------------

    def get_host_states(self, ctxt):
        """Every HostState, fetched again once the snapshot is older than
        ``host_state_refresh_seconds``.

        With ``background_refresh`` a stale (but not ancient) snapshot is
        answered at once while a green thread fetches the next one: the
        fetch through the conductor takes far longer than a decision.
        """
        with self.lock:
            age = (None if self._fetched_at is None
                   else time.monotonic() - self._fetched_at)
            if age is not None and age < self.refresh_interval():
                return self._state_list
            if (self.background_refresh and age is not None and
                    age < self._max_stale_seconds()):
                if not self._refreshing:
                    self._refreshing = True
                    green.spawn_n(self._refresh_in_background, ctxt)
                return self._state_list
            self.refresh(ctxt)
            return self._state_list

    def fetched_since(self, moment):
        """True when the snapshot was fetched at or after ``moment``
        (a ``time.monotonic()`` value)."""
        return self._fetched_at is not None and self._fetched_at >= moment

    def refresh_interval(self):
        """Seconds a snapshot is used: ``host_state_refresh_seconds``, or
        longer when fetching costs more than a fifth of that.

        Fetching thousands of nodes through the conductor takes seconds;
        a refresh that ran back to back would hold the process (its
        deserialisation does not yield) far more than the decisions do.
        The scheduler's own choices are counted in between anyway. 0 (a
        fetch on every request) is taken as asked.
        """
        configured = CONF.scheduler.host_state_refresh_seconds
        if not configured:
            return 0
        return max(configured, FETCH_COST_FACTOR * self._fetch_seconds)

    def _max_stale_seconds(self):
        # Beyond this a snapshot is not served while a new one is fetched:
        # its pending claims may have expired in the meantime.
        return max(self.refresh_interval(),
                   CONF.scheduler.pending_claim_seconds)

    def _refresh_in_background(self, ctxt):
        try:
            self.refresh(ctxt, hold_lock=False)
        except Exception as exc:  # the next request tries again
            LOG.warning('Refreshing host states failed: %s', exc)
        finally:
            self._refreshing = False

    def refresh(self, ctxt, hold_lock=True):
        """Fetch nodes, services and instances and rebuild the HostStates.

        :param hold_lock: False fetches without holding :attr:`lock` (so
            decisions go on meanwhile) and takes it only to rebuild.
        """
        started = time.monotonic()
        if hold_lock:
            with self.lock:
                fetched = self._fetch(ctxt)
                self._rebuild(*fetched)
                self._fetched(started)
            return
        fetched = self._fetch(ctxt)
        with self.lock:
            self._rebuild(*fetched)
            self._fetched(started)

    def _fetched(self, started):
        self._fetched_at = started
        self._fetch_seconds = time.monotonic() - started
        LOG.debug('Host states refreshed: %d nodes in %.3f s',
                  len(self._state_list), self._fetch_seconds)

    def _fetch(self, ctxt):
        return (self.source.compute_nodes(ctxt),
                self.source.services(ctxt),
                self.source.instance_map(ctxt))

    def _rebuild(self, nodes, services, instance_map):
        down_time = CONF.service_down_time
        by_host = {}
        up = {}
        for svc in services:
            if tuning_ovo.field_reader(svc)('deleted'):
                continue
            by_host[svc.host] = svc
            up[svc.host] = svc.up_for(down_time)
        ratios = (CONF.cpu_allocation_ratio, CONF.ram_allocation_ratio,
                  CONF.disk_allocation_ratio)
        cache = {}

        def parse_json(raw):
            if not raw:
                return None
            if raw not in cache:
                try:
                    cache[raw] = json.loads(raw)
                except (TypeError, ValueError):
                    cache[raw] = None
            return cache[raw]

        old = self._states
        states = {}
        for node in nodes:
            host = node.host
            nodename = node.hypervisor_hostname or host
            key = (host, nodename)
            state = old.get(key)
            if state is None:
                state = HostState(host, nodename)
            state.update_from_compute_node(node, parse_json, ratios)
            svc = by_host.get(host)
            state.update_from_service(svc, up.get(host))
            state.instances = set(instance_map.get(host, ()))
            states[key] = state
        self._states = states
        self._state_list = list(states.values())
        self._host_of = {uuid: host for host, uuids in instance_map.items()
                         for uuid in uuids}
        self._reapply_pending()

    def _reapply_pending(self):
        """Count again the choices the fresh rows do not show yet."""
        if not self._pending:
            return
        ttl = CONF.scheduler.pending_claim_seconds
        now = time.monotonic()
        for key, claim in list(self._pending.items()):
            state = self._states.get(claim.node_key)
            if state is None or now - claim.made_at > ttl:
                del self._pending[key]
                continue
            elsewhere = self._host_of.get(claim.instance_uuid)
            if elsewhere is not None and elsewhere != state.host:
                # Rebuilt on an alternate: that host's row counts it.
                del self._pending[key]
                continue
            shown = (elsewhere is not None and
                     state.updated is not None and
                     _naive(state.updated) >= claim.made_at_wall)
            if shown:
                del self._pending[key]
                continue
            state.consume_from_request(claim, claim.instance_uuid)
            if claim.instance_uuid:
                self._host_of[claim.instance_uuid] = state.host

    # -- choices ------------------------------------------------------------

    def claim(self, state, request, instance_uuid=None):
        """Consume ``request`` from ``state`` and remember it as pending.

        :returns: a key for :meth:`unclaim`.
        """
        with self.lock:
            state.consume_from_request(request, instance_uuid)
            if instance_uuid:
                key = instance_uuid
                self._host_of[instance_uuid] = state.host
            else:
                self._claim_seq += 1
                key = '#%d' % self._claim_seq
            self._pending[key] = _Claim((state.host, state.nodename),
                                        instance_uuid, request)
            return key

    def unclaim(self, state, request, key):
        """Give back what :meth:`claim` took."""
        with self.lock:
            claim = self._pending.pop(key, None)
            if claim is None:
                return
            state.consume_from_request(request, claim.instance_uuid, sign=-1)
            if claim.instance_uuid:
                self._host_of.pop(claim.instance_uuid, None)

    def forget_instances(self, instance_uuids):
        """Give back the pending choices of instances being scheduled again.

        A reschedule (or a retried call) asks for the same instance uuids:
        the earlier choice never turned into a build on that host.
        """
        if not instance_uuids:
            return
        with self.lock:
            for uuid in instance_uuids:
                claim = self._pending.pop(uuid, None)
                if claim is None:
                    continue
                state = self._states.get(claim.node_key)
                if state is not None:
                    state.consume_from_request(claim, uuid, sign=-1)
                self._host_of.pop(uuid, None)

    def hosts_of(self, instance_uuids):
        """The hosts known to hold any of ``instance_uuids``."""
        host_of = self._host_of
        return {host_of[u] for u in instance_uuids if u in host_of}

    @property
    def pending_count(self):
        return len(self._pending)


def _naive(value):
    return value.replace(tzinfo=None) if value.tzinfo else value
