"""Instance objects: a server's whole record, saved with state guards.

``save(expected_task_state=..., expected_vm_state=...)`` only writes when
the row is still in one of the expected states and raises
:class:`~novalite.exception.UnexpectedTaskStateError` (or its ``Deleting``
variant) otherwise, so two daemons can never both move an instance out of
the same state. Pass ``[None]`` to expect "no task".
"""

import datetime
import operator

from oslo_serialization import jsonutils
from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base
from novalite.objects import flavor as flavor_obj
from novalite.objects import instance_fault  # noqa: F401 (registers)

# Loaded only when asked for with expected_attrs (or on first access).
OPTIONAL_ATTRS = ('fault',)
_JSON_OBJECT_COLUMNS = ('flavor',)


@base.NovaliteObjectRegistry.register
class Instance(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'uuid': fields.UUIDField(),
        'user_id': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'display_name': fields.StringField(nullable=True),
        'display_description': fields.StringField(nullable=True),
        'hostname': fields.StringField(nullable=True),
        'image_ref': fields.StringField(nullable=True),
        'kernel_id': fields.StringField(nullable=True),
        'ramdisk_id': fields.StringField(nullable=True),
        'instance_type_id': fields.IntegerField(nullable=True),
        'flavor': fields.ObjectField('Flavor', nullable=True),
        'vcpus': fields.IntegerField(nullable=True),
        'memory_mb': fields.IntegerField(nullable=True),
        'root_gb': fields.IntegerField(nullable=True),
        'ephemeral_gb': fields.IntegerField(nullable=True),
        'vm_state': fields.StringField(nullable=True),
        'task_state': fields.StringField(nullable=True),
        'power_state': fields.IntegerField(nullable=True),
        'host': fields.StringField(nullable=True),
        'node': fields.StringField(nullable=True),
        'launched_on': fields.StringField(nullable=True),
        'launched_at': fields.DateTimeField(nullable=True),
        'terminated_at': fields.DateTimeField(nullable=True),
        'scheduled_at': fields.DateTimeField(nullable=True),
        'availability_zone': fields.StringField(nullable=True),
        'key_name': fields.StringField(nullable=True),
        'key_data': fields.StringField(nullable=True),
        'user_data': fields.StringField(nullable=True),
        'reservation_id': fields.StringField(nullable=True),
        'launch_index': fields.IntegerField(nullable=True),
        'locked': fields.BooleanField(default=False),
        'locked_by': fields.StringField(nullable=True),
        'access_ip_v4': fields.IPV4AddressField(nullable=True),
        'access_ip_v6': fields.IPV6AddressField(nullable=True),
        'config_drive': fields.StringField(nullable=True),
        'progress': fields.IntegerField(nullable=True),
        'os_type': fields.StringField(nullable=True),
        'architecture': fields.StringField(nullable=True),
        'vm_mode': fields.StringField(nullable=True),
        'root_device_name': fields.StringField(nullable=True),
        'cleaned': fields.BooleanField(default=False),
        'metadata': fields.DictOfStringsField(default={}),
        'system_metadata': fields.DictOfNullableStringsField(default={}),
        # JSON list of VIF dicts: address, mac, network, type, version.
        'network_info': fields.StringField(nullable=True),
        'tags': fields.ListOfStringsField(default=[]),
        'fault': fields.ObjectField('InstanceFault', nullable=True),
    }

    @classmethod
    def _from_db_object(cls, context, obj, db_row, expected_attrs=None,
                        flavors=None):
        """Fill ``obj`` from a row of the instances table (or one sent by
        the conductor in an :class:`InstanceList`).

        :param flavors: ``{flavor JSON: Flavor}`` shared by the instances of
            one list, so a flavor used by many is decoded once (they then
            share one Flavor object).
        """
        row = dict(db_row)
        flavor = row.pop('flavor', None)
        row['metadata'] = row.get('metadata') or {}
        row['system_metadata'] = row.get('system_metadata') or {}
        row['tags'] = row.get('tags') or []
        row['cleaned'] = bool(row.get('cleaned'))
        fault = row.pop('fault', None)
        base.from_db(obj, context, row)
        if not flavor:
            obj.flavor = None
        elif flavors is not None and flavor in flavors:
            obj.flavor = flavors[flavor]
        else:
            obj.flavor = flavor_obj.Flavor.obj_from_primitive(
                jsonutils.loads(flavor))
            if flavors is not None:
                flavors[flavor] = obj.flavor
        if expected_attrs and 'fault' in expected_attrs:
            obj.fault = (instance_fault.InstanceFault._from_db_object(
                context, instance_fault.InstanceFault(), fault)
                if fault else None)
        obj.obj_reset_changes()
        return obj

    def obj_load_attr(self, attrname):
        if attrname != 'fault':
            raise exception.ObjectActionError(
                action='obj_load_attr', reason='cannot load %s' % attrname)
        self.fault = instance_fault.InstanceFault.get_latest_for_instance(
            self._context, self.uuid)
        self.obj_reset_changes(['fault'])

    def _db_values(self, updates):
        updates = dict(updates)
        updates.pop('fault', None)
        updates.pop('id', None)
        if 'flavor' in updates:
            flavor = updates['flavor']
            updates['flavor'] = (jsonutils.dumps(flavor.obj_to_primitive())
                                 if flavor is not None else None)
            if flavor is not None:
                updates.setdefault('instance_type_id', flavor.id)
        return updates

    # -- class methods -------------------------------------------------------

    @base.remotable_classmethod
    def get_by_uuid(cls, context, uuid, expected_attrs=None):
        """:raises: InstanceNotFound"""
        row = base.db('instances').instance_get_by_uuid(
            context, uuid, with_fault='fault' in (expected_attrs or ()))
        return cls._from_db_object(context, cls(), row, expected_attrs)

    @base.remotable_classmethod
    def get_by_id(cls, context, instance_id, expected_attrs=None):
        row = base.db('instances').instance_get(
            context, instance_id, with_fault='fault' in (expected_attrs or ()))
        return cls._from_db_object(context, cls(), row, expected_attrs)

    # -- instance methods ----------------------------------------------------

    @base.remotable
    def create(self):
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        row = base.db('instances').instance_create(
            self._context, self._db_values(self.obj_get_changes()))
        self._from_db_object(self._context, self, row)

    @base.remotable
    def save(self, expected_task_state=None, expected_vm_state=None):
        """Write the changed fields, guarded by the expected states.

        :param expected_task_state: a state or list of states the row must
            be in (``None`` inside a list means "no task"); None skips the
            check.
        :raises: UnexpectedTaskStateError, UnexpectedDeletingTaskStateError,
            UnexpectedVMStateError, InstanceNotFound
        """
        updates = self._db_values(self.obj_get_changes())
        if not updates:
            return
        # The object already holds what was written; only the stamp the
        # database set comes back.
        stamped = base.db('instances').instance_update(
            self._context, self.uuid, updates,
            expected_task_state=expected_task_state,
            expected_vm_state=expected_vm_state, refresh=False)
        self.updated_at = stamped['updated_at']
        self.obj_reset_changes()

    @base.remotable
    def take_over_build(self, untouched_since):
        """True when this caller, and no other, may schedule again this
        build waiting for a host since before ``untouched_since``."""
        return base.db('instances').instance_take_over_build(
            self._context, self.uuid, untouched_since)

    @base.remotable
    def refresh(self):
        expected = ['fault'] if self.obj_attr_is_set('fault') else None
        fresh = self.get_by_uuid(self._context, self.uuid,
                                 expected_attrs=expected)
        for name in self.fields:
            if fresh.obj_attr_is_set(name):
                setattr(self, name, getattr(fresh, name))
        self.obj_reset_changes()

    @base.remotable
    def destroy(self):
        """Soft-delete the row (vm_state ``deleted`` is set by the caller)."""
        row = base.db('instances').instance_destroy(self._context,
                                                    self.uuid)
        self._from_db_object(self._context, self, row)

    def get_network_info(self):
        """The VIF list stored in ``network_info`` (may be empty)."""
        return jsonutils.loads(self.network_info) if self.network_info \
            else []


