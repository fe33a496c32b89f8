"""Versioned objects. :func:`register_all` imports every object module."""

import importlib
import pkgutil


def register_all():
    """Import every module of this package so its classes register."""
    for info in pkgutil.iter_modules(__path__):
        if info.name != 'base':
            importlib.import_module('%s.%s' % (__name__, info.name))
