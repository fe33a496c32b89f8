"""novalite-api finds its paste file wherever novalite is installed."""

import os

import pytest

from novalite.api import paste_config as api
from novalite import exception


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No config file dir, no /etc/novalite, no source checkout."""
    monkeypatch.setattr(api.CONF, 'find_file', lambda name: None)
    monkeypatch.setattr(api, '_REPO_ETC', str(tmp_path / 'no-checkout'))
    real_isfile = os.path.isfile
    monkeypatch.setattr(api.os.path, 'isfile', lambda path: (
        False if path.startswith('/etc/novalite/') else real_isfile(path)))
    return tmp_path


def test_paste_config_of_a_plain_pip_install(nowhere, monkeypatch):
    # regression: the systemd units' venv (pip install, not -e) has no
    # etc/novalite beside the package; novalite-api stopped with
    # "cannot find api-paste.ini" on a fresh machine
    share = nowhere / 'prefix' / 'share' / 'novalite' / 'etc'
    share.mkdir(parents=True)
    (share / 'api-paste.ini').write_text('[composite:osapi_compute]\n')
    monkeypatch.setattr(api.sys, 'prefix', str(nowhere / 'prefix'))
    assert api.find_paste_config() == str(share / 'api-paste.ini')


def test_paste_config_missing_everywhere(nowhere, monkeypatch):
    monkeypatch.setattr(api.sys, 'prefix', str(nowhere / 'prefix'))
    with pytest.raises(exception.ConfigError, match='api-paste.ini'):
        api.find_paste_config()


def test_setup_cfg_ships_the_paste_file():
    setup_cfg = os.path.join(os.path.dirname(api._REPO_ETC), '..',
                             'setup.cfg')
    with open(setup_cfg) as f:
        assert 'share/novalite/etc = etc/novalite/api-paste.ini' in f.read()
