"""novncproxy: serves the noVNC client and relays RFB over WebSockets.

Built on websockify: :class:`ConsoleProxy` is its ``WebSocketProxy``
(one forked process per connection, optional TLS, static files from
``[vnc] web``) and :class:`ConsoleProxyRequestHandler` decides, per
connection, whether and where to connect:

1. a WebSocket upgrade whose ``Origin`` is not this proxy (by ``Host``) or
   one of ``[console] allowed_origins``, with the scheme the browser used,
   is answered 403 and never upgraded;
2. after the upgrade, the token (``?token=``, the ``path`` query, or a
   ``token`` cookie) goes to consoleauth ``check_token``; an unknown,
   expired or revoked token gets a close frame (1008) and one log line;
3. the proxy connects to the console's ``host:port`` and relays; every
   ``[console] session_recheck_interval`` seconds it asks consoleauth
   ``check_session`` and closes the session (1008) once the token was
   revoked (instance deleted, rebuilt, resized or moved).

Static requests whose target could redirect off-site (``//evil.example``,
``/\\evil.example``, absolute-form) are answered 400.
"""

import logging as std_logging
import signal
import socket

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import systemd
from websockify import websocketproxy
from websockify import websockifyserver

from novalite.console import checks
from novalite import conf
from novalite import context as nl_context
from novalite.consoleauth import rpcapi as consoleauth_rpcapi
from novalite import exception
from novalite import green

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# WebSocket close codes (RFC 6455).
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011

# Seconds to wait for consoleauth. A user waits on check_token (which may in
# turn wait for compute); a re-check runs beside the relay and only needs to
# end before the next one is due.
CHECK_TOKEN_TIMEOUT = 30
CHECK_SESSION_TIMEOUT = 10


class ConsoleProxyRequestHandler(websocketproxy.ProxyRequestHandler):
    """One browser connection: a static file or a console session."""

    def __init__(self, *args, **kwargs):
        self._consoleauth = None
        self._token = None
        self._connect_info = None
        self._target = None
        self._recheck = None
        self._revoked = False
        self._stopping = False
        super().__init__(*args, **kwargs)

    # -- logging ---------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - http.server's name
        # websockify and http.server log request paths, tokens included.
        LOG.info('%s %s', self._peer(), checks.mask_tokens(format % args))

    def _peer(self):
        return self.client_address[0] if self.client_address else '-'

    # -- static files ----------------------------------------------------

    def _original_target(self):
        # http.server collapses a leading '//' in self.path; judge what the
        # client actually sent.
        words = (self.requestline or '').split()
        return words[1] if len(words) >= 2 else self.path

    def send_head(self):
        if checks.is_offsite_path(self._original_target()):
            LOG.warning('Refused request from %s for %r: the path could '
                        'redirect to another site', self._peer(),
                        self._original_target())
            self.send_error(400, 'Bad request path')
            return None
        return super().send_head()

    # -- WebSocket -------------------------------------------------------

    def _is_tls(self):
        address = self.client_address or ()
        return len(address) > 2 and bool(address[2])

    def handle_upgrade(self):
        scheme = checks.request_scheme(self.headers, self._is_tls())
        refusal = checks.origin_refusal(self.headers.get('Origin'),
                                        self.headers.get('Host'), scheme,
                                        CONF.console.allowed_origins)
        if refusal:
            LOG.warning('Refused console connection from %s: %s',
                        self._peer(), refusal)
            self.close_connection = True
            self.send_error(403, 'Origin not allowed')
            return
        super().handle_upgrade()

    @property
    def consoleauth(self):
        # Built in the per-connection process, after the fork, so each
        # process opens its own broker connection.
        if self._consoleauth is None:
            self._consoleauth = consoleauth_rpcapi.ConsoleAuthAPI()
        return self._consoleauth

    def _refuse(self, reason, code=CLOSE_POLICY, close_reason=None):
        LOG.warning('Refused console connection from %s: %s', self._peer(),
                    reason)
        raise self.CClose(code, close_reason or reason)

    def new_websocket_client(self):
        """Check the token, connect to the console and relay until closed."""
        token = checks.find_token(self.path, self.headers)
        if not token:
            self._refuse('no console token in the request',
                         close_reason='No console token')
        ctxt = nl_context.get_admin_context()
        info = error = None
        try:
            info = self.consoleauth.check_token(
                ctxt, token, timeout=CHECK_TOKEN_TIMEOUT)
        except messaging.MessagingException as exc:
            error = exc
        if error is not None:
            self._refuse('consoleauth did not answer (%s)' %
                         type(error).__name__, code=CLOSE_INTERNAL,
                         close_reason='Console service unavailable')
        if not info:
            self._refuse('invalid, expired or revoked token',
                         close_reason='Invalid or expired console token')
        self._token = token
        self._connect_info = info
        target = self._connect(info)
        # websockify's relay loop logs these.
        self.server.target_host = info['host']
        self.server.target_port = info['port']
        LOG.info('Console session from %s to instance %s (%s:%s) opened',
                 self._peer(), info['instance_uuid'], info['host'],
                 info['port'])
        self._target = target
        signal.signal(signal.SIGTERM, self._shut_down_session)
        try:
            self.do_proxy(target)
        except self.CClose:
            if self._revoked:
                raise self.CClose(CLOSE_POLICY, 'Console session revoked')
            if self._stopping:
                raise self.CClose(CLOSE_GOING_AWAY,
                                  'Console proxy is shutting down')
            raise
        except OSError as exc:
            # A browser tab closed or a network gone: nobody to tell.
            LOG.info('Console session from %s to instance %s lost its '
                     'connection (%s)', self._peer(), info['instance_uuid'],
                     exc)
        finally:
            LOG.info('Console session from %s to instance %s closed',
                     self._peer(), info['instance_uuid'])
            try:
                target.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            target.close()

    def _shut_down_session(self, signum, frame):
        # The proxy is stopping: tell the browser why instead of vanishing.
        # This runs wherever the relay happens to be -- even inside an RPC
        # call, whose driver would swallow an exception raised here -- so
        # only note it and hang up the console; the relay loop then ends
        # and the close frame names the reason.
        self._stopping = True
        try:
            self._target.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _connect(self, info):
        """A connected socket to the console, past any CONNECT handshake."""
        error = None
        try:
            target = websockifyserver.WebSockifyServer.socket(
                info['host'], info['port'], connect=True)
        except OSError as exc:
            error = exc
        if error is not None:
            self._refuse('cannot reach the console of instance %s at %s:%s '
                         '(%s)' % (info['instance_uuid'], info['host'],
                                   info['port'], error),
                         code=CLOSE_INTERNAL,
                         close_reason='Failed to connect to the console')
        path = info.get('internal_access_path')
        if path:
            self._http_connect(target, path, info)
        target.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return target

    def _http_connect(self, target, path, info):
        """Consoles behind an HTTP endpoint want ``CONNECT <path>`` first."""
        target.sendall(('CONNECT %s HTTP/1.1\r\n\r\n' % path).encode())
        reply = b''
        while b'\r\n\r\n' not in reply and len(reply) < 4096:
            chunk = target.recv(4096)
            if not chunk:
                break
            reply += chunk
        status = reply.split(b'\r\n', 1)[0].split()
        if len(status) < 2 or status[1] != b'200':
            target.close()
            self._refuse('console of instance %s refused CONNECT %s' % (
                info['instance_uuid'], path), code=CLOSE_INTERNAL,
                close_reason='Failed to connect to the console')

    def send_ping(self, data=b''):
        """Start a re-check of the session, then ping the browser.

        websockify's relay loop calls this every ``server.heartbeat``
        seconds, which :class:`ConsoleProxy` sets to ``[console]
        session_recheck_interval``. The re-check runs in a green thread of
        its own: the relay never waits for consoleauth, and the relay loop's
        select() is the only thing its green thread ever blocks in (eventlet
        may deliver a stale select() wake-up to whatever that green thread
        blocks in next).
        """
        if self._recheck is None or self._recheck.dead:
            self._recheck = green.spawn(self._recheck_session)
        super().send_ping(data)

    def _recheck_session(self):
        """Ask consoleauth whether the session may go on; end it if not."""
        if self._stopping:
            return
        instance = self._connect_info['instance_uuid']
        LOG.debug('Re-checking the console session of instance %s', instance)
        ctxt = nl_context.get_admin_context()
        try:
            still_valid = self.consoleauth.check_session(
                ctxt, self._token, timeout=CHECK_SESSION_TIMEOUT)
        except messaging.MessagingException as exc:
            # A consoleauth restart must not end every open console.
            LOG.warning('Could not re-check the console session of instance '
                        '%s (%s); keeping it open', instance,
                        type(exc).__name__)
            return
        if still_valid:
            return
        LOG.info('Closing the console session from %s to instance %s: its '
                 'token was revoked', self._peer(), instance)
        self._revoked = True
        # The relay loop sees the console hang up and ends the session.
        try:
            self._target.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _exit_quietly(signum, frame):
    raise SystemExit(0)


