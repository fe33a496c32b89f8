"""Fixed-IP networking facade used by novalite-compute.

Allocation is driver-independent: an address and a MAC are taken from
``[network] fixed_range`` through the conductor (atomically, see
:mod:`novalite.db.fixed_ips`) and described as a VIF list stored in the
instance's ``network_info``. Wiring the guest to a bridge and serving DHCP
is the virt driver's business.
"""

from oslo_log import log as logging

from novalite import conf
from novalite import objects

CONF = conf.CONF
LOG = logging.getLogger(__name__)


def vif_from_fixed_ip(fixed_ip):
    """The ``network_info`` entry of one fixed IP."""
    return {'address': str(fixed_ip.address), 'mac': fixed_ip.mac,
            'network': fixed_ip.network, 'type': 'fixed', 'version': 4}


class API:
    """Allocate and free the fixed IPs of instances."""

    def allocate_for_instance(self, context, instance, host=None):
        """Give the instance one fixed IP; returns its VIF list.

        Idempotent per host: asking again for the same instance and host
        returns the same address.

        :raises: NoMoreFixedIps
        """
        fixed_ip = objects.FixedIP.associate_pool(
            context, CONF.network.network_name, CONF.network.fixed_range,
            instance.uuid, host)
        LOG.debug('Allocated %s (%s) to %s', fixed_ip.address, fixed_ip.mac,
                  instance.uuid)
        return [vif_from_fixed_ip(fixed_ip)]

    def deallocate_for_instance(self, context, instance, host=None):
        """Return the instance's addresses to the pool.

        :param host: free only the addresses taken for a build on this host
            (a failed build's clean-up must not free the address of a build
            of the same instance that won elsewhere).
        """
        count = objects.FixedIP.disassociate_all_by_instance(
            context, instance.uuid, host=host)
        LOG.debug('Freed %d fixed IP(s) of %s', count, instance.uuid)
        return count

    def get_instance_nw_info(self, context, instance):
        """The VIF list of the instance's current addresses."""
        return [vif_from_fixed_ip(f) for f in
                objects.FixedIPList.get_by_instance_uuid(context,
                                                         instance.uuid)]
