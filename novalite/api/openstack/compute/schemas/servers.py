"""JSON schemas of the servers API and its actions."""

import copy

from novalite.api.openstack.compute.schemas import parameter_types as pt

_network = {
    'type': 'object',
    'properties': {
        'fixed_ip': pt.ipv4,
        'port': {'type': ['string', 'null'], 'format': 'uuid'},
        'uuid': {'type': 'string'},
        'tag': {'type': 'string'},
    },
    'additionalProperties': False,
}

# Nova's block_device_mapping_v2 item (up to 2.32, before device tags).
_block_device_mapping_v2 = {
    'type': 'object',
    'properties': {
        'uuid': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'source_type': {'type': 'string',
                        'enum': ['volume', 'image', 'snapshot', 'blank']},
        'destination_type': {'type': 'string',
                             'enum': ['local', 'volume']},
        'delete_on_termination': pt.boolean,
        'boot_index': {'type': ['integer', 'string', 'null'],
                       'pattern': '^-?[0-9]+$', 'minimum': -pt.MAX_INT,
                       'maximum': pt.MAX_INT},
        'device_name': {'type': 'string', 'minLength': 1,
                        'maxLength': 255},
        'volume_size': {'type': ['integer', 'string', 'null'],
                        'pattern': '^[0-9]+$', 'minimum': 1,
                        'maximum': pt.MAX_INT},
        'guest_format': {'type': 'string', 'maxLength': 255},
        'disk_bus': {'type': 'string', 'maxLength': 255},
        'device_type': {'type': 'string', 'maxLength': 255},
        'no_device': {},
    },
    'additionalProperties': False,
}

_personality = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {
            'path': {'type': 'string'},
            'contents': {'type': 'string', 'format': 'base64'},
        },
        'additionalProperties': False,
    },
}

_server_create = {
    'type': 'object',
    'properties': {
        'name': pt.name,
        'imageRef': pt.image_id_or_empty,
        'flavorRef': pt.flavor_ref,
        'adminPass': {'type': 'string'},
        'metadata': pt.metadata,
        'networks': {
            'oneOf': [
                {'type': 'array', 'items': _network},
                {'type': 'string', 'enum': ['none', 'auto']},
            ]},
        'OS-DCF:diskConfig': {'type': 'string', 'enum': ['AUTO', 'MANUAL']},
        'accessIPv4': pt.accessIPv4,
        'accessIPv6': pt.accessIPv6,
        'personality': _personality,
        'key_name': pt.name,
        'availability_zone': {'type': 'string', 'minLength': 1,
                              'maxLength': 255},
        'user_data': {'type': 'string', 'maxLength': 65535},
        'min_count': pt.positive_integer,
        'max_count': pt.positive_integer,
        'return_reservation_id': pt.boolean,
        'security_groups': {
            'type': 'array',
            'items': {'type': 'object',
                      'properties': {'name': pt.name},
                      'additionalProperties': False}},
        'config_drive': pt.boolean,
        'block_device_mapping': {'type': 'array'},
        'block_device_mapping_v2': {'type': 'array',
                                    'items': _block_device_mapping_v2},
    },
    'required': ['name', 'flavorRef'],
    'additionalProperties': False,
}

_hints = {
    'type': 'object',
    'properties': {
        'group': {'type': 'string', 'format': 'uuid'},
        'different_host': {'oneOf': [
            {'type': 'string', 'format': 'uuid'},
            {'type': 'array', 'items': {'type': 'string',
                                        'format': 'uuid'}}]},
        'same_host': {'oneOf': [
            {'type': 'string', 'format': 'uuid'},
            {'type': 'array', 'items': {'type': 'string',
                                        'format': 'uuid'}}]},
    },
    'additionalProperties': True,
}

create = {
    'type': 'object',
    'properties': {
        'server': _server_create,
        'os:scheduler_hints': _hints,
        'OS-SCH-HNT:scheduler_hints': _hints,
    },
    'required': ['server'],
    'additionalProperties': False,
}

