"""Reusable JSON-schema pieces (names, sizes, booleans) as Nova has them."""

# Printable characters with no leading or trailing white space.
_PRINTABLE = r'^(?![\s])[\S ]*(?<![\s])$'

name = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': r'^(?!\s)[^\x00-\x1f\x7f]*(?<!\s)$',
}

name_with_leading_trailing_spaces = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': r'^(?=.*\S)[^\x00-\x1f\x7f]*$',
}

description = {
    'type': ['string', 'null'], 'minLength': 0, 'maxLength': 255,
    'pattern': r'^[^\x00-\x1f\x7f]*$',
}

boolean = {
    'type': ['boolean', 'string'],
    'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
             'YES', 'Yes', 'yes', 'y', 't',
             False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off',
             'NO', 'No', 'no', 'n', 'f'],
}

# The largest count or size any field takes (a signed 32-bit column).
MAX_INT = 2147483647

non_negative_integer = {
    'type': ['integer', 'string'],
    'pattern': '^[0-9]*$', 'minimum': 0, 'maximum': MAX_INT, 'minLength': 1,
}

positive_integer = {
    'type': ['integer', 'string'],
    'pattern': '^[0-9]*$', 'minimum': 1, 'maximum': MAX_INT, 'minLength': 1,
}

flavor_ref = {
    'type': ['string', 'integer'], 'minLength': 1,
}

image_id_or_empty = {
    'type': 'string', 'maxLength': 255,
}

metadata = {
    'type': 'object',
    'patternProperties': {
        '^[a-zA-Z0-9-_:. ]{1,255}$': {'type': 'string', 'maxLength': 255},
    },
    'additionalProperties': False,
}

metadata_with_null = dict(metadata)

hostname = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': r'^[a-zA-Z0-9-._]*$',
}

ipv4 = {'type': 'string', 'format': 'ipv4'}
ipv6 = {'type': 'string', 'format': 'ipv6'}
accessIPv4 = {'type': 'string', 'format': 'ipv4'}
accessIPv6 = {'type': 'string', 'format': 'ipv6'}

project_id = {
    'type': 'string', 'minLength': 1, 'maxLength': 255,
    'pattern': r'^[a-zA-Z0-9-_]*$',
}

multi_params = lambda schema: {'type': 'array', 'items': schema}  # noqa
single_param = lambda schema: {  # noqa
    'type': 'array', 'items': schema, 'maxItems': 1}
