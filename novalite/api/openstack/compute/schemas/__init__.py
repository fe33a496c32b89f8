"""novalite.api.openstack.compute.schemas."""
