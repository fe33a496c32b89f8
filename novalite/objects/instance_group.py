"""InstanceGroup objects: server groups with an (anti-)affinity policy.

The conductor reads ``InstanceGroup.get_by_uuid(ctxt, uuid).policy`` and
``.members`` to fill a RequestSpec's group fields; the api adds a server to
its group when it creates it (``add_members``).
"""

from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base

POLICIES = ('affinity', 'anti-affinity', 'soft-affinity',
            'soft-anti-affinity')


@base.NovaliteObjectRegistry.register
class InstanceGroup(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'uuid': fields.UUIDField(),
        'name': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'policy': fields.StringField(nullable=True),
        'rules': fields.DictOfStringsField(default={}),
        'members': fields.ListOfStringsField(default=[]),
    }

    @classmethod
    def _from_db_object(cls, context, obj, db_row):
        row = dict(db_row)
        row['rules'] = {k: str(v) for k, v in (row.get('rules') or {}).items()}
        return base.from_db(obj, context, row)

    @property
    def policies(self):
        """The pre-2.64 list form of ``policy``."""
        return [self.policy] if self.policy else []

    @base.remotable_classmethod
    def get_by_uuid(cls, context, uuid):
        """:raises: InstanceGroupNotFound"""
        row = base.db('instance_groups').instance_group_get(context, uuid)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_instance_uuid(cls, context, instance_uuid):
        """The group holding an instance. :raises: InstanceGroupNotFound"""
        row = base.db('instance_groups').instance_group_get_by_instance(
            context, instance_uuid)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def add_members(cls, context, group_uuid, instance_uuids):
        """Add instances to a group; returns the members after."""
        row = base.db('instance_groups').instance_group_members_add(
            context, group_uuid, list(instance_uuids))
        return list(row['members'])

    @base.remotable_classmethod
    def remove_member(cls, context, instance_uuid):
        base.db('instance_groups').instance_group_member_delete(
            context, instance_uuid)

    @base.remotable
    def create(self):
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        values = self.obj_get_changes()
        members = values.pop('members', None)
        row = base.db('instance_groups').instance_group_create(
            self._context, values, members=members)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def destroy(self):
        base.db('instance_groups').instance_group_destroy(self._context,
                                                          self.uuid)


@base.NovaliteObjectRegistry.register
class InstanceGroupList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('InstanceGroup'),
    }

    @base.remotable_classmethod
    def get_by_project_id(cls, context, project_id, limit=None, offset=None):
        rows = base.db('instance_groups').instance_group_get_all(
            context, project_id=project_id, limit=limit, offset=offset)
        return base.obj_make_list(context, cls(context), InstanceGroup, rows)

    @base.remotable_classmethod
    def get_all(cls, context, limit=None, offset=None):
        rows = base.db('instance_groups').instance_group_get_all(
            context, limit=limit, offset=offset)
        return base.obj_make_list(context, cls(context), InstanceGroup, rows)

    @base.remotable_classmethod
    def get_count_by_project(cls, context, project_id):
        return base.db('instance_groups').instance_group_count_by_project(
            context, project_id)
