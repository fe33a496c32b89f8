"""Client side of the compute RPC API (topic ``compute``, server = host).

Calls that change an instance are casts — the API has already moved the
instance to a task state and answers 202; reads the caller needs
(console info, console output, port validation) are calls.
"""

import oslo_messaging as messaging

from novalite.objects import base as objects_base
from novalite import rpc

TOPIC = 'compute'


class ComputeAPI:
    """RPC client to novalite-compute, version 1.0."""

    def __init__(self):
        target = messaging.Target(topic=TOPIC, version='1.0')
        self.client = rpc.get_client(
            target, serializer=objects_base.NovaliteObjectSerializer())

    def _cctxt(self, host, **kwargs):
        return self.client.prepare(server=host, **kwargs)

    def build_and_run_instance(self, ctxt, instance, host, image,
                               request_spec, filter_properties=None,
                               requested_networks=None, node=None,
                               limits=None, host_list=None,
                               admin_password=None, injected_files=None):
        """Build ``instance`` on ``host`` (cast).

        :param host_list: alternate hosts (Selections) the compute hands
            back to the conductor if the build needs rescheduling.
        """
        self._cctxt(host).cast(
            ctxt, 'build_and_run_instance', instance=instance, image=image,
            request_spec=request_spec,
            filter_properties=filter_properties or {},
            requested_networks=requested_networks, node=node,
            limits=limits, host_list=host_list,
            admin_password=admin_password, injected_files=injected_files)

    def terminate_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'terminate_instance',
                                        instance=instance)

    def start_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'start_instance',
                                        instance=instance)

    def stop_instance(self, ctxt, instance, clean_shutdown=True):
        self._cctxt(instance.host).cast(ctxt, 'stop_instance',
                                        instance=instance,
                                        clean_shutdown=clean_shutdown)

    def reboot_instance(self, ctxt, instance, reboot_type):
        """:param reboot_type: ``'SOFT'`` or ``'HARD'``."""
        self._cctxt(instance.host).cast(ctxt, 'reboot_instance',
                                        instance=instance,
                                        reboot_type=reboot_type)

    def pause_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'pause_instance',
                                        instance=instance)

    def unpause_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'unpause_instance',
                                        instance=instance)

    def suspend_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'suspend_instance',
                                        instance=instance)

    def resume_instance(self, ctxt, instance):
        self._cctxt(instance.host).cast(ctxt, 'resume_instance',
                                        instance=instance)

    def get_console_output(self, ctxt, instance, tail_length=None):
        """Return the tail of the guest's console log (call)."""
        return self._cctxt(instance.host).call(
            ctxt, 'get_console_output', instance=instance,
            tail_length=tail_length)

    def get_vnc_console(self, ctxt, instance, console_type):
        """Return connect info with a fresh token (call).

        :returns: dict with ``token``, ``host``, ``port``,
            ``internal_access_path``, ``access_url``, ``console_type``.
        """
        return self._cctxt(instance.host).call(
            ctxt, 'get_vnc_console', instance=instance,
            console_type=console_type)

    def validate_console_port(self, ctxt, instance, port, console_type,
                              timeout=None):
        """True when ``port`` is still the instance's console port (call).

        :param timeout: seconds to wait for the compute; default
            ``rpc_response_timeout``.
        """
        return self._cctxt(instance.host, timeout=timeout).call(
            ctxt, 'validate_console_port', instance=instance, port=port,
            console_type=console_type)
