"""novncproxy's request handler and server, one decision at a time.

The handler is built without a socket (``object.__new__``) and given the
attributes http.server would have parsed; consoleauth and websockify's
relay loop are mocks. Sockets to the console are real loopback sockets.
"""

import logging
import os
import socket
import subprocess
import sys
import threading
from unittest import mock

import oslo_messaging as messaging
import pytest
from websockify import websockifyserver

from novalite import conf
from novalite.console import websocketproxy as wsp
from novalite import exception

CONF = conf.CONF
TOKEN = '0d7f5c9e-3b1a-4e2f-8a6d-9c0b1a2e3f40'
INFO = {'host': '127.0.0.1', 'port': 5900, 'console_type': 'novnc',
        'internal_access_path': None, 'instance_uuid': 'inst-1',
        'access_url_base': None, 'expires': 0}


@pytest.fixture(autouse=True)
def info_logs(caplog):
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def flags():
    overrides = []

    def set_(group, **kwargs):
        for name, value in kwargs.items():
            CONF.set_override(name, value, group=group)
            overrides.append((name, group))
    yield set_
    for name, group in overrides:
        CONF.clear_override(name, group=group)


def _handler(path='/', headers=None, tls=False):
    h = object.__new__(wsp.ConsoleProxyRequestHandler)
    h._consoleauth = mock.Mock()
    h._token = h._connect_info = h._target = h._recheck = None
    h._revoked = h._stopping = False
    h.path = path
    h.requestline = 'GET %s HTTP/1.1' % path
    h.headers = dict(headers or {})
    h.client_address = ('192.0.2.7', 40000, tls)
    h.server = mock.Mock()
    h.request = mock.Mock()
    h.send_error = mock.Mock()
    return h


# -- static files ------------------------------------------------------------

@pytest.mark.parametrize('target', ['//evil.example/', '///x', '/\\evil',
                                    'http://evil.example/'])
def test_offsite_targets_get_400(target, caplog):
    h = _handler(target)
    h.path = '/' + target.lstrip('/')  # what http.server leaves in path
    with mock.patch('http.server.SimpleHTTPRequestHandler.send_head') as sh:
        assert h.send_head() is None
    h.send_error.assert_called_once_with(400, 'Bad request path')
    assert not sh.called
    assert 'could redirect to another site' in caplog.text


def test_onsite_targets_are_served():
    h = _handler('/vnc_auto.html?path=%3Ftoken%3Dx')
    with mock.patch('http.server.SimpleHTTPRequestHandler.send_head') as sh:
        assert h.send_head() is sh.return_value
    assert not h.send_error.called


def test_log_lines_never_carry_tokens(caplog):
    h = _handler()
    h.log_message('"%s" %s', 'GET /?token=%s HTTP/1.1' % TOKEN, 101)
    assert TOKEN not in caplog.text and 'token=***' in caplog.text


# -- Origin -------------------------------------------------------------------

UPGRADE = 'websockify.websockifyserver.WebSockifyRequestHandler.' \
          'handle_upgrade'


@pytest.mark.parametrize('headers', [
    {'Origin': 'http://evil.example', 'Host': 'proxy:6080'},
    {'Origin': 'https://proxy:6080', 'Host': 'proxy:6080'},
    {'Origin': 'http://proxy:6080', 'Host': 'proxy:6080',
     'X-Forwarded-Proto': 'https'},
])
def test_bad_origin_gets_403_and_no_upgrade(headers, caplog):
    h = _handler('/?token=x', headers)
    with mock.patch(UPGRADE) as upgrade:
        h.handle_upgrade()
    h.send_error.assert_called_once_with(403, 'Origin not allowed')
    assert not upgrade.called
    assert h.close_connection is True
    assert 'Refused console connection from 192.0.2.7' in caplog.text


