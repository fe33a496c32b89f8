"""Option listing for ``oslo-config-generator`` (entry point ``novalite.conf``)."""

import collections

from novalite.conf import api
from novalite.conf import api_deadline
from novalite.conf import compute
from novalite.conf import conductor
from novalite.conf import consoleauth
from novalite.conf import database
from novalite.conf import fake
from novalite.conf import image
from novalite.conf import libvirt
from novalite.conf import network
from novalite.conf import privsep
from novalite.conf import quota
from novalite.conf import scheduler
from novalite.conf import service
from novalite.conf import vnc

_MODULES = (api, api_deadline, compute, conductor, consoleauth, database,
            fake, image, libvirt,
            network, privsep, quota, scheduler, service, vnc)


def list_opts():
    """Return ``[(group, [opts])]`` merged over every area module."""
    merged = collections.OrderedDict()
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            merged.setdefault(group, []).extend(opts)
    return [(group, opts) for group, opts in merged.items()]
