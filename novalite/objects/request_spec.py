"""RequestSpec and Selection: what the scheduler is asked, and what it answers.

A RequestSpec travels api → conductor → scheduler (and back to the
conductor on a reschedule); it is not persisted. ``select_destinations``
answers one list of Selections per instance: the chosen host first, then
alternates the compute hands back if the build must be rescheduled.
"""

from oslo_versionedobjects import fields

from novalite.objects import base
from novalite.objects import flavor  # noqa: F401 (registers Flavor)


@base.NovaliteObjectRegistry.register
class RequestSpec(base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'instance_uuid': fields.UUIDField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'flavor': fields.ObjectField('Flavor'),
        'image_id': fields.StringField(nullable=True),
        # Image properties the filters read: architecture, hypervisor_type,
        # vm_mode, hw_* ...; plus min_ram / min_disk as strings.
        'image_properties': fields.DictOfNullableStringsField(default={}),
        'num_instances': fields.IntegerField(default=1),
        'availability_zone': fields.StringField(nullable=True),
        # os:scheduler_hints, values normalised to lists of strings.
        'scheduler_hints': fields.DictOfListOfStringsField(default={}),
        'group_uuid': fields.UUIDField(nullable=True),
        'group_policy': fields.StringField(nullable=True),
        # Hosts already running members of the group (filled by the
        # conductor before each scheduling pass).
        'group_hosts': fields.ListOfStringsField(default=[]),
        'group_members': fields.ListOfStringsField(default=[]),
        'ignore_hosts': fields.ListOfStringsField(default=[]),
        'force_hosts': fields.ListOfStringsField(default=[]),
        'force_nodes': fields.ListOfStringsField(default=[]),
        # Hosts tried already for this build (RetryFilter) and how many
        # attempts were made.
        'retry_hosts': fields.ListOfStringsField(default=[]),
        'num_attempts': fields.IntegerField(default=0),
    }

    def get_scheduler_hint(self, name, default=None):
        """First value of a hint, or ``default``."""
        values = (self.scheduler_hints or {}).get(name) \
            if self.obj_attr_is_set('scheduler_hints') else None
        return values[0] if values else default


@base.NovaliteObjectRegistry.register
class Selection(base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'service_host': fields.StringField(),
        'nodename': fields.StringField(),
        'compute_node_uuid': fields.UUIDField(nullable=True),
    }
