"""The operators of flavor extra-spec requirements, as Nova reads them.

A requirement is either a plain string (the capability must equal it) or an
operator followed by operands::

    '= 4'            numeric >= (at least 4)
    '== 4' '!= 4'    numeric equal / not equal
    '>= 4' '<= 4'    numeric bounds
    's== x' 's!= x' 's< x' 's<= x' 's> x' 's>= x'   string comparisons
    '<in> avx'       the capability contains the operand
    '<all-in> a b'   the capability contains every operand
    '<or> a <or> b'  the capability is one of the operands
"""

import operator


def _numeric(compare):
    def check(value, operand):
        try:
            return compare(float(value), float(operand))
        except (TypeError, ValueError):
            return False
    return check


_BINARY = {
    '=': _numeric(operator.ge),
    '==': _numeric(operator.eq),
    '!=': _numeric(operator.ne),
    '>=': _numeric(operator.ge),
    '<=': _numeric(operator.le),
    's==': operator.eq,
    's!=': operator.ne,
    's<': operator.lt,
    's<=': operator.le,
    's>': operator.gt,
    's>=': operator.ge,
    '<in>': lambda value, operand: operand in value,
}


def compile_requirement(requirement):
    """A ``value -> bool`` predicate for one requirement string.

    ``value`` is the host's capability as a string, or None when the host
    has no such capability (which satisfies no operator).
    """
    words = requirement.split()
    op = words[0] if words else None
    operands = words[1:]
    if op == '<or>':
        choices = frozenset(operands[0::2])
        return lambda value: value is not None and value in choices
    if op == '<all-in>':
        if not operands:
            return lambda value: False
        return lambda value: value is not None and all(
            operand in value for operand in operands)
    compare = _BINARY.get(op)
    if compare is None:
        return lambda value: value == requirement
    if not operands:
        return lambda value: False
    operand = operands[0]
    return lambda value: value is not None and compare(value, operand)


def match(value, requirement):
    """True if capability ``value`` (a string) satisfies ``requirement``."""
    return compile_requirement(requirement)(value)
