"""How servers and flavors render, key for key as Nova's API samples."""

from novalite.api.openstack import common

_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE',
                      'VERIFY_RESIZE', 'MIGRATING')
_FAULT_STATUSES = ('ERROR', 'DELETED')
INSTANCE_NAME_TEMPLATE = 'instance-%08x'


def server_brief(req, instance):
    return {'id': instance.uuid, 'name': instance.display_name,
            'links': common.resource_links(req, 'servers', instance.uuid)}


def addresses(instance):
    """``{network: [{"addr", "version", "OS-EXT-IPS:type",
    "OS-EXT-IPS-MAC:mac_addr"}]}`` from the instance's network_info."""
    result = {}
    for vif in instance.get_network_info():
        address = vif.get('address') or vif.get('ip') or vif.get('addr')
        if not address:
            continue
        result.setdefault(vif.get('network') or 'private', []).append({
            'addr': address,
            'version': int(vif.get('version', 4)),
            'OS-EXT-IPS:type': vif.get('type') or 'fixed',
            'OS-EXT-IPS-MAC:mac_addr': vif.get('mac'),
        })
    return result


def _fault(req, instance):
    fault = instance.fault if instance.obj_attr_is_set('fault') else None
    if fault is None:
        return None
    body = {'code': fault.code, 'created': common.isotime(fault.created_at),
            'message': fault.message}
    if fault.details and (req.context.is_admin or fault.code != 500):
        body['details'] = fault.details
    return body


def _image(req, instance):
    if not instance.image_ref:
        return ''
    return {'id': instance.image_ref,
            'links': common.bookmark_link(req, 'images', instance.image_ref)}


def _flavor(req, instance):
    flavor = instance.flavor
    flavor_id = flavor.flavorid if flavor is not None else ''
    return {'id': flavor_id,
            'links': common.bookmark_link(req, 'flavors', flavor_id)}


def server(req, instance, show_admin=False):
    """The full server body of show / detail / update."""
    status = common.status_from_state(instance.vm_state,
                                      instance.task_state)
    body = {
        'id': instance.uuid,
        'name': instance.display_name,
        'status': status,
        'tenant_id': instance.project_id,
        'user_id': instance.user_id,
        'metadata': dict(instance.metadata or {}),
        'hostId': common.host_id(instance.project_id, instance.host),
        'image': _image(req, instance),
        'flavor': _flavor(req, instance),
        'created': common.isotime(instance.created_at),
        'updated': common.isotime(instance.updated_at or
                                  instance.created_at),
        'addresses': addresses(instance),
        'accessIPv4': str(instance.access_ip_v4 or ''),
        'accessIPv6': str(instance.access_ip_v6 or ''),
        'links': common.resource_links(req, 'servers', instance.uuid),
        'OS-DCF:diskConfig': 'AUTO',
        'key_name': instance.key_name,
        'config_drive': instance.config_drive or '',
        'OS-EXT-AZ:availability_zone': instance.availability_zone or '',
        'OS-EXT-STS:power_state': instance.power_state or 0,
        'OS-EXT-STS:task_state': instance.task_state,
        'OS-EXT-STS:vm_state': instance.vm_state,
        'OS-SRV-USG:launched_at': common.strtime(instance.launched_at),
        'OS-SRV-USG:terminated_at': common.strtime(instance.terminated_at),
        'os-extended-volumes:volumes_attached': [],
        'security_groups': [{'name': 'default'}],
    }
    if status in _PROGRESS_STATUSES:
        body['progress'] = instance.progress or 0
    if status in _FAULT_STATUSES:
        fault = _fault(req, instance)
        if fault is not None:
            body['fault'] = fault
    if show_admin:
        body.update({
            'OS-EXT-SRV-ATTR:host': instance.host,
            'OS-EXT-SRV-ATTR:hypervisor_hostname': instance.node,
            'OS-EXT-SRV-ATTR:instance_name':
                INSTANCE_NAME_TEMPLATE % instance.id,
        })
        if req.ver('2.3'):
            body.update({
                'OS-EXT-SRV-ATTR:reservation_id': instance.reservation_id,
                'OS-EXT-SRV-ATTR:launch_index': instance.launch_index,
                'OS-EXT-SRV-ATTR:kernel_id': instance.kernel_id or '',
                'OS-EXT-SRV-ATTR:ramdisk_id': instance.ramdisk_id or '',
                'OS-EXT-SRV-ATTR:hostname': instance.hostname,
                'OS-EXT-SRV-ATTR:root_device_name':
                    instance.root_device_name,
                'OS-EXT-SRV-ATTR:user_data': instance.user_data,
            })
    if req.ver('2.9'):
        body['locked'] = bool(instance.locked)
    return body


def flavor_brief(req, flavor):
    return {'id': flavor.flavorid, 'name': flavor.name,
            'links': common.resource_links(req, 'flavors', flavor.flavorid)}


def flavor(req, flavor):
    return {
        'id': flavor.flavorid,
        'name': flavor.name,
        'ram': flavor.memory_mb,
        'disk': flavor.root_gb,
        'vcpus': flavor.vcpus,
        'swap': flavor.swap or '',
        'rxtx_factor': flavor.rxtx_factor,
        'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeral_gb,
        'OS-FLV-DISABLED:disabled': bool(flavor.disabled),
        'os-flavor-access:is_public': bool(flavor.is_public),
        'links': common.resource_links(req, 'flavors', flavor.flavorid),
    }
