"""Fixtures shared by the unit tests."""

import pytest

from novalite import conf
from novalite import green
from novalite import privsep


@pytest.fixture(autouse=True)
def stays_unpatched():
    """Unit tests run with the plain standard library; a test that
    imports ``novalite.cmd`` patches the whole process for green threads
    and changes what every later test sees."""
    yield
    assert not green.is_monkey_patched(), \
        'this test patched the process for green threads'


@pytest.fixture(autouse=True)
def no_privsep_daemon(monkeypatch):
    """No unit test starts the privileged helper (as root it would run
    iptables on the host): a privileged call that is not mocked fails."""
    def refuse(method=None):
        raise AssertionError('a unit test reached a privsep entrypoint')
    monkeypatch.setattr(privsep.sys_admin_pctxt, 'start', refuse)


@pytest.fixture
def privileged():
    """Run privsep entrypoints in this process (their commands must be
    mocked), as the privileged daemon runs them."""
    privsep.sys_admin_pctxt.set_client_mode(False)
    yield
    privsep.sys_admin_pctxt.set_client_mode(True)


@pytest.fixture
def flags():
    """``flags(group=None, **overrides)`` sets options for one test."""
    cfg = conf.CONF
    done = []

    def set_flags(group=None, **overrides):
        for name, value in overrides.items():
            cfg.set_override(name, value, group)
            done.append((name, group))
    yield set_flags
    for name, group in done:
        cfg.clear_override(name, group)
