"""Quotas: per-project limits and usage counted (never reserved).

Limits are the ``[quota]`` defaults overridden per project by rows the
admin sets through ``os-quota-sets``. Usage is counted when asked, through
the conductor: instances / cores / ram from the instances table, key pairs
per user, server groups per project. :func:`check_deltas` raises Nova's
403 errors when a request would go over a limit; callers run it before
creating and again after (``[quota] recheck_quota``) to catch races.
"""

from oslo_versionedobjects import fields

from novalite import conf
from novalite import exception
from novalite.objects import base

CONF = conf.CONF

# Resource name -> [quota] option, in the order os-quota-sets shows them.
RESOURCES = ('instances', 'cores', 'ram', 'metadata_items', 'injected_files',
             'injected_file_content_bytes', 'injected_file_path_bytes',
             'key_pairs', 'server_groups', 'server_group_members')
_OPTION = {'injected_file_path_bytes': 'injected_file_path_length'}
# Shown by os-quota-sets before 2.36 with Nova's fixed values; nova-network
# is gone so nothing counts them.
LEGACY_NETWORK_QUOTAS = {'fixed_ips': -1, 'floating_ips': 10,
                         'security_groups': 10, 'security_group_rules': 20}


def default_limits():
    return {name: getattr(CONF.quota, _OPTION.get(name, name))
            for name in RESOURCES}


@base.NovaliteObjectRegistry.register
class Quotas(base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'project_id': fields.StringField(nullable=True),
        'limits': fields.DictOfIntegersField(default={}),
    }

    @base.remotable_classmethod
    def get_project_overrides(cls, context, project_id):
        """The limits an admin set for a project (``{resource: limit}``)."""
        return base.db('quotas').quota_get_all_by_project(context,
                                                          project_id)

    @base.remotable_classmethod
    def set_limits(cls, context, project_id, limits):
        """Set several limits of a project at once (one transaction)."""
        base.db('quotas').quota_set_limits(context, project_id, limits)

    @base.remotable_classmethod
    def destroy_all_by_project(cls, context, project_id):
        base.db('quotas').quota_destroy_all_by_project(context, project_id)

    @base.remotable_classmethod
    def get_limits_and_usage(cls, context, project_id, user_id=None,
                             resources=None):
        """:func:`get_limits` and :func:`count_usage` in one conductor
        call (a quota check is on every create's path, twice)."""
        with base.db().shared_reads():
            return {'limits': get_limits(context, project_id),
                    'usage': count_usage(context, project_id, user_id,
                                         resources)}


def get_limits(context, project_id):
    """Effective ``{resource: limit}`` of a project (-1 is unlimited)."""
    limits = default_limits()
    overrides = Quotas.get_project_overrides(context, project_id)
    limits.update({k: v for k, v in overrides.items() if k in limits})
    return limits


def count_usage(context, project_id, user_id=None, resources=None):
    """Counted usage ``{resource: in_use}`` for the countable resources."""
    from novalite.objects import instance as instance_obj
    from novalite.objects import instance_group as group_obj
    from novalite.objects import keypair as keypair_obj
    resources = set(resources or ('instances', 'cores', 'ram', 'key_pairs',
                                  'server_groups'))
    usage = {}
    if resources & {'instances', 'cores', 'ram'}:
        counts = instance_obj.InstanceList.get_counts(context, project_id)
        usage.update(counts['project'])
    if 'key_pairs' in resources and user_id is not None:
        usage['key_pairs'] = keypair_obj.KeyPairList.get_count_by_user(
            context, user_id)
    if 'server_groups' in resources:
        usage['server_groups'] = \
            group_obj.InstanceGroupList.get_count_by_project(context,
                                                             project_id)
    return usage


def check_deltas(context, deltas, project_id, user_id=None):
    """Raise when usage plus ``deltas`` would pass a limit.

    :param deltas: ``{resource: amount}`` being added (0 for a recheck
        after creation, which then fails only if usage is over).
    :raises: TooManyInstances (instances/cores/ram), KeypairLimitExceeded,
        ServerGroupLimitExceeded, OverQuota
    """
    found = Quotas.get_limits_and_usage(context, project_id, user_id,
                                        sorted(deltas))
    limits, usage = found['limits'], found['usage']
    overs = [r for r, delta in deltas.items()
             if limits.get(r, -1) >= 0 and
             usage.get(r, 0) + delta > limits[r]]
    if not overs:
        return
    overs.sort()
    if set(overs) <= {'instances', 'cores', 'ram'}:
        raise exception.TooManyInstances(
            overs=', '.join(overs),
            req=', '.join(str(deltas[r]) for r in overs),
            used=', '.join(str(usage.get(r, 0)) for r in overs),
            allowed=', '.join(str(limits[r]) for r in overs))
    if overs == ['key_pairs']:
        raise exception.KeypairLimitExceeded()
    if overs == ['server_groups']:
        raise exception.ServerGroupLimitExceeded()
    raise exception.OverQuota(overs=', '.join(overs))

