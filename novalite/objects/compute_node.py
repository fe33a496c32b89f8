"""ComputeNode objects: a hypervisor's totals and usage, written by compute."""

from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base


@base.NovaliteObjectRegistry.register
class ComputeNode(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(read_only=True),
        'uuid': fields.UUIDField(),
        'service_id': fields.IntegerField(nullable=True),
        'host': fields.StringField(nullable=True),
        'hypervisor_hostname': fields.StringField(nullable=True),
        'hypervisor_type': fields.StringField(),
        'hypervisor_version': fields.IntegerField(),
        'host_ip': fields.IPAddressField(nullable=True),
        'vcpus': fields.IntegerField(),
        'memory_mb': fields.IntegerField(),
        'local_gb': fields.IntegerField(),
        'vcpus_used': fields.IntegerField(),
        'memory_mb_used': fields.IntegerField(),
        'local_gb_used': fields.IntegerField(),
        'free_ram_mb': fields.IntegerField(nullable=True),
        'free_disk_gb': fields.IntegerField(nullable=True),
        'running_vms': fields.IntegerField(nullable=True),
        'current_workload': fields.IntegerField(nullable=True),
        'disk_available_least': fields.IntegerField(nullable=True),
        'cpu_info': fields.StringField(nullable=True),
        'supported_instances': fields.StringField(nullable=True),
        'stats': fields.StringField(nullable=True),
        'cpu_allocation_ratio': fields.FloatField(nullable=True),
        'ram_allocation_ratio': fields.FloatField(nullable=True),
        'disk_allocation_ratio': fields.FloatField(nullable=True),
    }

    @base.remotable_classmethod
    def get_by_id(cls, context, compute_id):
        row = base.db('compute_nodes').compute_node_get(context, compute_id)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_host_and_nodename(cls, context, host, nodename):
        """:raises: ComputeHostNotFound"""
        row = base.db('compute_nodes').compute_node_get_by_host_and_nodename(
            context, host, nodename)
        return cls._from_db_object(context, cls(), row)

    @base.remotable
    def create(self):
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        row = base.db('compute_nodes').compute_node_create(
            self._context, self.obj_get_changes())
        self._from_db_object(self._context, self, row)

    @base.remotable
    def save(self):
        updates = self.obj_get_changes()
        updates.pop('id', None)
        stamped = base.db('compute_nodes').compute_node_update(
            self._context, self.id, updates, refresh=False)
        self.updated_at = stamped['updated_at']
        self.obj_reset_changes()

    @base.remotable
    def destroy(self):
        base.db('compute_nodes').compute_node_delete(self._context, self.id)


@base.NovaliteObjectRegistry.register
class ComputeNodeList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('ComputeNode'),
    }

    @base.remotable_classmethod
    def get_all(cls, context):
        rows = base.db('compute_nodes').compute_node_get_all(context)
        return base.obj_make_list(context, cls(context), ComputeNode, rows)

    @base.remotable_classmethod
    def get_all_by_host(cls, context, host):
        rows = base.db('compute_nodes').compute_node_get_all(context,
                                                             host=host)
        return base.obj_make_list(context, cls(context), ComputeNode, rows)