def _ignore_hangup(signum, frame):
    # systemd's reload sends SIGHUP, whose default action would kill us.
    LOG.info('SIGHUP: novncproxy reloads nothing; restart it to apply '
             'configuration changes')


class ConsoleProxy(websocketproxy.WebSocketProxy):
    """websockify's proxy with novalite's handler and settings."""

    def __init__(self, **kwargs):
        kwargs.setdefault('RequestHandlerClass', ConsoleProxyRequestHandler)
        # Targets come from tokens; directory listings are never shown.
        kwargs.setdefault('file_only', True)
        interval = CONF.console.session_recheck_interval
        kwargs.setdefault('heartbeat', interval or None)
        super().__init__(**kwargs)

    def started(self):
        """Listening: tell systemd (``Type=notify`` units) we are ready."""
        super().started()
        signal.signal(signal.SIGHUP, _ignore_hangup)
        systemd.notify_once()

    def top_new_client(self, startsock, address):
        # websockify runs this first thing in the process it forked for the
        # connection; the parent's handlers would raise its Terminate here.
        green.reset_hub_after_fork()
        signal.signal(signal.SIGTERM, _exit_quietly)
        signal.signal(signal.SIGINT, _exit_quietly)
        super().top_new_client(startsock, address)

    def start_server(self):
        """Serve until SIGTERM/SIGINT.

        :raises: ConfigError when the listening socket cannot be opened
            (websockify would log it and exit with status 0).
        """
        try:
            super().start_server()
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise
            raise exception.ConfigError(
                option='[vnc] novncproxy_host / novncproxy_port',
                reason='cannot listen on %s:%s' % (self.listen_host,
                                                   self.listen_port))

    @staticmethod
    def get_logger():
        return std_logging.getLogger(__name__ + '.websockify')


def from_config():
    """A :class:`ConsoleProxy` configured from ``[vnc]`` and ``[console]``."""
    return ConsoleProxy(
        listen_host=CONF.vnc.novncproxy_host,
        listen_port=CONF.vnc.novncproxy_port,
        source_is_ipv6=':' in CONF.vnc.novncproxy_host,
        web=CONF.vnc.web,
        cert=CONF.console.cert,
        key=CONF.console.key,
        ssl_only=CONF.console.ssl_only,
        verbose=CONF.debug)
