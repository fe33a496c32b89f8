"""The policy enforcer: ``authorize(context, rule, target)``.

Rules come from :func:`novalite.policies.list_rules`; operators override
them in ``policy.yaml`` (``[oslo_policy] policy_file``).
"""

import threading

from oslo_policy import policy

from novalite import conf
from novalite import exception
from novalite import policies

CONF = conf.CONF
_LOCK = threading.Lock()
_ENFORCER = {}


def get_enforcer():
    with _LOCK:
        if 'enforcer' not in _ENFORCER:
            enforcer = policy.Enforcer(CONF)
            enforcer.register_defaults(policies.list_rules())
            _ENFORCER['enforcer'] = enforcer
        return _ENFORCER['enforcer']


def reset():
    """Forget the enforcer (tests; config reloads)."""
    with _LOCK:
        enforcer = _ENFORCER.pop('enforcer', None)
    if enforcer is not None:
        enforcer.clear()


def default_target(context):
    return {'project_id': context.project_id, 'user_id': context.user_id}


def authorize(context, action, target=None, fatal=True):
    """Check ``action`` for ``context`` against ``target``.

    :param target: dict with ``project_id`` / ``user_id`` of the resource;
        the caller's own by default.
    :returns: True or False when ``fatal`` is False.
    :raises: PolicyNotAuthorized when ``fatal``.
    """
    target = target if target is not None else default_target(context)
    try:
        return get_enforcer().authorize(
            action, target, context, do_raise=fatal,
            exc=exception.PolicyNotAuthorized, action=action)
    except policy.InvalidScope:
        if not fatal:
            return False
        raise exception.PolicyNotAuthorized(action=action)