@pytest.mark.parametrize('headers,tls', [
    ({'Origin': 'http://proxy:6080', 'Host': 'proxy:6080'}, False),
    ({'Origin': 'https://proxy', 'Host': 'proxy:6080'}, True),
    ({'Origin': 'https://proxy', 'Host': 'proxy:6080',
      'X-Forwarded-Proto': 'https'}, False),
    ({'Host': 'proxy:6080'}, False),
])
def test_good_origin_is_upgraded(headers, tls):
    h = _handler('/?token=x', headers, tls=tls)
    with mock.patch(UPGRADE) as upgrade:
        h.handle_upgrade()
    upgrade.assert_called_once_with()
    assert not h.send_error.called


def test_allowed_origins_option(flags):
    flags('console', allowed_origins=['console.example'])
    h = _handler('/', {'Origin': 'http://console.example', 'Host': 'p'})
    with mock.patch(UPGRADE) as upgrade:
        h.handle_upgrade()
    assert upgrade.called


# -- token check and relay ----------------------------------------------------

def _close_of(h):
    with pytest.raises(wsp.ConsoleProxyRequestHandler.CClose) as closed:
        h.new_websocket_client()
    return closed.value.args


def test_missing_token_closes_1008():
    h = _handler('/')
    assert _close_of(h) == (1008, 'No console token')
    assert not h.consoleauth.check_token.called


def test_refused_token_closes_1008(caplog):
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = None
    assert _close_of(h) == (1008, 'Invalid or expired console token')
    assert h.consoleauth.check_token.call_args.args[1] == TOKEN
    assert 'invalid, expired or revoked token' in caplog.text
    assert TOKEN not in caplog.text
    assert 'Traceback' not in caplog.text


def test_consoleauth_down_closes_1011():
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.side_effect = messaging.MessagingTimeout('x')
    assert _close_of(h) == (1011, 'Console service unavailable')


class FakeConsole:
    """A loopback TCP server standing where a VNC server would."""

    def __init__(self):
        self.server = socket.create_server(('127.0.0.1', 0))
        self.port = self.server.getsockname()[1]
        self.accepted = []

    def accept_in_thread(self, reply=None):
        def accept():
            try:
                conn, _ = self.server.accept()
                self.accepted.append(conn)
                if reply is not None:
                    conn.recv(4096)
                    conn.sendall(reply)
            except OSError:
                pass  # the test is over and closed the server
        threading.Thread(target=accept, daemon=True).start()

    def close(self):
        for conn in self.accepted:
            conn.close()
        self.server.close()


@pytest.fixture
def console():
    server = FakeConsole()
    yield server
    server.close()


def _info(port, **extra):
    return dict(INFO, port=port, **extra)


def test_valid_token_relays_and_closes_the_console_socket(console):
    console.accept_in_thread()
    port = console.port
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(port)
    targets = []
    with mock.patch.object(
            wsp.ConsoleProxyRequestHandler, 'do_proxy',
            side_effect=lambda t: targets.append((t, t.getpeername()))), \
            mock.patch('signal.signal'):
        h.new_websocket_client()
    [(target, peer)] = targets
    assert peer[1] == port
    assert target.fileno() == -1  # closed afterwards
    assert h.request.setsockopt.called  # TCP_NODELAY towards the browser


def test_unreachable_console_closes_1011():
    with socket.create_server(('127.0.0.1', 0)) as s:
        port = s.getsockname()[1]
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(port)
    assert _close_of(h) == (1011, 'Failed to connect to the console')


@pytest.mark.parametrize('reply,ok', [
    (b'HTTP/1.1 200 OK\r\n\r\n', True),
    (b'HTTP/1.1 403 Forbidden\r\n\r\n', False),
])
def test_internal_access_path_is_connected_first(console, reply, ok):
    console.accept_in_thread(reply)
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(
        console.port, internal_access_path='/console/xyz')
    with mock.patch.object(wsp.ConsoleProxyRequestHandler, 'do_proxy'), \
            mock.patch('signal.signal'):
        if ok:
            h.new_websocket_client()
        else:
            assert _close_of(h) == (1011, 'Failed to connect to the console')


