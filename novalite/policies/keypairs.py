"""Rules of key pairs: a user's own, or anyone's for an admin."""

from novalite.policies import base

R = base.rule
K = 'os_compute_api:os-keypairs:%s'
OWNER = '(rule:context_is_admin) or user_id:%(user_id)s'

rules = [
    R(K % 'index', OWNER, 'List key pairs', [('GET', '/os-keypairs')]),
    R(K % 'create', OWNER, 'Create or import a key pair',
      [('POST', '/os-keypairs')]),
    R(K % 'show', OWNER, 'Show a key pair',
      [('GET', '/os-keypairs/{keypair_name}')]),
    R(K % 'delete', OWNER, 'Delete a key pair',
      [('DELETE', '/os-keypairs/{keypair_name}')]),
]


def list_rules():
    return rules
