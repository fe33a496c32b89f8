"""A tiny RFB (VNC) server standing in for the fake driver's guest screens.

The fake virt driver hands out VNC ports (``[fake_driver] vnc_port_base``
onwards) on ``[vnc] server_proxyclient_address`` but runs no VNC server.
This stub listens on a range of those ports and speaks enough RFB 3.8 for
novncproxy, noVNC or a test: version, no-auth security, ServerInit with a
desktop name that says where it runs, and raw framebuffer updates of one
colour. Standard library only, so it runs anywhere with ``python3``::

    python3 tests/functional/rfb_stub.py --listen 10.254.7.11 \\
        --ports 5900-5915 --name 'cn1 10.254.7.11'
"""

import argparse
import signal
import socket
import struct
import sys
import threading

WIDTH, HEIGHT = 64, 48
# 32 bpp, depth 24, little endian, true colour, 8 bits per channel.
PIXEL_FORMAT = struct.pack('!BBBBHHHBBB3x', 32, 24, 0, 1, 255, 255, 255,
                           16, 8, 0)


def _recv(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError('client went away')
        data += chunk
    return data


def serve_client(sock, name):
    """One RFB session until the client leaves."""
    with sock:
        sock.sendall(b'RFB 003.008\n')
        _recv(sock, 12)
        sock.sendall(b'\x01\x01')           # one security type: None
        _recv(sock, 1)
        sock.sendall(b'\x00\x00\x00\x00')   # SecurityResult OK
        _recv(sock, 1)                      # ClientInit
        encoded = name.encode()
        sock.sendall(struct.pack('!HH', WIDTH, HEIGHT) + PIXEL_FORMAT +
                     struct.pack('!I', len(encoded)) + encoded)
        bytes_per_pixel = 4
        while True:
            kind = _recv(sock, 1)[0]
            if kind == 0:                   # SetPixelFormat
                bytes_per_pixel = max(1, _recv(sock, 19)[3] // 8)
            elif kind == 2:                 # SetEncodings
                count = struct.unpack('!xH', _recv(sock, 3))[0]
                _recv(sock, 4 * count)
            elif kind == 3:                 # FramebufferUpdateRequest
                _inc, x, y, w, h = struct.unpack('!BHHHH', _recv(sock, 9))
                w, h = min(w, WIDTH - x), min(h, HEIGHT - y)
                if w <= 0 or h <= 0:
                    x = y = 0
                    w, h = WIDTH, HEIGHT
                sock.sendall(struct.pack('!BxHHHHHi', 0, 1, x, y, w, h, 0) +
                             b'\x80' * (w * h * bytes_per_pixel))
            elif kind == 4:                 # KeyEvent
                _recv(sock, 7)
            elif kind == 5:                 # PointerEvent
                _recv(sock, 5)
            elif kind == 6:                 # ClientCutText
                length = struct.unpack('!3xI', _recv(sock, 7))[0]
                _recv(sock, length)
            else:
                return


def _session(sock, name):
    try:
        serve_client(sock, name)
    except (OSError, ConnectionError):
        pass


def listen(address, ports, name):
    """Listening sockets on every port, each accepted in its own thread."""
    listeners = []
    for port in ports:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(16)
        listeners.append(sock)

    def accept(sock):
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=_session, args=(conn, name),
                             daemon=True).start()
    for sock in listeners:
        threading.Thread(target=accept, args=(sock,), daemon=True).start()
    return listeners


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--listen', required=True)
    parser.add_argument('--ports', default='5900-5915',
                        help='FIRST-LAST, inclusive')
    parser.add_argument('--name', default='novalite fake guest')
    args = parser.parse_args(argv)
    first, _, last = args.ports.partition('-')
    ports = range(int(first), int(last or first) + 1)
    listen(args.listen, ports, args.name)
    print('RFB stub %r listening on %s ports %s' % (
        args.name, args.listen, args.ports), flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.pause()


if __name__ == '__main__':
    main()