def test_revoked_session_closes_1008(console):
    console.accept_in_thread()
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(console.port)

    def relay(target):
        h._revoked = True  # as _recheck_session sets it
        raise h.CClose(1000, 'Target closed')
    with mock.patch.object(wsp.ConsoleProxyRequestHandler, 'do_proxy',
                           side_effect=relay), mock.patch('signal.signal'):
        assert _close_of(h) == (1008, 'Console session revoked')


def test_sigterm_hangs_up_and_closes_1001(console):
    """The stop signal only flags the session and hangs up the console
    (an exception raised inside an RPC call would be swallowed); the relay
    loop ending then names the reason."""
    console.accept_in_thread()
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(console.port)

    def relay(target):
        h._target = mock.Mock()
        h._shut_down_session(15, None)     # SIGTERM mid-relay
        h._target.shutdown.assert_called_once_with(socket.SHUT_RDWR)
        h._recheck_session()               # no more re-checks once stopping
        h.consoleauth.check_session.assert_not_called()
        raise h.CClose(1000, 'Target closed')
    with mock.patch.object(wsp.ConsoleProxyRequestHandler, 'do_proxy',
                           side_effect=relay), mock.patch('signal.signal'):
        assert _close_of(h) == (1001, 'Console proxy is shutting down')


def test_lost_browser_ends_session_quietly(console, caplog):
    console.accept_in_thread()
    h = _handler('/?token=%s' % TOKEN)
    h.consoleauth.check_token.return_value = _info(console.port)
    with mock.patch.object(wsp.ConsoleProxyRequestHandler, 'do_proxy',
                           side_effect=ConnectionResetError(104, 'reset')), \
            mock.patch('signal.signal'):
        h.new_websocket_client()
    assert 'lost its connection' in caplog.text


# -- session re-checks --------------------------------------------------------

def _session(token=TOKEN):
    h = _handler('/?token=%s' % token)
    h._token = token
    h._connect_info = dict(INFO)
    h._target = mock.Mock()
    return h


def test_recheck_of_revoked_token_hangs_up_the_console(caplog):
    h = _session()
    h.consoleauth.check_session.return_value = False
    h._recheck_session()
    assert h._revoked
    h._target.shutdown.assert_called_once_with(socket.SHUT_RDWR)
    assert h.consoleauth.check_session.call_args.args[1] == TOKEN
    assert 'its token was revoked' in caplog.text


def test_recheck_of_valid_token_keeps_session():
    h = _session()
    h.consoleauth.check_session.return_value = True
    h._recheck_session()
    assert not h._revoked and not h._target.shutdown.called


def test_recheck_without_consoleauth_keeps_session(caplog):
    h = _session()
    h.consoleauth.check_session.side_effect = messaging.MessagingTimeout('x')
    h._recheck_session()
    assert not h._revoked and not h._target.shutdown.called
    assert 'keeping it open' in caplog.text


def test_heartbeat_starts_one_recheck_at_a_time():
    h = _session()
    ping = 'websockify.websockifyserver.WebSockifyRequestHandler.send_ping'
    with mock.patch.object(wsp.green, 'spawn') as spawn, \
            mock.patch(ping) as send_ping:
        spawn.return_value.dead = False
        h.send_ping()
        h.send_ping()
        assert spawn.call_count == 1
        spawn.return_value.dead = True
        h.send_ping()
        assert spawn.call_count == 2
    spawn.assert_called_with(h._recheck_session)
    assert send_ping.call_count == 3


# -- server and entry point ---------------------------------------------------

def _proxy(tmp_path, **kwargs):
    with mock.patch.object(websockifyserver.os, 'chdir') as chdir:
        proxy = wsp.ConsoleProxy(listen_host='127.0.0.1', listen_port=0,
                                 web=str(tmp_path), **kwargs)
    chdir.assert_called_once_with(str(tmp_path))
    return proxy


