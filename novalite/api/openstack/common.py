"""Helpers the handlers share: paging, links, status mapping, policy."""

import hashlib
import urllib.parse

from oslo_utils import strutils

from novalite.api.openstack.compute.schemas import parameter_types as pt
from novalite.compute import task_states
from novalite.compute import vm_states
from novalite import conf
from novalite import exception
from novalite import objects
from novalite.policies import enforcer

CONF = conf.CONF

# (vm_state, task_state) -> API status, as Nova maps them.
_STATUS = {
    vm_states.ACTIVE: {
        'default': 'ACTIVE',
        task_states.REBOOTING: 'REBOOT',
        task_states.REBOOT_PENDING: 'REBOOT',
        task_states.REBOOT_STARTED: 'REBOOT',
        task_states.REBOOTING_HARD: 'HARD_REBOOT',
        task_states.REBOOT_PENDING_HARD: 'HARD_REBOOT',
        task_states.REBOOT_STARTED_HARD: 'HARD_REBOOT',
    },
    vm_states.BUILDING: {'default': 'BUILD'},
    vm_states.STOPPED: {'default': 'SHUTOFF'},
    vm_states.RESIZED: {'default': 'VERIFY_RESIZE'},
    vm_states.PAUSED: {'default': 'PAUSED'},
    vm_states.SUSPENDED: {'default': 'SUSPENDED'},
    vm_states.RESCUED: {'default': 'RESCUE'},
    vm_states.ERROR: {'default': 'ERROR'},
    vm_states.DELETED: {'default': 'DELETED'},
    vm_states.SOFT_DELETED: {'default': 'SOFT_DELETED'},
    vm_states.SHELVED: {'default': 'SHELVED'},
    vm_states.SHELVED_OFFLOADED: {'default': 'SHELVED_OFFLOADED'},
}


def status_from_state(vm_state, task_state=None):
    """The API status of a server."""
    task_map = _STATUS.get(vm_state, {'default': 'UNKNOWN'})
    return task_map.get(task_state, task_map['default'])


def states_from_statuses(statuses):
    """``(vm_states, task_states)`` filters for one or more API statuses
    (``?status=ACTIVE&status=ERROR``: a server in any of them), or None
    when no server can have any (task_states None means any).

    As in Nova, the statuses' states are merged: a status that needs no
    particular task state (ACTIVE) lifts the task filter of one that
    does (REBOOT) when both are asked for.
    """
    wanted = {status.strip().upper() for status in statuses}
    found_vm, found_task, any_task = [], set(), False
    for vm_state, task_map in _STATUS.items():
        for task_state, status in task_map.items():
            if status not in wanted:
                continue
            if vm_state not in found_vm:
                found_vm.append(vm_state)
            if task_state == 'default':
                any_task = True
            else:
                found_task.add(task_state)
    if not found_vm:
        return None
    return found_vm, None if any_task else sorted(found_task)


def authorize(req, rule, target=None):
    """Check ``rule`` for the request's context (raises 403)."""
    return enforcer.authorize(req.context, rule, target)


def can(req, rule, target=None):
    return enforcer.authorize(req.context, rule, target, fatal=False)


def is_true(value):
    return strutils.bool_from_string(value, strict=False)


def get_flavor(req, flavor_id):
    """The flavor ``flavor_id`` as the caller may see it: a private flavor
    exists only for the admin and the projects it was shared with; to
    everyone else it is not found (404), as in Nova.

    :raises: FlavorNotFound
    """
    flavor = objects.Flavor.get_by_flavor_id(req.context, flavor_id)
    ctxt = req.context
    if not (flavor.is_public or ctxt.is_admin or
            ctxt.project_id in flavor.projects):
        raise exception.FlavorNotFound(flavor_id=flavor_id)
    return flavor


def int_param(req, name, default=None, minimum=0, maximum=pt.MAX_INT):
    """The integer query parameter ``name`` (its last value), bounded
    before it reaches SQL (MySQL refuses an OFFSET past 2^64 as a syntax
    error).

    :raises: ValidationError (400) for text that is not such an integer.
    """
    value = req.GET.get(name)
    if value is None:
        return default
    text = value.strip()
    digits = text.lstrip('-')
    if not digits.isdigit() or not digits.isascii() or len(digits) > 12:
        raise exception.ValidationError(
            detail='%s param must be an integer' % name)
    number = int(text)
    if number < minimum:
        raise exception.ValidationError(
            detail='%s param must be >= %d' % (name, minimum))
    if number > maximum:
        raise exception.ValidationError(
            detail='%s param must be <= %d' % (name, maximum))
    return number


def limit_and_marker(req, max_limit=None):
    """``(limit, marker)`` from the query string, validated like Nova.

    :raises: Invalid (400) for a non-integer or negative limit.
    """
    max_limit = max_limit or CONF.api.max_limit
    limit = req.GET.get('limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exception.ValidationError(
                detail='limit param must be an integer')
        if limit < 0:
            raise exception.ValidationError(
                detail='limit param must be positive')
        limit = min(limit, max_limit)
    else:
        limit = max_limit
    return limit, req.GET.get('marker')


def collection_links(req, items, collection, limit, id_key='id'):
    """``[{"rel": "next", "href": ...}]`` when a page came back full."""
    if not items or limit is None or len(items) < limit:
        return []
    last = items[-1]
    marker = last[id_key] if isinstance(last, dict) else \
        getattr(last, id_key)
    params = [(k, v) for k, v in req.GET.items() if k != 'marker']
    params.append(('marker', marker))
    href = '%s/%s?%s' % (req.link_base(), collection,
                         urllib.parse.urlencode(params))
    return [{'rel': 'next', 'href': href}]


def resource_links(req, collection, item_id):
    """Self and bookmark links of one resource."""
    return [
        {'rel': 'self',
         'href': '%s/%s/%s' % (req.link_base(), collection, item_id)},
        {'rel': 'bookmark',
         'href': '%s/%s/%s' % (req.link_base(versioned=False), collection,
                               item_id)},
    ]


def bookmark_link(req, collection, item_id):
    return [{'rel': 'bookmark',
             'href': '%s/%s/%s' % (req.link_base(versioned=False),
                                   collection, item_id)}]


def isotime(value):
    """Nova's ``created`` / ``updated`` format: seconds and a ``Z``."""
    if value is None:
        return None
    return value.isoformat(timespec='seconds')[:19] + 'Z'


def strtime(value):
    """Nova's ``launched_at`` format: microseconds and no zone."""
    if value is None:
        return None
    return value.isoformat(timespec='microseconds')[:26]


def host_id(project_id, host):
    """The opaque per-project host identifier (``hostId``)."""
    if not host:
        return ''
    return hashlib.sha224(('%s%s' % (project_id, host)).encode()).hexdigest()


def conflict_for_invalid_state(exc, action, server_id):
    """Nova's 409 for an action from the wrong state (a lock keeps its
    own message)."""
    if isinstance(exc, exception.InstanceIsLocked):
        return exc
    state = exc.kwargs.get('state')
    attr = exc.kwargs.get('attr')
    return exception.Conflict(
        "Cannot '%s' instance %s while it is in %s %s"
        % (action, server_id, attr, state))