update = {
    'type': 'object',
    'properties': {
        'server': {
            'type': 'object',
            'properties': {
                'name': pt.name,
                'accessIPv4': pt.accessIPv4,
                'accessIPv6': pt.accessIPv6,
                'OS-DCF:diskConfig': {'type': 'string',
                                      'enum': ['AUTO', 'MANUAL']},
            },
            'additionalProperties': False,
        },
    },
    'required': ['server'],
    'additionalProperties': False,
}

_sort_keys = ['access_ip_v4', 'access_ip_v6', 'auto_disk_config',
              'availability_zone', 'config_drive', 'created_at',
              'display_description', 'display_name', 'host', 'hostname',
              'image_ref', 'instance_type_id', 'kernel_id', 'key_name',
              'launch_index', 'launched_at', 'locked', 'locked_by', 'node',
              'power_state', 'progress', 'project_id', 'ramdisk_id',
              'root_device_name', 'task_state', 'terminated_at',
              'updated_at', 'user_id', 'uuid', 'vm_state']

query_params = {
    'type': 'object',
    'properties': {
        'limit': pt.multi_params(pt.non_negative_integer),
        'marker': pt.multi_params({'type': 'string'}),
        'changes-since': pt.multi_params({'type': 'string',
                                          'format': 'date-time'}),
        'sort_key': pt.multi_params({'type': 'string',
                                     'enum': _sort_keys}),
        'sort_dir': pt.multi_params({'type': 'string',
                                     'enum': ['asc', 'desc']}),
        'all_tenants': pt.multi_params({'type': 'string'}),
        'deleted': pt.multi_params(pt.boolean),
    },
    # Unknown filters are ignored, as Nova does.
    'additionalProperties': True,
}

reboot = {
    'type': 'object',
    'properties': {
        'reboot': {
            'type': 'object',
            'properties': {
                'type': {'type': 'string',
                         'enum': ['HARD', 'Hard', 'hard', 'SOFT', 'Soft',
                                  'soft']},
            },
            'required': ['type'],
            'additionalProperties': False,
        },
    },
    'required': ['reboot'],
    'additionalProperties': False,
}

get_console_output = {
    'type': 'object',
    'properties': {
        'os-getConsoleOutput': {
            'type': 'object',
            'properties': {
                'length': {'type': ['integer', 'string', 'null'],
                           'pattern': '^-?[0-9]+$', 'minimum': -1,
                           'maximum': pt.MAX_INT},
            },
            'additionalProperties': False,
        },
    },
    'required': ['os-getConsoleOutput'],
    'additionalProperties': False,
}

get_vnc_console = {
    'type': 'object',
    'properties': {
        'os-getVNCConsole': {
            'type': 'object',
            'properties': {
                'type': {'type': 'string', 'enum': ['novnc', 'xvpvnc']},
            },
            'required': ['type'],
            'additionalProperties': False,
        },
    },
    'required': ['os-getVNCConsole'],
    'additionalProperties': False,
}

remote_console = {
    'type': 'object',
    'properties': {
        'remote_console': {
            'type': 'object',
            'properties': {
                'protocol': {'type': 'string',
                             'enum': ['vnc', 'spice', 'rdp', 'serial']},
                'type': {'type': 'string',
                         'enum': ['novnc', 'xvpvnc', 'rdp-html5',
                                  'spice-html5', 'serial']},
            },
            'required': ['protocol', 'type'],
            'additionalProperties': False,
        },
    },
    'required': ['remote_console'],
    'additionalProperties': False,
}

remote_console_v28 = copy.deepcopy(remote_console)
_rc = remote_console_v28['properties']['remote_console']['properties']
_rc['protocol']['enum'].append('mks')
_rc['type']['enum'].append('webmks')

metadata_set = {
    'type': 'object',
    'properties': {'metadata': pt.metadata},
    'required': ['metadata'],
    'additionalProperties': False,
}

metadata_item = {
    'type': 'object',
    'properties': {
        'meta': {
            'type': 'object',
            'patternProperties': pt.metadata['patternProperties'],
            'additionalProperties': False,
            'minProperties': 1,
            'maxProperties': 1,
        },
    },
    'required': ['meta'],
    'additionalProperties': False,
}