def test_proxy_settings_from_config(tmp_path, flags):
    flags('console', session_recheck_interval=7)
    proxy = _proxy(tmp_path)
    assert proxy.heartbeat == 7
    assert proxy.file_only is True
    assert proxy.RequestHandlerClass is wsp.ConsoleProxyRequestHandler
    flags('console', session_recheck_interval=0)
    assert _proxy(tmp_path).heartbeat is None


def test_listen_failure_is_a_config_error(tmp_path):
    proxy = _proxy(tmp_path)
    with mock.patch.object(wsp.websocketproxy.WebSocketProxy,
                           'start_server', side_effect=SystemExit()):
        with pytest.raises(exception.ConfigError) as raised:
            proxy.start_server()
    assert 'novncproxy_port' in raised.value.format_message()


def test_ready_notification_and_sighup(tmp_path, monkeypatch):
    proxy = _proxy(tmp_path)
    path = str(tmp_path / 'notify')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    monkeypatch.setenv('NOTIFY_SOCKET', path)
    handlers = {}
    with mock.patch('signal.signal',
                    side_effect=lambda sig, h: handlers.update({sig: h})):
        proxy.started()
    listener.settimeout(5)
    assert listener.recv(64) == b'READY=1'
    listener.close()
    assert 'NOTIFY_SOCKET' not in os.environ  # children do not notify
    import signal
    handlers[signal.SIGHUP](signal.SIGHUP, None)  # logs, does not exit


def test_child_gets_a_fresh_hub_first(tmp_path):
    proxy = _proxy(tmp_path)
    order = []
    with mock.patch.object(wsp.green, 'reset_hub_after_fork',
                           side_effect=lambda: order.append('hub')), \
            mock.patch('signal.signal'), \
            mock.patch.object(websockifyserver.WebSockifyServer,
                              'top_new_client',
                              side_effect=lambda *a: order.append('client')):
        proxy.top_new_client(mock.Mock(), ('127.0.0.1', 1))
    assert order == ['hub', 'client']


def _run_novncproxy(tmp_path, **sections):
    """novalite-novncproxy with a config file; (returncode, stderr)."""
    lines = ['[DEFAULT]', 'transport_url = fake://']
    for section, options in sections.items():
        lines.append('[%s]' % section)
        lines += ['%s = %s' % item for item in options.items()]
    path = tmp_path / 'novalite.conf'
    path.write_text('\n'.join(lines) + '\n')
    proc = subprocess.run(
        [sys.executable, '-c', 'from novalite.cmd import novncproxy; '
         'novncproxy.main()', '--config-file', str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=60, cwd=str(tmp_path), env=dict(os.environ))
    return proc.returncode, proc.stdout


def test_missing_web_dir_exits_1_naming_the_option(tmp_path):
    code, out = _run_novncproxy(
        tmp_path, vnc={'web': str(tmp_path / 'missing'),
                       'novncproxy_host': '127.0.0.1',
                       'novncproxy_port': 0})
    assert code == 1
    assert '[vnc] web' in out and 'Traceback' not in out


def test_ssl_only_without_cert_exits_1(tmp_path):
    code, out = _run_novncproxy(
        tmp_path, vnc={'web': str(tmp_path)},
        console={'ssl_only': 'true', 'cert': str(tmp_path / 'none.pem')})
    assert code == 1
    assert '[console] cert' in out and 'Traceback' not in out


def test_port_in_use_exits_1(tmp_path):
    with socket.create_server(('127.0.0.1', 0)) as busy:
        code, out = _run_novncproxy(
            tmp_path, vnc={'web': str(tmp_path),
                           'novncproxy_host': '127.0.0.1',
                           'novncproxy_port': busy.getsockname()[1]})
    assert code == 1
    assert 'cannot listen on 127.0.0.1' in out and 'Traceback' not in out
