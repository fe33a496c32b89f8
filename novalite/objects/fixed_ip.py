"""FixedIP objects: an instance's address and MAC on the flat network."""

from oslo_versionedobjects import fields

from novalite.objects import base


@base.NovaliteObjectRegistry.register
class FixedIP(base.NovaliteTimestampObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'network': fields.StringField(),
        'address': fields.IPV4AndV6AddressField(),
        'mac': fields.StringField(nullable=True),
        'instance_uuid': fields.UUIDField(nullable=True),
        'host': fields.StringField(nullable=True),
        'allocated': fields.BooleanField(default=False),
    }

    @base.remotable_classmethod
    def associate_pool(cls, context, network, cidr, instance_uuid,
                       host=None):
        """Take a free address of ``cidr`` for the instance (atomic).

        :raises: NoMoreFixedIps
        """
        row = base.db('fixed_ips').fixed_ip_associate_pool(
            context, network, cidr, instance_uuid, host)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_address(cls, context, address):
        """The allocated fixed IP ``address``.

        :raises: FixedIpNotFoundForAddress
        """
        row = base.db('fixed_ips').fixed_ip_get_by_address(context, address)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def disassociate_all_by_instance(cls, context, instance_uuid, host=None):
        """Free the instance's addresses (only those taken for ``host``
        when given); returns how many."""
        return base.db('fixed_ips').fixed_ip_disassociate_all_by_instance(
            context, instance_uuid, host=host)


@base.NovaliteObjectRegistry.register
class FixedIPList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('FixedIP'),
    }

    @base.remotable_classmethod
    def get_by_instance_uuid(cls, context, instance_uuid):
        rows = base.db('fixed_ips').fixed_ip_get_by_instance(context,
                                                             instance_uuid)
        return base.obj_make_list(context, cls(context), FixedIP, rows)

    @base.remotable_classmethod
    def get_allocated(cls, context, network=None, host=None):
        """Allocated addresses (for a DHCP host file, for example)."""
        rows = base.db('fixed_ips').fixed_ip_get_allocated(
            context, network=network, host=host)
        return base.obj_make_list(context, cls(context), FixedIP, rows)
