"""Versioned-object base classes and the conductor indirection.

In novalite-conductor (and novalite-manage) remotable methods run locally
against the database. In every other daemon :func:`use_conductor` points
``NovaliteObject.indirection_api`` at the conductor's RPC client, so the same
method call travels to the conductor as ``object_action`` /
``object_class_action_versions`` and comes back with the result.

novalite-api, which answers a user, goes through a
:class:`DeadlineIndirection`: its calls end by the request's deadline, the
reads listed in :data:`IDEMPOTENT_READS` are sent again while the broker or
the conductor is away, and what finds no conductor in time raises
:class:`~novalite.exception.ConductorUnavailable` (503).
"""

import datetime
import importlib
import time

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields

from novalite import db as db_guard
from novalite import exception

LOG = logging.getLogger(__name__)

remotable = ovo_base.remotable
remotable_classmethod = ovo_base.remotable_classmethod
obj_make_list = ovo_base.obj_make_list


class NovaliteObjectRegistry(ovo_base.VersionedObjectRegistry):
    def registration_hook(self, cls, index):
        # Expose the newest version of each class as novalite.objects.<Name>.
        from novalite import objects
        current = getattr(objects, cls.obj_name(), None)
        if current is None or (
                ovo_base.versionutils.convert_version_to_tuple(cls.VERSION) >=
                ovo_base.versionutils.convert_version_to_tuple(
                    current.VERSION)):
            setattr(objects, cls.obj_name(), cls)


class NovaliteObject(ovo_base.VersionedObject):
    """Base of every novalite object."""

    OBJ_SERIAL_NAMESPACE = 'novalite_object'
    OBJ_PROJECT_NAMESPACE = 'novalite'

    @classmethod
    def _from_db_object(cls, context, obj, db_row):
        """Fill ``obj`` from a DB dict; the hook ``obj_make_list`` calls."""
        return from_db(obj, context, db_row)

    # oslo.versionedobjects builds the list of field names on every
    # obj_attr_is_set, and obj_what_changed asks it once per field: each
    # serialised Instance cost O(fields^2). Same contracts, dict lookups
    # (a list of 300 servers spent most of its conductor time here).

    def obj_attr_is_set(self, attrname):
        if attrname not in self.fields and \
                attrname not in self.obj_extra_fields:
            raise AttributeError("%s object has no attribute '%s'"
                                 % (self.obj_name(), attrname))
        return hasattr(self, '_obj_' + attrname)

    @classmethod
    def _obj_from_primitive(cls, context, objver, primitive):
        """ovo's, with the plain values of the wire form stored as
        :func:`set_trusted` stores them: every object that crosses RPC is
        rebuilt here, and coercing each field through its setter was most
        of that work."""
        self = cls()
        self._context = context
        self.VERSION = objver
        set_trusted(self, cls._obj_primitive_field(primitive, 'data'),
                    primitive=True)
        changes = cls._obj_primitive_field(primitive, 'changes', [])
        self._changed_fields = {x for x in changes if x in self.fields}
        return self

    def obj_what_changed(self):
        changes = {name for name in self._changed_fields
                   if name in self.fields}
        for name in _object_fields(type(self)):
            if name in changes:
                continue
            value = getattr(self, '_obj_' + name, None)
            if isinstance(value, ovo_base.VersionedObject) and \
                    value.obj_what_changed():
                changes.add(name)
        return changes


_OBJECT_FIELDS = {}


def _object_fields(cls):
    """Names of ``cls``'s fields that hold a nested object (cached)."""
    names = _OBJECT_FIELDS.get(cls)
    if names is None:
        names = _OBJECT_FIELDS[cls] = tuple(
            name for name, field in cls.fields.items()
            if isinstance(getattr(field, '_type', None), fields.Object))
    return names


class NovaliteTimestampObject:
    """Mixin: ``created_at`` / ``updated_at``."""
    fields = {
        'created_at': fields.DateTimeField(nullable=True),
        'updated_at': fields.DateTimeField(nullable=True),
    }


class NovalitePersistentObject:
    """Mixin: timestamps plus Nova-style soft delete."""
    fields = {
        'created_at': fields.DateTimeField(nullable=True),
        'updated_at': fields.DateTimeField(nullable=True),
        'deleted_at': fields.DateTimeField(nullable=True),
        'deleted': fields.BooleanField(default=False),
    }


class ObjectListBase(ovo_base.ObjectListBase):
    pass


class NovaliteObjectDictCompat(ovo_base.VersionedObjectDictCompat):
    pass


class NovaliteObjectSerializer(ovo_base.VersionedObjectSerializer):
    OBJ_BASE_CLASS = NovaliteObject


