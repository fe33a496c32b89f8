"""Request validation with jsonschema, Nova's way.

``@schema(body_schema, min_version, max_version)`` validates ``req.json``
before the handler runs; ``@query_schema(...)`` validates the query string
(every value is a list of strings, as ``req.GET`` has them). Failures are
400 ``badRequest`` with Nova's "Invalid input for field/attribute ..."
message. On the legacy /v2 endpoint unknown body properties are dropped
instead of refused, as Nova's relaxed v2 validation does.
"""

import functools
import re

import jsonschema
from jsonschema import validators

from novalite import exception


class ValidationError(exception.Invalid):
    msg_fmt = '%(detail)s'


def _strip_additional(schema, body):
    """Drop properties a schema does not declare (legacy v2 requests)."""
    if not isinstance(body, dict) or schema.get('type') != 'object':
        return
    props = schema.get('properties', {})
    patterns = schema.get('patternProperties')
    if schema.get('additionalProperties') is False and not patterns:
        for key in list(body):
            if key not in props:
                del body[key]
    for key, sub in props.items():
        if key in body:
            _strip_additional(sub, body[key])


def _message(error, what):
    if error.validator == 'additionalProperties' and \
            what == 'field/attribute':
        return error.message
    path = '/'.join(str(p) for p in error.path)
    value = error.instance
    if isinstance(value, str) and len(value) > 255:
        value = value[:255] + '...'
    value = str(value)
    value = value if len(value) < 1024 else value[:1024] + '...'
    return 'Invalid input for %s %s. Value: %s. %s' % (
        what, path or 'body', value, error.message[:1024])


def _best_error(validator, instance):
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    return jsonschema.exceptions.best_match(errors)


class _FormatChecker(jsonschema.FormatChecker):
    pass


_format_checker = _FormatChecker()


@_format_checker.checks('uuid')
def _check_uuid(value):
    from oslo_utils import uuidutils
    if not isinstance(value, str):
        return True
    return uuidutils.is_uuid_like(value)


@_format_checker.checks('ipv4')
def _check_ipv4(value):
    import netaddr
    if not isinstance(value, str):
        return True
    try:
        return netaddr.valid_ipv4(value, netaddr.INET_PTON)
    except Exception:
        return False


@_format_checker.checks('ipv6')
def _check_ipv6(value):
    import netaddr
    if not isinstance(value, str):
        return True
    return netaddr.valid_ipv6(value)


# An integer written as text, as Nova's schemas accept for counts and sizes.
_INTEGER_TEXT = re.compile(r'^-?[0-9]+$')
# Longer than this, an integer text is past every bound a schema sets (and
# int() of thousands of digits is refused by Python anyway).
_MAX_INTEGER_DIGITS = 24


def _bound_integer_text(keyword):
    """``keyword`` (minimum, maximum, exclusive...) applied to integer text
    too: ``"2147483648"`` meets ``maximum`` as the number it spells."""
    check = _BASE.VALIDATORS[keyword]

    def validate_bound(validator, bound, instance, schema):
        if isinstance(instance, str) and _INTEGER_TEXT.match(instance):
            digits = instance.lstrip('-')
            if len(digits) > _MAX_INTEGER_DIGITS:
                instance = float('-inf' if instance[0] == '-' else 'inf')
            else:
                instance = int(instance)
        yield from check(validator, bound, instance, schema)
    return validate_bound


_BASE = validators.validator_for({})
_Validator = validators.extend(_BASE, {
    keyword: _bound_integer_text(keyword)
    for keyword in ('minimum', 'maximum', 'exclusiveMinimum',
                    'exclusiveMaximum')})


def validate(schema, instance, what='field/attribute'):
    """Validate ``instance``; :raises: ValidationError (400)."""
    validator = _Validator(schema, format_checker=_format_checker)
    try:
        error = _best_error(validator, instance)
    except (RecursionError, TypeError, ValueError) as exc:
        raise ValidationError(detail='Invalid input: %s' % exc)
    if error is not None:
        raise ValidationError(detail=_message(error, what))


def schema(body_schema, min_version=None, max_version=None):
    """Validate the JSON body of requests in the version range."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(req, *args, **kwargs):
            if req.is_legacy_v2 or req.ver(min_version, max_version):
                body = req.json
                if req.is_legacy_v2:
                    _strip_additional(body_schema, body)
                validate(body_schema, body)
            return func(req, *args, **kwargs)
        return wrapper
    return decorator


def query_schema(q_schema, min_version=None, max_version=None):
    """Validate the query string of requests in the version range."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(req, *args, **kwargs):
            if req.ver(min_version, max_version):
                query = {k: req.GET.getall(k) for k in req.GET.keys()}
                validate(q_schema, query, what='query parameters')
            return func(req, *args, **kwargs)
        return wrapper
    return decorator
