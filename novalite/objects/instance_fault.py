"""InstanceFault objects: why a server went wrong, shown as ``fault`` in the API."""

from oslo_versionedobjects import fields

from novalite.objects import base


@base.NovaliteObjectRegistry.register
class InstanceFault(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'instance_uuid': fields.UUIDField(),
        'code': fields.IntegerField(),
        'message': fields.StringField(nullable=True),
        'details': fields.StringField(nullable=True),
        'host': fields.StringField(nullable=True),
    }

    @base.remotable_classmethod
    def get_latest_for_instance(cls, context, instance_uuid):
        """The newest fault of the instance, or None."""
        rows = base.db('instances').instance_fault_get_latest(
            context, [instance_uuid])
        row = rows.get(instance_uuid)
        return cls._from_db_object(context, cls(), row) if row else None

    @base.remotable
    def create(self):
        row = base.db('instances').instance_fault_create(
            self._context, self.obj_get_changes())
        self._from_db_object(self._context, self, row)
