"""Privileged read of a guest's serial console log.

virtlogd writes ``<instances_path>/<uuid>/console.log`` as root, mode
0600. The one entrypoint here reads the end of such a file and nothing
else: the path must be exactly ``<instances_path>/<uuid>/console.log``
with ``instances_path`` taken from the privileged daemon's own
configuration, both the instance directory and the log are opened
without following symbolic links (the unprivileged compute owns the
instance directories and could plant one), the log must be a regular
file, and at most :data:`MAX_BYTES` are returned.
"""

import os
import stat

from oslo_utils import uuidutils

from novalite import conf
from novalite import privsep

CONF = conf.CONF

CONSOLE_LOG = 'console.log'
MAX_BYTES = 1024 * 1024


def check_console_log_path(path):
    """The instance directory name of ``path``, when ``path`` is
    ``<instances_path>/<uuid>/console.log``; ValueError otherwise."""
    root = os.path.abspath(CONF.instances_path)
    if not isinstance(path, str) or not os.path.isabs(path) \
            or os.path.normpath(path) != path:
        raise ValueError('not a normalized absolute path: %r' % (path,))
    instance_dir, name = os.path.split(path)
    parent, uuid = os.path.split(instance_dir)
    if name != CONSOLE_LOG or parent != root \
            or not uuidutils.is_uuid_like(uuid):
        raise ValueError('%r is not <instances_path>/<uuid>/%s (%s)'
                         % (path, CONSOLE_LOG, root))
    return uuid


def check_max_bytes(max_bytes):
    """``max_bytes`` capped at MAX_BYTES; ValueError unless a positive
    int."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) \
            or max_bytes < 1:
        raise ValueError('invalid byte count: %r' % (max_bytes,))
    return min(max_bytes, MAX_BYTES)


def _open_log(uuid):
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    root_fd = os.open(os.path.abspath(CONF.instances_path),
                      os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        dir_fd = os.open(uuid, flags | os.O_DIRECTORY, dir_fd=root_fd)
    finally:
        os.close(root_fd)
    try:
        # O_NONBLOCK: a FIFO planted there must not hang the daemon
        return os.open(CONSOLE_LOG, flags | os.O_NONBLOCK | os.O_NOCTTY,
                       dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


@privsep.sys_admin_pctxt.entrypoint
def read_console_log(path, max_bytes):
    """The last ``max_bytes`` (at most MAX_BYTES) of the console log at
    ``path``.

    :raises: ValueError for a path or count outside what is allowed;
        FileNotFoundError when there is no log (yet); OSError (ELOOP)
        when the log or its directory is a symbolic link.
    """
    uuid = check_console_log_path(path)
    limit = check_max_bytes(max_bytes)
    fd = _open_log(uuid)
    with os.fdopen(fd, 'rb') as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError('%s is not a regular file' % path)
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - limit))
        return f.read(limit)
