"""Where novalite-api finds its paste file (``[wsgi] api_paste_config``).

Kept out of :mod:`novalite.cmd`, whose import patches the process for
green threads.
"""

import os
import sys

from novalite import conf
from novalite import exception

CONF = conf.CONF

_REPO_ETC = os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'etc', 'novalite')


def find_paste_config():
    """The paste file: as given, next to the config files, in
    /etc/novalite, the source checkout's etc/novalite (editable install)
    or the copy installed under ``<prefix>/share/novalite/etc`` (a plain
    ``pip install``, as the systemd units' venv has).

    :raises: ConfigError
    """
    name = CONF.wsgi.api_paste_config
    candidates = [name] if os.path.isabs(name) else [
        CONF.find_file(name), os.path.join('/etc/novalite', name),
        os.path.join(_REPO_ETC, name),
        os.path.join(sys.prefix, 'share', 'novalite', 'etc', name)]
    for path in candidates:
        if path and os.path.isfile(path):
            return os.path.abspath(path)
    raise exception.ConfigError(option='[wsgi] api_paste_config',
                                reason='cannot find %s' % name)
