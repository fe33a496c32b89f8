"""Service objects: one row per daemon per host, kept fresh by heartbeats."""

from oslo_utils import timeutils
from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base


@base.NovaliteObjectRegistry.register
class Service(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(read_only=True),
        'uuid': fields.UUIDField(),
        'host': fields.StringField(nullable=True),
        'binary': fields.StringField(nullable=True),
        'topic': fields.StringField(nullable=True),
        'report_count': fields.IntegerField(default=0),
        'last_seen_up': fields.DateTimeField(nullable=True),
        'disabled': fields.BooleanField(default=False),
        'disabled_reason': fields.StringField(nullable=True),
        'forced_down': fields.BooleanField(default=False),
        'availability_zone': fields.StringField(nullable=True),
        'version': fields.IntegerField(default=0),
    }

    @base.remotable_classmethod
    def get_by_id(cls, context, service_id):
        row = base.db('services').service_get(context, service_id)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_uuid(cls, context, service_uuid):
        row = base.db('services').service_get_by_uuid(context, service_uuid)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_host_and_binary(cls, context, host, binary):
        """:raises: HostBinaryNotFound"""
        row = base.db('services').service_get_by_host_and_binary(
            context, host, binary)
        return cls._from_db_object(context, cls(), row)

    @base.remotable
    def create(self):
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        row = base.db('services').service_create(
            self._context, self.obj_get_changes())
        self._from_db_object(self._context, self, row)

    @base.remotable
    def save(self):
        updates = self.obj_get_changes()
        updates.pop('id', None)
        row = base.db('services').service_update(self._context, self.id,
                                                 updates)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def heartbeat(self):
        """Count one report and stamp ``updated_at`` in the database."""
        row = base.db('services').service_heartbeat(self._context, self.id)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def destroy(self):
        base.db('services').service_destroy(self._context, self.id)

    def is_up(self, down_time):
        """True when the last heartbeat is within ``down_time`` seconds."""
        return self.up_for(down_time) is not None

    def up_for(self, down_time):
        """Seconds the service still counts as up without another
        heartbeat (0 at the very edge), or None when it is down."""
        if self.forced_down:
            return None
        last = self.last_seen_up or self.updated_at or self.created_at
        if last is None:
            return None
        left = down_time - abs(timeutils.delta_seconds(
            last, timeutils.utcnow(True)))
        return left if left >= 0 else None


@base.NovaliteObjectRegistry.register
class ServiceList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('Service'),
    }

    @base.remotable_classmethod
    def get_all(cls, context, disabled=None, binary=None, host=None):
        rows = base.db('services').service_get_all(
            context, disabled=disabled, binary=binary, host=host)
        return base.obj_make_list(context, cls(context), Service, rows)
