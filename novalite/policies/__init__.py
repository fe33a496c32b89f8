"""oslo.policy rules with their defaults in code, and the enforcer.

Roles ``admin``, ``member`` and ``reader`` with project scope, as Nova's
current defaults: readers of a project may look, members may change, admins
may do anything, and the admin-only APIs answer 403 to everyone else.
``list_rules`` is the ``oslo.policy.policies`` entry point the sample
generator reads (``oslopolicy-sample-generator --namespace novalite``).
"""

import itertools

from novalite.policies import base
from novalite.policies import compute_admin
from novalite.policies import flavors
from novalite.policies import keypairs
from novalite.policies import project
from novalite.policies import servers


def list_rules():
    return list(itertools.chain(
        base.list_rules(), servers.list_rules(), flavors.list_rules(),
        keypairs.list_rules(), compute_admin.list_rules(),
        project.list_rules()))
