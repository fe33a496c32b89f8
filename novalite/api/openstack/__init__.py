"""novalite.api.openstack."""
