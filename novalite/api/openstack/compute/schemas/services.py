"""JSON schemas of os-services (2.1 action URLs and 2.11 force-down)."""

_host_binary = {
    'host': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'binary': {'type': 'string', 'minLength': 1, 'maxLength': 255},
}

enable_disable = {
    'type': 'object',
    'properties': dict(_host_binary),
    'required': ['host', 'binary'],
    'additionalProperties': False,
}

disable_log_reason = {
    'type': 'object',
    'properties': dict(_host_binary, disabled_reason={
        'type': 'string', 'minLength': 1, 'maxLength': 255,
        'pattern': r'^(?!\s)[^\x00-\x1f\x7f]*(?<!\s)$'}),
    'required': ['host', 'binary', 'disabled_reason'],
    'additionalProperties': False,
}

force_down = {
    'type': 'object',
    'properties': dict(_host_binary, forced_down={
        'type': ['boolean', 'string'],
        'enum': [True, False, 'true', 'false', 'True', 'False']}),
    'required': ['host', 'binary', 'forced_down'],
    'additionalProperties': False,
}
