"""JSON schemas of flavors, their extra specs and project access."""

from novalite.api.openstack.compute.schemas import parameter_types as pt

create = {
    'type': 'object',
    'properties': {
        'flavor': {
            'type': 'object',
            'properties': {
                'name': pt.name,
                'id': {'type': ['string', 'null'], 'minLength': 1,
                       'maxLength': 255,
                       'pattern': r'^(?! )[a-zA-Z0-9. _-]+(?<! )$'},
                'ram': {'type': ['integer', 'string'],
                        'pattern': '^[0-9]+$', 'minimum': 1,
                        'maximum': 2147483647},
                'vcpus': {'type': ['integer', 'string'],
                          'pattern': '^[0-9]+$', 'minimum': 1,
                          'maximum': 2147483647},
                'disk': {'type': ['integer', 'string'],
                         'pattern': '^[0-9]+$', 'minimum': 0,
                         'maximum': 2147483647},
                'OS-FLV-EXT-DATA:ephemeral': {
                    'type': ['integer', 'string'], 'pattern': '^[0-9]*$',
                    'minimum': 0, 'maximum': 2147483647},
                'swap': {'type': ['integer', 'string'],
                         'pattern': '^[0-9]*$', 'minimum': 0,
                         'maximum': 2147483647},
                'rxtx_factor': {'type': ['number', 'string'],
                                # At most 38 digits before the point: below
                                # the maximum, whatever the digits.
                                'pattern': r'^[0-9]{1,38}(\.[0-9]+)?$',
                                'minimum': 0, 'exclusiveMinimum': 0,
                                'maximum': 3.40282e+38},
                'os-flavor-access:is_public': pt.boolean,
            },
            'required': ['name', 'ram', 'vcpus', 'disk'],
            'additionalProperties': False,
        },
    },
    'required': ['flavor'],
    'additionalProperties': False,
}

_spec_key = '^[a-zA-Z0-9-_:. ]{1,255}$'

extra_specs_create = {
    'type': 'object',
    'properties': {
        'extra_specs': {
            'type': 'object',
            'patternProperties': {
                _spec_key: {'type': ['string', 'number', 'boolean'],
                            'minLength': 0, 'maxLength': 255},
            },
            'additionalProperties': False,
        },
    },
    'required': ['extra_specs'],
    'additionalProperties': False,
}

extra_spec_update = {
    'type': 'object',
    'patternProperties': {
        _spec_key: {'type': ['string', 'number', 'boolean'],
                    'minLength': 0, 'maxLength': 255},
    },
    'additionalProperties': False,
    'minProperties': 1,
    'maxProperties': 1,
}

_tenant = {
    'type': 'object',
    'properties': {'tenant': {'type': 'string', 'minLength': 1,
                              'maxLength': 255,
                              'pattern': r'^[a-zA-Z0-9-_]*$'}},
    'required': ['tenant'],
    'additionalProperties': False,
}

add_tenant_access = {
    'type': 'object',
    'properties': {'addTenantAccess': _tenant},
    'required': ['addTenantAccess'],
    'additionalProperties': False,
}

remove_tenant_access = {
    'type': 'object',
    'properties': {'removeTenantAccess': _tenant},
    'required': ['removeTenantAccess'],
    'additionalProperties': False,
}

query_params = {
    'type': 'object',
    'properties': {
        'limit': pt.multi_params(pt.non_negative_integer),
        'marker': pt.multi_params({'type': 'string'}),
        'is_public': pt.multi_params({'type': 'string'}),
        'minRam': pt.multi_params(pt.non_negative_integer),
        'minDisk': pt.multi_params(pt.non_negative_integer),
        'sort_key': pt.multi_params({'type': 'string', 'enum': [
            'created_at', 'description', 'disabled', 'ephemeral_gb',
            'flavorid', 'id', 'is_public', 'memory_mb', 'name',
            'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight',
            'vcpus']}),
        'sort_dir': pt.multi_params({'type': 'string',
                                     'enum': ['asc', 'desc']}),
    },
    'additionalProperties': True,
}
