"""The extra-spec operators, one by one."""

import pytest

from novalite.scheduler.filters import extra_specs_ops as ops


@pytest.mark.parametrize('value, requirement, expected', [
    ('1024', '= 512', True),         # '=' means at least
    ('256', '= 512', False),
    ('512', '== 512', True),
    ('512.0', '== 512', True),
    ('513', '== 512', False),
    ('513', '!= 512', True),
    ('512', '!= 512', False),
    ('8', '>= 8', True),
    ('7', '>= 8', False),
    ('8', '<= 8', True),
    ('9', '<= 8', False),
    ('abc', '>= 8', False),           # not a number: no match, no crash
    ('kvm', 's== kvm', True),
    ('qemu', 's== kvm', False),
    ('qemu', 's!= kvm', True),
    ('b', 's> a', True),
    ('a', 's> a', False),
    ('a', 's>= a', True),
    ('a', 's< b', True),
    ('b', 's< b', False),
    ('b', 's<= b', True),
    ('c', 's<= b', False),
    ('sse avx avx2', '<in> avx2', True),
    ('sse avx', '<in> avx2', False),
    ('sse avx avx2', '<all-in> sse avx2', True),
    ('sse avx', '<all-in> sse avx2', False),
    ('x86_64', '<or> aarch64 <or> x86_64', True),
    ('ppc64le', '<or> aarch64 <or> x86_64', False),
    ('fast', 'fast', True),           # no operator: plain equality
    ('fast', 'slow', False),
    ('4', '>=', False),               # operator without operand
    (None, '>= 1', False),            # capability missing
    (None, '<or> a <or> b', False),
])
def test_match(value, requirement, expected):
    assert ops.match(value, requirement) is expected
