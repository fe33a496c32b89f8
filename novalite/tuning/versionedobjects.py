"""oslo.versionedobjects internals novalite relies on for speed.

Checked against oslo.versionedobjects 3.12.0.

What is relied on, beyond the public API:

- a field's value is kept in the instance attribute ``_obj_<field name>``
  (``base._get_attrname``), which is absent while the field is unset;
- the names of the fields changed since the last ``obj_reset_changes``
  are the set ``_changed_fields``, and the context is ``_context``;
- ``obj_from_primitive`` builds an object of a known class through the
  classmethod ``_obj_from_primitive(context, objver, primitive)``, which
  reads the wire form with ``_obj_primitive_field(primitive, key,
  default)``;
- a field's type is its ``_type`` (``fields.String()``, ...).

What is built on it:

- :class:`FastFieldsMixin`: ``obj_attr_is_set``, ``obj_what_changed``
  and ``_obj_from_primitive`` with ovo's contracts, by dict lookups;
- :func:`set_trusted`: fields set from a DB row or a wire form by writing
  their attributes at once, coercing only what needs it;
- :func:`field_reader`: the scheduler's reads of a node's fields;
- :func:`snapshot` and :func:`changed`: what the conductor's
  ``object_action`` sends back, without the deep copy of ``obj_clone``.

tests/unit/tuning/test_versionedobjects.py holds each of these to ovo's
own behaviour.
"""

import copy
import datetime

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields

# Where ovo keeps a field's value: this prefix and the field's name.
FIELD_ATTR_PREFIX = '_obj_'


class FastFieldsMixin:
    """ovo methods with the same contracts, faster; mixed in before
    ``VersionedObject``."""

    # oslo.versionedobjects builds the list of field names on every
    # obj_attr_is_set, and obj_what_changed asks it once per field: each
    # serialised Instance cost O(fields^2). Same contracts, dict lookups
    # (a list of 300 servers spent most of its conductor time here).

    def obj_attr_is_set(self, attrname):
        if attrname not in self.fields and \
                attrname not in self.obj_extra_fields:
            raise AttributeError("%s object has no attribute '%s'"
                                 % (self.obj_name(), attrname))
        return hasattr(self, FIELD_ATTR_PREFIX + attrname)

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
            value = getattr(self, FIELD_ATTR_PREFIX + name, None)
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


def field_reader(obj):
    """``get(name, default)`` over a versioned object's set fields.

    A scheduler refresh reads ~25 fields of every node; going through
    ``obj_attr_is_set`` and the field properties costs several times as
    much as reading the attributes ovo keeps the values in. A field that
    is unset or None reads as ``default``.
    """
    values = vars(obj)

    def get(name, default=None):
        value = values.get(FIELD_ATTR_PREFIX + name)
        return default if value is None else value
    return get


# -- trusted loading -------------------------------------------------------
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
            loaders.append((name, FIELD_ATTR_PREFIX + name, kind,
                            field.nullable))
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


# -- the conductor's diff ----------------------------------------------------
#
# After running a method for a caller, the conductor sends back every field
# the method changed. ovo's way to tell (and Nova's) is a full
# ``obj_clone()`` before the call, compared field by field after it.

_IMMUTABLE = (str, int, float, bool, type(None), datetime.datetime)


def snapshot(obj):
    """The set fields of ``obj`` before a method runs, cheaply.

    Immutable values are kept as they are and containers copied; nested
    objects are kept by reference (a method that replaces one is seen by
    identity, one that changes it in place by its changed fields). A full
    ``obj_clone`` deep-copies every field and was a large share of each
    call's cost.
    """
    snap = {}
    for name in obj.fields:
        if obj.obj_attr_is_set(name):
            value = getattr(obj, name)
            if isinstance(value, dict):
                # ovo's coerced containers keep a reference to their
                # object: copying one as it is copies the whole object.
                value = copy.deepcopy(dict(value))
            elif isinstance(value, list):
                value = copy.deepcopy(list(value))
            elif not isinstance(value, (_IMMUTABLE,
                                        ovo_base.VersionedObject)):
                value = copy.deepcopy(value)
            snap[name] = value
    return snap


def changed(before, after):
    """Whether a field whose :func:`snapshot` value was ``before`` and is
    now ``after`` goes back to the caller."""
    if isinstance(after, ovo_base.VersionedObject):
        return after is not before or bool(after.obj_what_changed())
    return before != after
