"""Real pieces for console tests: a QEMU VNC server, a consoleauth RPC
client, a minimal WebSocket client speaking RFB, raw HTTP.

Nothing here is a stand-in: QEMU is the real VNC server, the RPC client
talks to the real consoleauth over the cloud's RabbitMQ vhost.
"""

import base64
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import time
import uuid

import oslo_messaging as messaging

from novalite import conf
from novalite import context as nl_context
from novalite import rpc
from tests.functional.cloud import REPO_ROOT, HarnessError, wait_for

QEMU = 'qemu-system-x86_64'


def qemu_missing_reason():
    if shutil.which(QEMU) is None:
        return ('%s is not installed: run tools/install-browser.sh (it '
                'installs qemu-system-x86)' % QEMU)
    return None


def _port_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


class QemuVNC:
    """``qemu-system-x86_64 -display none -vnc 127.0.0.1:N`` (TCG, SeaBIOS).

    Started as our own child and killed by its PID.
    """

    def __init__(self, logdir):
        self.logdir = logdir
        self.proc = None
        self.port = None

    def start(self, timeout=30):
        for port in range(5950, 6050):
            if _port_free(port):
                break
        else:
            raise HarnessError('no free VNC port in 5950-6049')
        self.port = port
        log = open(os.path.join(self.logdir, 'qemu-%d.log' % port), 'wb')
        try:
            self.proc = subprocess.Popen(
                [QEMU, '-display', 'none', '-vnc',
                 '127.0.0.1:%d' % (port - 5900), '-m', '32', '-nodefaults',
                 '-vga', 'std', '-accel', 'tcg'],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        wait_for(self._speaks_rfb, timeout, message='QEMU VNC on %d' % port)
        return self

    def _speaks_rfb(self):
        if self.proc.poll() is not None:
            raise HarnessError('QEMU exited with %s' % self.proc.returncode)
        try:
            with socket.create_connection(('127.0.0.1', self.port), 1) as s:
                s.settimeout(2)
                return s.recv(12).startswith(b'RFB ')
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


class ConsoleAuthClient:
    """novalite's ConsoleAuthAPI calls, made from the test process.

    Has its own transport to the cloud's vhost.
    """

    def __init__(self, transport_url, timeout=30):
        # The URL is given explicitly: the process-wide CONF is neither
        # parsed nor changed, only read for oslo.messaging's defaults.
        self.transport = messaging.get_rpc_transport(conf.CONF,
                                                     url=transport_url)
        target = messaging.Target(topic='consoleauth', version='1.0')
        self.client = messaging.get_rpc_client(
            self.transport, target, serializer=rpc.RequestContextSerializer(),
            timeout=timeout)
        self.ctxt = nl_context.get_admin_context()

    def authorize(self, port, instance_uuid=None, server='consoleauth',
                  host='127.0.0.1', access_url=None):
        """Authorize a fresh token for ``host:port``; returns the token.

        :param server: the consoleauth host to ask (None: any of them).
        """
        token = str(uuid.uuid4())
        cctxt = self.client.prepare(server=server) if server else \
            self.client
        cctxt.call(self.ctxt, 'authorize_console', token=token,
                   console_type='novnc', host=host, port=port,
                   internal_access_path=None,
                   instance_uuid=instance_uuid or str(uuid.uuid4()),
                   access_url=access_url)
        return token

    def call(self, method, **kwargs):
        return self.client.call(self.ctxt, method, **kwargs)

    def cast(self, method, **kwargs):
        self.client.cast(self.ctxt, method, **kwargs)

    def cleanup(self):
        self.transport.cleanup()


_RECORD = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \d+ (\w+) ')


def unexpected_tracebacks(log_text):
    """Tracebacks in a daemon log other than those of DEBUG records.

    oslo.log prints a record's traceback on lines of their own, prefixed
    ``ERROR`` whatever the record's level, right after the record's
    message line: that line tells the level. A traceback printed outside
    any log record (an uncaught exception in a worker process) counts too.
    """
    found = []
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('Process '):
            found.append(line)  # multiprocessing: a worker died of it
        if 'Traceback (most recent call last)' not in line:
            continue
        record = _RECORD.match(lines[i - 1]) if i else None
        if not _RECORD.match(line) or not record or \
                record.group(1) != 'DEBUG':
            found.append(line)
    return found


# -- HTTP and WebSocket over raw sockets ----------------------------------

def _connect(port, tls, timeout, address='127.0.0.1'):
    sock = socket.create_connection((address, port), timeout)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    sock.settimeout(timeout)
    return sock


def _read_head(sock):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    parts = lines[0].split(' ', 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def http_get(port, target, headers=None, tls=False, timeout=10):
    """Send ``GET <target>`` exactly as given; returns (status, headers, body).

    Raw on purpose: HTTP libraries normalise the paths the open-redirect
    probes need to send verbatim.
    """
    sock = _connect(port, tls, timeout)
    try:
        lines = ['GET %s HTTP/1.1' % target, 'Host: 127.0.0.1:%d' % port,
                 'Connection: close']
        lines += ['%s: %s' % item for item in (headers or {}).items()]
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
        try:
            status, head, body = _read_head(sock)
        except ConnectionResetError:
            return 0, {}, b''  # refused without an answer
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, head, body
    finally:
        sock.close()


class WebSocketClosed(Exception):
    def __init__(self, code, reason):
        super().__init__('closed %s %r' % (code, reason))
        self.code = code
        self.reason = reason


class WSClient:
    """A minimal RFC 6455 client: enough to speak RFB through novncproxy."""

    def __init__(self, port, path, origin='default', headers=None,
                 host=None, tls=False, timeout=15, address='127.0.0.1'):
        self.port = port
        self.sock = _connect(port, tls, timeout, address)
        host = host or '%s:%d' % (address, port)
        if origin == 'default':
            origin = '%s://%s' % ('https' if tls else 'http', host)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ['GET %s HTTP/1.1' % path, 'Host: %s' % host,
                 'Upgrade: websocket', 'Connection: Upgrade',
                 'Sec-WebSocket-Key: %s' % key,
                 'Sec-WebSocket-Version: 13']
        if origin is not None:
            lines.append('Origin: %s' % origin)
        lines += ['%s: %s' % item for item in (headers or {}).items()]
        self.sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        self.status, self.headers, self._buf = _read_head(self.sock)
        self._data = b''

    @property
    def upgraded(self):
        return self.status == 101

    @staticmethod
    def _parse(buf):
        """(opcode, payload, length used) of the first whole frame, or
        None while ``buf`` holds only part of one."""
        if len(buf) < 2:
            return None
        opcode, length, pos = buf[0] & 0x0f, buf[1] & 0x7f, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, pos = struct.unpack('!H', buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, pos = struct.unpack('!Q', buf[2:10])[0], 10
        mask = None
        if buf[1] & 0x80:
            mask, pos = buf[pos:pos + 4], pos + 4
        if len(buf) < pos + length:
            return None
        payload = buf[pos:pos + length]
        if mask:
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        return opcode, payload, pos + length

    def _frame(self):
        # A timeout while waiting leaves the buffer whole for the next call.
        while True:
            frame = self._parse(self._buf)
            if frame is not None:
                self._buf = self._buf[frame[2]:]
                return frame[0], frame[1]
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketClosed(None, 'connection dropped')
            self._buf += chunk

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack('!H', len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack('!Q', len(payload))
        masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def recv_bytes(self, n):
        """Exactly ``n`` bytes of relayed data.

        :raises: WebSocketClosed with the server's close code and reason.
        """
        while len(self._data) < n:
            opcode, payload = self._frame()
            if opcode in (0x0, 0x1, 0x2):
                self._data += payload
            elif opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack('!H', payload[:2])[0] \
                    if len(payload) >= 2 else None
                raise WebSocketClosed(code, payload[2:].decode('utf-8',
                                                               'replace'))
        data, self._data = self._data[:n], self._data[n:]
        return data

    def drain(self, quiet=1.0):
        """Read and drop relayed data until none came for ``quiet`` s;
        returns how many bytes were dropped."""
        dropped = 0
        timeout = self.sock.gettimeout()
        self.sock.settimeout(quiet)
        try:
            while True:
                try:
                    opcode, payload = self._frame()
                except socket.timeout:
                    break
                if opcode == 0x9:
                    self._send_frame(0xA, payload)
                elif opcode == 0x8:
                    raise WebSocketClosed(
                        struct.unpack('!H', payload[:2])[0]
                        if len(payload) >= 2 else None,
                        payload[2:].decode('utf-8', 'replace'))
                else:
                    dropped += len(payload)
        finally:
            self.sock.settimeout(timeout)
        dropped += len(self._data)
        self._data = b''
        return dropped

    def wait_closed(self):
        """Read until the server closes; returns (code, reason)."""
        try:
            while True:
                self.recv_bytes(1 << 30)
        except WebSocketClosed as exc:
            return exc.code, exc.reason

    def send(self, data):
        self._send_frame(0x2, data)

    def close(self):
        try:
            self._send_frame(0x8, struct.pack('!H', 1000))
        except OSError:
            pass
        self.sock.close()


def rfb_handshake(ws):
    """Version, no-auth security, ClientInit; returns (width, height, bpp)."""
    version = ws.recv_bytes(12)
    assert version.startswith(b'RFB 003.'), version
    ws.send(b'RFB 003.008\n')
    count = ws.recv_bytes(1)[0]
    types = ws.recv_bytes(count)
    assert 1 in types, 'VNC server wants authentication: %r' % types
    ws.send(b'\x01')
    assert ws.recv_bytes(4) == b'\x00\x00\x00\x00', 'security failed'
    ws.send(b'\x01')  # shared session
    width, height = struct.unpack('!HH', ws.recv_bytes(4))
    pixel_format = ws.recv_bytes(16)
    name_len = struct.unpack('!I', ws.recv_bytes(4))[0]
    ws.recv_bytes(name_len)
    return width, height, pixel_format[0] // 8


def rfb_update_roundtrip(ws, bytes_per_pixel, size=16):
    """Request a ``size``x``size`` raw update; returns seconds until read."""
    start = time.monotonic()
    ws.send(struct.pack('!BBHHHH', 3, 0, 0, 0, size, size))
    while True:
        msg_type = ws.recv_bytes(1)[0]
        if msg_type == 0:
            break
        if msg_type == 2:  # bell
            continue
        raise AssertionError('unexpected RFB message type %d' % msg_type)
    ws.recv_bytes(1)
    rects = struct.unpack('!H', ws.recv_bytes(2))[0]
    for _ in range(rects):
        _x, _y, w, h, encoding = struct.unpack('!HHHHi', ws.recv_bytes(12))
        assert encoding == 0, 'unexpected encoding %d' % encoding
        ws.recv_bytes(w * h * bytes_per_pixel)
    return time.monotonic() - start


def install_novnc():
    """Run tools/install-novnc.sh; returns the directory it installed into.

    The default directory when this user may write there, else ``.stack/``
    in the repository (ignored by git).
    """
    dest = '/usr/share/novalite/novnc'
    parent = '/usr/share'
    if not (os.access(dest, os.W_OK) or os.access(parent, os.W_OK)):
        dest = os.path.join(REPO_ROOT, '.stack', 'novnc')
    subprocess.run([os.path.join(REPO_ROOT, 'tools', 'install-novnc.sh'),
                    dest], check=True, stdout=subprocess.DEVNULL,
                   timeout=300)
    return dest


def wait_for_http(port, timeout=30, tls=False):
    def ready():
        try:
            return http_get(port, '/vnc_auto.html', tls=tls,
                            timeout=2)[0] == 200
        except OSError:
            return False
    return wait_for(ready, timeout, message='novncproxy on %d' % port)