def use_conductor(binary, request_deadline=None, retry_after=None):
    """Route remotable calls through the conductor and forbid DB access.

    Called at start-up by every daemon except the conductor and
    novalite-manage.

    :param request_deadline: seconds a request may wait on the conductor,
        from its context's timestamp (novalite-api); with it, remotable
        calls go through a :class:`DeadlineIndirection`.
    :param retry_after: what a 503 tells the client to wait, in seconds.
    """
    from novalite.conductor import rpcapi as conductor_rpcapi
    db_guard.block_access(binary)
    api = conductor_rpcapi.ConductorAPI()
    if request_deadline:
        api = DeadlineIndirection(api, request_deadline, retry_after)
    NovaliteObject.indirection_api = api


# Remotable methods that only read, by object name: sending one of them a
# second time changes nothing, so a caller with a deadline sends it again
# when the first try got no answer. Listed here, away from the methods,
# because a method missing from the list is merely not retried, while a
# write that was retried could land twice. Kept true to the objects by
# tests/unit/objects/test_deadline.py.
IDEMPOTENT_READS = {
    'ComputeNode': ('get_by_id', 'get_by_host_and_nodename'),
    'ComputeNodeList': ('get_all', 'get_all_by_host'),
    'FixedIP': ('get_by_address',),
    'FixedIPList': ('get_allocated', 'get_by_instance_uuid'),
    'Flavor': ('get_by_id', 'get_by_flavor_id', 'get_by_name'),
    'FlavorList': ('get_all',),
    'Instance': ('get_by_id', 'get_by_uuid', 'refresh'),
    'InstanceAction': ('get_by_request_id',),
    'InstanceActionEventList': ('get_by_action',),
    'InstanceActionList': ('get_by_instance_uuid',),
    'InstanceFault': ('get_latest_for_instance',),
    'InstanceGroup': ('get_by_instance_uuid', 'get_by_uuid'),
    'InstanceGroupList': ('get_all', 'get_by_project_id',
                          'get_count_by_project'),
    'InstanceList': ('get_by_filters', 'get_by_host', 'get_counts',
                     'get_host_instance_map'),
    'KeyPair': ('get_by_name',),
    'KeyPairList': ('get_by_user', 'get_count_by_user'),
    'Quotas': ('get_limits_and_usage', 'get_project_overrides'),
    'Service': ('get_by_host_and_binary', 'get_by_id', 'get_by_uuid'),
    'ServiceList': ('get_all',),
}


# Remotable writes that may be sent again all the same: a second delivery
# is answered with what the first one wrote (Instance.create: the api picks
# the uuid, and the conductor answers a create it already made with that
# row).
RESENDABLE_WRITES = {
    'Instance': ('create',),
}


def is_idempotent_read(objname, objmethod):
    """True when ``objname.objmethod`` is in :data:`IDEMPOTENT_READS`."""
    return objmethod in IDEMPOTENT_READS.get(objname, ())


def is_resendable(objname, objmethod):
    """True when a caller may send ``objname.objmethod`` again after it got
    no answer: a listed read, or a listed write whose second delivery
    changes nothing."""
    return is_idempotent_read(objname, objmethod) or \
        objmethod in RESENDABLE_WRITES.get(objname, ())


class DeadlineIndirection:
    """The conductor's object proxy as a caller with a deadline uses it.

    Every call made for a request ends by the request's deadline
    (``request_deadline`` seconds after its context's timestamp). An
    idempotent read, or a write listed as resendable, that gets no answer
    (the broker restarting, the conductor worker holding it killed) is
    sent again, each attempt
    waiting at most a third of the deadline, until one is answered or the
    deadline passes; any other call is sent once. What is still
    unanswered then raises ConductorUnavailable with ``retry_after``.
    """

    # Pause between two attempts of a read: a broker that refuses
    # connections fails an attempt at once.
    RETRY_PAUSE = 0.5

    def __init__(self, api, request_deadline, retry_after=None):
        self._api = api
        self.request_deadline = request_deadline
        self.retry_after = retry_after

    def __getattr__(self, name):  # ping, wait_until_ready
        return getattr(self._api, name)

    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        """The conductor's ``object_class_action_versions``, bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objname, objmethod,
                          self._api.object_class_action_versions, context,
                          objname, objmethod, object_versions, args, kwargs)

    def object_action(self, context, objinst, objmethod, args, kwargs):
        """The conductor's ``object_action``, bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objinst.obj_name(), objmethod,
                          self._api.object_action, context, objinst,
                          objmethod, args, kwargs)

    def object_backport_versions(self, context, objinst, object_versions):
        """The conductor's ``object_backport_versions`` (a read), bounded.

        :raises: ConductorUnavailable
        """
        return self._call(context, objinst.obj_name(), None,
                          self._api.object_backport_versions, context,
                          objinst, object_versions)

    def deadline(self, context):
        """The ``time.monotonic()`` by which calls for ``context`` end."""
        timestamp = getattr(context, 'timestamp', None)
        age = 0.0
        if isinstance(timestamp, datetime.datetime):
            if timestamp.tzinfo is not None:
                timestamp = timestamp.astimezone(
                    datetime.timezone.utc).replace(tzinfo=None)
            age = (timeutils.utcnow() - timestamp).total_seconds()
        age = min(max(age, 0.0), self.request_deadline)
        return time.monotonic() + self.request_deadline - age

    def _call(self, context, objname, objmethod, func, *args):
        # Here, not at the top: novalite.rpc imports this module.
        from novalite import rpc

        deadline = self.deadline(context)
        retried = objmethod is None or is_resendable(objname, objmethod)
        attempt_timeout = self.request_deadline / 3.0 if retried else None
        what = '%s.%s' % (objname, objmethod or 'obj_backport')
        attempts = 0
        while True:
            attempts += 1
            try:
                with rpc.bounded_calls(deadline, attempt_timeout):
                    result = func(*args)
            except rpc.UNREACHABLE as exc:
                if retried and \
                        deadline - time.monotonic() > self.RETRY_PAUSE:
                    time.sleep(self.RETRY_PAUSE)
                    continue
                LOG.warning('novalite-conductor unreachable: %s got no '
                            'answer (%d attempt(s), %s): %s', what,
                            attempts, 'resent' if retried else 'not resent',
                            exc)
                raise exception.ConductorUnavailable(
                    retry_after=self.retry_after) from exc
            if attempts > 1:
                LOG.info('%s answered at attempt %d', what, attempts)
            return result


