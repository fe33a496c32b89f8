"""Objects the unit tests hand to the mocked object layer."""

import datetime

from oslo_utils import uuidutils

from novalite import objects

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)


def flavor(**values):
    base = dict(id=1, flavorid='1', name='m1.tiny', memory_mb=512, vcpus=1,
                root_gb=1, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
                vcpu_weight=None, disabled=False, is_public=True,
                description=None, extra_specs={}, projects=[],
                created_at=NOW, updated_at=None)
    base.update(values)
    return objects.Flavor(**base)


def instance(**values):
    base = dict(id=7, uuid=uuidutils.generate_uuid(), user_id='u1',
                project_id='p1', display_name='vm1', hostname='vm1',
                image_ref='70a599e0-31e7-49b7-b260-868f441e862b',
                flavor=flavor(), vm_state='active', task_state=None,
                power_state=1, host='cn1', node='cn1', launched_at=NOW,
                terminated_at=None, availability_zone='nova',
                key_name=None, user_data=None, reservation_id='r-1',
                launch_index=0, locked=False, locked_by=None,
                access_ip_v4=None, access_ip_v6=None, config_drive='',
                progress=0, kernel_id='', ramdisk_id='',
                root_device_name=None, metadata={}, system_metadata={},
                network_info='[{"address": "10.0.0.2", "mac": '
                             '"fa:16:3e:00:00:01", "network": "novalite", '
                             '"type": "fixed", "version": 4}]',
                created_at=NOW, updated_at=NOW, deleted=False,
                deleted_at=None, fault=None)
    base.update(values)
    inst = objects.Instance(**base)
    inst.obj_reset_changes()
    return inst
