"""Daemon entry points. Importing this package monkey-patches first thing."""

from novalite import green

green.monkey_patch()