def db(area='api'):
    """``novalite.db.<area>``, imported on first use and only where allowed.

    Objects call this inside remotable methods, which run in the conductor
    only; elsewhere the guard raises :class:`~novalite.exception.DBNotAllowed`
    before SQLAlchemy is even imported.
    """
    binary = db_guard.blocked_binary()
    if binary:
        raise exception.DBNotAllowed(binary=binary)
    return importlib.import_module('novalite.db.' + area)


def from_db(obj, context, db_row, skip=()):
    """Fill ``obj`` from a DB dict, field by field, and reset its changes."""
    set_trusted(obj, db_row, skip)
    obj._context = context
    obj.obj_reset_changes()
    return obj


# -- trusted loading ------------------------------------------------------------
#
# Rows from our own database (or from the conductor's row lists) already
# hold the right type for most fields. Coercing them one setattr at a time
# was most of the cost of building a list of instances; values of the
# plain types below are stored as they are (datetimes made UTC-aware, as
# coercion would), anything else still goes through the field's coercion.

_STR, _INT, _BOOL, _DATETIME = 'str', 'int', 'bool', 'datetime'
_LOADERS = {}


def _loaders(cls):
    """``[(field name, attribute name, kind or None, nullable)]`` of
    ``cls``, in field order; kind None means "always coerce"."""
    loaders = _LOADERS.get(cls)
    if loaders is None:
        loaders = []
        for name, field in cls.fields.items():
            kind = getattr(field, '_type', None)
            if isinstance(kind, fields.DateTime) and kind.tzinfo_aware:
                kind = _DATETIME
            elif isinstance(kind, fields.Boolean):
                kind = _BOOL
            elif isinstance(kind, (fields.String, fields.UUID)) and \
                    not isinstance(kind, fields.Enum):
                kind = _STR
            elif isinstance(kind, fields.Integer):
                kind = _INT
            else:
                kind = None
            loaders.append((name, '_obj_' + name, kind, field.nullable))
        _LOADERS[cls] = loaders
    return loaders


def _trusted_value(kind, value):
    """The stored form of ``value`` for a field of ``kind``, or raise
    TypeError when it needs the field's own coercion."""
    if kind is _STR:
        if type(value) is str:
            return value
    elif kind is _INT:
        if type(value) is int:
            return value
    elif kind is _BOOL:
        if type(value) in (bool, int):
            return bool(value)
    elif isinstance(value, datetime.datetime):
        return value if value.tzinfo is not None else \
            value.replace(tzinfo=datetime.timezone.utc)
    elif isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else \
            parsed.replace(tzinfo=datetime.timezone.utc)
    raise TypeError(value)


def set_trusted(obj, values, skip=(), primitive=False):
    """Set ``obj``'s fields from ``values`` (a DB row or a row sent by the
    conductor), storing plain values directly. Marks nothing changed
    that coercion would not; the caller resets changes.

    :param primitive: ``values`` is an object's wire form: what is not
        stored directly is first turned back by its field's
        ``from_primitive``.
    """
    stored = {}
    coerced = []
    for name, attrname, kind, nullable in _loaders(type(obj)):
        if name not in values or name in skip:
            continue
        value = values[name]
        if kind is not None:
            if value is None:
                if nullable:
                    stored[attrname] = None
                    continue
            else:
                try:
                    stored[attrname] = _trusted_value(kind, value)
                    continue
                except (TypeError, ValueError):
                    pass
        coerced.append((name, value))
    # The fields' stored values, as their setters would leave them, at once.
    obj.__dict__.update(stored)
    for name, value in coerced:
        if primitive:
            value = obj.fields[name].from_primitive(obj, name, value)
        setattr(obj, name, value)
