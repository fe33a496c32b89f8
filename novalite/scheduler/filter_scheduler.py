"""The filter scheduler: how ``select_destinations`` picks hosts.

For each instance of a request: filter the host states, weigh the hosts that
pass, pick at random among the best ``host_subset_size`` and consume the
instance from that host's state, so the next instance (and the next request
within the refresh window) sees it fuller. When every instance has a host,
each gets up to ``max_attempts - 1`` alternates: the next best hosts of its
own ranking that no other instance of the request took. If any instance
finds no host, the request's choices are given back and NoValidHost raised.
"""

import heapq
import random
import time

from oslo_log import log as logging

from novalite import conf
from novalite import exception
from novalite import objects
from novalite.scheduler import filters
from novalite.scheduler import host_manager as host_manager_mod
from novalite.scheduler import request as request_mod
from novalite.scheduler import weights

CONF = conf.CONF
LOG = logging.getLogger(__name__)

NOT_ENOUGH_HOSTS = 'There are not enough hosts available.'


class FilterScheduler:
    """Filters, weighers and the host manager, wired from the config.

    :param host_manager: a :class:`~.host_manager.HostManager`; by default
        one reading through the conductor.
    """

    def __init__(self, host_manager=None):
        self.host_manager = host_manager or host_manager_mod.HostManager()
        self.filters = filters.enabled_filters(
            CONF.filter_scheduler.available_filters,
            CONF.filter_scheduler.enabled_filters)
        self.weighers = weights.load_weighers(
            CONF.filter_scheduler.weight_classes)

    def select_destinations(self, ctxt, spec, instance_uuids=None,
                            return_alternates=True):
        """One list of Selections per instance: its host, then alternates.

        :param spec: a RequestSpec.
        :param instance_uuids: the instances to place; their number wins
            over ``spec.num_instances``.
        :raises: NoValidHost when some instance finds no host.
        """
        request = request_mod.ScheduleRequest(spec)
        if instance_uuids:
            uuids = list(instance_uuids)
        else:
            count = spec.num_instances if spec.obj_attr_is_set(
                'num_instances') else 1
            uuids = [None] * max(count or 1, 1)
        num_alts = (CONF.scheduler.max_attempts - 1) if return_alternates \
            else 0
        manager = self.host_manager
        with manager.lock:
            asked_at = time.monotonic()
            manager.forget_instances([u for u in uuids if u])
            try:
                chosen = self._place_on(ctxt, request, uuids, num_alts)
            except exception.NoValidHost:
                # A snapshot taken before this request may predate the
                # hosts that would fit (a compute that came up a moment
                # ago): ask again once, fresh.
                if manager.fetched_since(asked_at):
                    raise
                manager.refresh(ctxt)
                chosen = self._place_on(ctxt, request, uuids, num_alts)
        return self._selections(request, chosen, num_alts)

    def _place_on(self, ctxt, request, uuids, num_alts):
        manager = self.host_manager
        states = manager.get_host_states(ctxt)
        if request.group_policy and request.group_members:
            request.group_hosts |= manager.hosts_of(request.group_members)
        return self._place(request, states, uuids, num_alts)

    # -- placing ---------------------------------------------------------------

    def _place(self, request, states, uuids, num_alts):
        """``[(state, ranking)]`` per instance; everything consumed."""
        manager = self.host_manager
        hosts, forced = self._candidate_hosts(request, states)
        once = [f for f in self.filters if f.run_filter_once_per_request]
        each = [f for f in self.filters
                if not f.run_filter_once_per_request]
        if not forced:
            hosts = self._run_filters(once, hosts, request)
        subset = max(CONF.filter_scheduler.host_subset_size, 1)
        chosen = []
        claims = []
        try:
            for index, uuid in enumerate(uuids):
                if uuid:
                    request.instance_uuid = uuid
                passed = hosts if forced else self._run_filters(
                    each, hosts, request)
                if not passed:
                    LOG.info('No host for instance %d of %d (%s) among %d '
                             'hosts', index + 1, len(uuids), uuid,
                             len(states))
                    raise exception.NoValidHost(reason=NOT_ENOUGH_HOSTS)
                ranking = self._rank(passed, request,
                                     subset + num_alts + len(uuids) - 1)
                best = ranking[:subset]
                state = best[0] if len(best) == 1 else random.choice(best)
                claims.append((state, manager.claim(state, request, uuid)))
                chosen.append((state, ranking))
                if request.group_policy:
                    request.group_hosts.add(state.host)
        except exception.NoValidHost:
            for state, key in reversed(claims):
                manager.unclaim(state, request, key)
            raise
        return chosen

    @staticmethod
    def _candidate_hosts(request, states):
        """Hosts after ``ignore_hosts``, then ``force_hosts`` /
        ``force_nodes``; forced hosts skip the filters (as in Nova)."""
        hosts = states
        if request.ignore_hosts:
            ignore = request.ignore_hosts
            hosts = [h for h in hosts if h.host not in ignore]
        forced = False
        if request.force_hosts:
            wanted = request.force_hosts
            hosts = [h for h in hosts if h.host in wanted]
            forced = True
        if request.force_nodes:
            wanted = request.force_nodes
            hosts = [h for h in hosts if h.nodename in wanted]
            forced = True
        if forced and not hosts:
            LOG.info('No host matches force_hosts %s / force_nodes %s',
                     sorted(request.force_hosts),
                     sorted(request.force_nodes))
        return hosts, forced

    @staticmethod
    def _run_filters(active, hosts, request):
        if not hosts:
            return hosts
        for flt in active:
            if not flt.applies(request):
                continue
            before = len(hosts)
            hosts = flt.filter_all(hosts, request)
            if not hosts:
                LOG.info('Filter %s returned 0 hosts (of %d) for %s',
                         flt.name(), before,
                         request.instance_uuid or 'the request')
                break
        return hosts

    def _rank(self, hosts, request, count):
        """The best ``count`` of ``hosts``, best first (ties keep the host
        order)."""
        totals = weights.weigh(self.weighers, hosts, request)
        if count <= 1:
            best = max(range(len(hosts)), key=totals.__getitem__)
            return [hosts[best]]
        order = heapq.nlargest(min(count, len(hosts)), range(len(hosts)),
                               key=totals.__getitem__)
        return [hosts[i] for i in order]

    # -- answering -----------------------------------------------------------

    @staticmethod
    def _selections(request, chosen, num_alts):
        taken = {id(state) for state, _ in chosen}
        affinity = request.group_policy == 'affinity'
        result = []
        for state, ranking in chosen:
            entry = [_selection(state)]
            if num_alts:
                for alt in ranking:
                    if len(entry) > num_alts:
                        break
                    if id(alt) in taken:
                        continue
                    if affinity and len(chosen) > 1 and \
                            alt.host not in request.group_hosts:
                        continue
                    entry.append(_selection(alt))
            result.append(entry)
        return result


def _selection(state):
    return objects.Selection(service_host=state.host,
                             nodename=state.nodename,
                             compute_node_uuid=state.uuid)
