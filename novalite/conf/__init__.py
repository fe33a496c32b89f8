"""Configuration options, one module per area, all registered on ``CONF``.

Importing this package registers every novalite option; it does not parse
anything. Entry points call :func:`novalite.config.parse_args`.
"""

from oslo_config import cfg

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

CONF = cfg.CONF

for _module in (api, api_deadline, compute, conductor, consoleauth, database,
                fake, image, libvirt,
                network, privsep, quota, scheduler, service, vnc):
    _module.register_opts(CONF)
