"""novalite.api.openstack.compute."""