@base.NovaliteObjectRegistry.register
class InstanceList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('Instance'),
    }

    # A list of instances travels from the conductor as rows: the column
    # names once, then one list of plain values per instance (datetimes as
    # ISO strings, the flavor as the JSON the row stores). The conductor
    # builds no Instance objects for it and the receiver builds them
    # without per-field coercion of the plain values; a list of 1000
    # servers cost seconds in ovo's generic form.

    @classmethod
    def _make(cls, context, rows, expected_attrs):
        result = cls(context)
        # The objects are built on first use (in the conductor itself) or
        # never (sent as rows).
        del result.objects
        result._rows = (rows, list(expected_attrs or ()))
        return result

    def obj_load_attr(self, attrname):
        rows = getattr(self, '_rows', None)
        if attrname != 'objects' or rows is None:
            raise exception.ObjectActionError(
                action='obj_load_attr', reason='cannot load %s' % attrname)
        self.objects = _instances(self._context, *rows)
        self._rows = None
        self.obj_reset_changes(['objects'])

    def obj_to_primitive(self, target_version=None, version_manifest=None):
        rows = getattr(self, '_rows', None)
        if rows is None or self.obj_attr_is_set('objects'):
            return super().obj_to_primitive(target_version,
                                            version_manifest)
        rows, expected_attrs = rows
        columns = sorted(rows[0]) if rows else []
        # itemgetter of two or more keys gives a tuple, in C.
        values_of = operator.itemgetter(*columns) if len(columns) > 1 \
            else (lambda row: [row[c] for c in columns])
        values = [[_wire_value(value)
                   if isinstance(value, _CONVERTED) else value
                   for value in values_of(row)]
                  for row in rows]
        # The flavor JSON (most of a row's bytes) goes once per distinct
        # flavor; rows carry its index.
        flavors = {}
        if 'flavor' in columns:
            at = columns.index('flavor')
            for row_values in values:
                flavor = row_values[at]
                if flavor is not None:
                    row_values[at] = flavors.setdefault(flavor,
                                                        len(flavors))
        return {
            self._obj_primitive_key('name'): self.obj_name(),
            self._obj_primitive_key('namespace'):
                self.OBJ_PROJECT_NAMESPACE,
            self._obj_primitive_key('version'): self.VERSION,
            self._obj_primitive_key('data'): {'rows': {
                'columns': columns, 'expected_attrs': expected_attrs,
                'flavors': list(flavors), 'values': values}},
        }

    @classmethod
    def _obj_from_primitive(cls, context, objver, primitive):
        data = primitive[cls._obj_primitive_key('data')]
        if 'rows' not in data:
            return super()._obj_from_primitive(context, objver, primitive)
        wire = data['rows']
        columns, flavors = wire['columns'], wire.get('flavors') or []
        rows = [dict(zip(columns, values)) for values in wire['values']]
        if flavors:
            for row in rows:
                if row['flavor'] is not None:
                    row['flavor'] = flavors[row['flavor']]
        result = cls(context)
        result.VERSION = objver
        result.objects = _instances(context, rows, wire['expected_attrs'])
        result.obj_reset_changes()
        return result

    @base.remotable_classmethod
    def get_by_filters(cls, context, filters, sort_key='created_at',
                       sort_dir='desc', limit=None, marker=None,
                       expected_attrs=None, sort_keys=None, sort_dirs=None):
        """Instances matching ``filters`` (see db.instances for the keys).

        :raises: MarkerNotFound
        """
        rows = base.db('instances').instance_get_all_by_filters(
            context, filters, sort_keys=sort_keys or [sort_key],
            sort_dirs=sort_dirs or [sort_dir], limit=limit, marker=marker,
            with_fault='fault' in (expected_attrs or ()))
        return cls._make(context, rows, expected_attrs)

    @base.remotable_classmethod
    def get_by_host(cls, context, host, expected_attrs=None):
        rows = base.db('instances').instance_get_all_by_filters(
            context, {'host': host}, sort_keys=['id'], sort_dirs=['asc'],
            with_fault='fault' in (expected_attrs or ()))
        return cls._make(context, rows, expected_attrs)

    @base.remotable_classmethod
    def get_host_instance_map(cls, context):
        """``{host: [instance uuid, ...]}`` over every live instance."""
        return base.db('instances').instance_host_map(context)

    @base.remotable_classmethod
    def get_counts(cls, context, project_id, user_id=None):
        """Usage for quotas: ``{'project': {'instances', 'cores', 'ram'},
        'user': {...}}`` (``user`` only when ``user_id`` is given)."""
        return base.db('instances').instance_get_counts(context, project_id,
                                                        user_id)


def _instances(context, rows, expected_attrs):
    flavors = {}
    return [Instance._from_db_object(context, Instance(context), row,
                                     expected_attrs, flavors=flavors)
            for row in rows]


# What _wire_value changes; everything else travels as it is.
_CONVERTED = (datetime.datetime, dict)


def _wire_value(value):
    """A DB value as JSON carries it (datetimes to ISO 8601; a fault row's
    too)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _wire_value(v) for k, v in value.items()}
    return value
