"""Versioned-object base classes.

In novalite-conductor (and novalite-manage) remotable methods run locally
against the database. Every other daemon's entry point
(:mod:`novalite.cmd.common`) points ``NovaliteObject.indirection_api`` at
the conductor's RPC client, so the same method call travels to the
conductor as ``object_action`` / ``object_class_action_versions`` and comes
back with the result. This module imports no service and no transport:
which remotable calls a caller may send again is said here
(:data:`IDEMPOTENT_READS`, :data:`RESENDABLE_WRITES`), the sending is the
conductor client's.
"""

import importlib

from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import fields

from novalite import db as db_guard
from novalite import exception
from novalite.tuning import versionedobjects as tuning_ovo

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


class NovaliteObject(tuning_ovo.FastFieldsMixin, ovo_base.VersionedObject):
    """Base of every novalite object (with the fast paths of
    :class:`~novalite.tuning.versionedobjects.FastFieldsMixin`)."""

    OBJ_SERIAL_NAMESPACE = 'novalite_object'
    OBJ_PROJECT_NAMESPACE = 'novalite'

    @classmethod
    def _from_db_object(cls, context, obj, db_row):
        """Fill ``obj`` from a DB dict; the hook ``obj_make_list`` calls."""
        return from_db(obj, context, db_row)


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


def use_indirection(binary, api):
    """Send remotable calls to ``api`` (the conductor's object proxy) and
    forbid DB access in this process, which runs ``binary``."""
    db_guard.block_access(binary)
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
    tuning_ovo.set_trusted(obj, db_row, skip)
    obj._context = context
    obj.obj_reset_changes()
    return obj
