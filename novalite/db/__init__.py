"""Database layer. Only novalite-conductor and novalite-manage use it.

This package's ``__init__`` stays import-light on purpose: it holds the
access guard that the other daemons arm at start-up, so that an accidental
DB call from them fails loudly instead of opening a connection.
"""

_BLOCKED_BINARY = None


def block_access(binary):
    """Forbid database access in this process (called by non-DB daemons)."""
    global _BLOCKED_BINARY
    _BLOCKED_BINARY = binary


def blocked_binary():
    """Name of the daemon that armed the guard, or None when DB is allowed."""
    return _BLOCKED_BINARY
