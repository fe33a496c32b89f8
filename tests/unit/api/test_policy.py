"""Policy defaults: every rule the code checks is registered, the sample
is current, and the defaults mean what the API promises."""

import os
import re
import subprocess
import sys

import pytest

from novalite import context
from novalite import policies
from novalite.policies import enforcer

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))


def _rules_used_in_code():
    used = set()
    for root, _dirs, files in os.walk(os.path.join(REPO, 'novalite')):
        for name in files:
            if name.endswith('.py') and 'policies' not in root:
                with open(os.path.join(root, name)) as fh:
                    text = fh.read()
                used.update(re.findall(r"'(os_compute_api:[\w:-]+)'", text))
    return used


def test_every_checked_rule_is_registered():
    registered = {r.name for r in policies.list_rules()}
    prefixes = {'os_compute_api:servers:', 'os_compute_api:os-keypairs:',
                'os_compute_api:os-services:',
                'os_compute_api:os-hypervisors:',
                'os_compute_api:os-quota-sets:',
                'os_compute_api:server-metadata:',
                'os_compute_api:os-instance-actions:',
                'os_compute_api:os-server-groups:',
                'os_compute_api:os-flavor-manage:',
                'os_compute_api:os-flavor-extra-specs:'}
    missing = {u for u in _rules_used_in_code()
               if u not in registered and u not in prefixes}
    assert not missing


def test_policy_sample_is_current(tmp_path):
    out = tmp_path / 'policy.yaml.sample'
    subprocess.run([os.path.join(os.path.dirname(sys.executable),
                                 'oslopolicy-sample-generator'),
                    '--namespace', 'novalite', '--output-file', str(out)],
                   check=True, capture_output=True)
    with open(os.path.join(REPO, 'etc', 'novalite',
                           'policy.yaml.sample')) as fh:
        assert fh.read() == out.read_text(), (
            'regenerate with: oslopolicy-sample-generator --namespace '
            'novalite --output-file etc/novalite/policy.yaml.sample')


def _ctx(roles, project='p1', user='u1'):
    return context.RequestContext(user_id=user, project_id=project,
                                  roles=roles, is_admin='admin' in roles)


@pytest.mark.parametrize('rule,roles,project,allowed', [
    ('os_compute_api:servers:show', ['reader'], 'p1', True),
    ('os_compute_api:servers:show', ['reader'], 'p2', False),
    ('os_compute_api:servers:create', ['reader'], 'p1', False),
    ('os_compute_api:servers:create', ['member'], 'p1', True),
    ('os_compute_api:servers:delete', ['member'], 'p2', False),
    ('os_compute_api:servers:delete', ['admin'], 'p2', True),
    ('os_compute_api:os-services:list', ['member', 'reader'], 'p1', False),
    ('os_compute_api:os-services:list', ['admin'], 'p1', True),
    ('os_compute_api:os-hypervisors:list', ['member'], 'p1', False),
    ('os_compute_api:os-flavor-manage:create', ['member'], 'p1', False),
    ('os_compute_api:limits', [], 'p1', True),
])
def test_defaults(rule, roles, project, allowed):
    enforcer.reset()
    target = {'project_id': project, 'user_id': 'u1'}
    assert enforcer.authorize(_ctx(roles), rule, target,
                              fatal=False) is allowed
