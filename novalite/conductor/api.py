"""Facades over the conductor RPC API used by the other daemons."""

from novalite import rpc

TOPIC = 'conductor'
COMPUTE_TASK_NAMESPACE = 'compute_task'


class ComputeTaskAPI:
    """Build orchestration in the conductor (namespace ``compute_task``)."""

    def __init__(self):
        self.client = rpc.get_client(TOPIC, version='1.0',
                                     namespace=COMPUTE_TASK_NAMESPACE)

    def build_instances(self, ctxt, instances, image, request_spec,
                        requested_networks=None, admin_password=None,
                        injected_files=None, host_lists=None,
                        filter_properties=None):
        """Schedule and build ``instances`` (cast).

        The api calls this once per request; a compute calls it again for
        a reschedule, passing the alternates it was given in
        ``host_lists`` and the hosts tried so far in
        ``filter_properties['retry']``.
        """
        self.client.prepare().cast(
            ctxt, 'build_instances', instances=instances, image=image,
            request_spec=request_spec,
            requested_networks=requested_networks,
            admin_password=admin_password, injected_files=injected_files,
            host_lists=host_lists,
            filter_properties=filter_properties or {})

    def resume_build(self, ctxt, instance, failed_host=None, reason=None):
        """Hand back a build this compute cannot finish (cast).

        For a build interrupted by the compute's restart, or assigned to
        it but never received: the conductor schedules it again without
        ``failed_host`` while ``[scheduler] max_attempts`` allows, and
        otherwise puts it in ERROR with a fault giving ``reason``.
        """
        self.client.prepare().cast(ctxt, 'resume_build', instance=instance,
                                   failed_host=failed_host, reason=reason)
