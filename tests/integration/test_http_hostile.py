"""The daemon's HTTP server under hostile input.

Every test talks to a real daemon (`oxios start --foreground`, the fake
LLM) and ends by checking that the daemon still serves: GET /health is 200
and the process is alive.  Raw sockets are used wherever a client library
would clean the request up (paths with "..", bodies over the cap, broken
WebSocket frames).
"""
import asyncio
import base64
import hashlib
import http.client
import json
import os
import socket
import signal
import struct
import threading
import time

import pytest
import websockets

from conftest import BIN, dribbling, make_daemon

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
MIB = 1024 * 1024
# After the "ready" message, a moment before the test goes on: the hub may
# still be finishing hub_add() for the connection (see
# test_websocket_closed_during_its_handshake_is_safe, which does not wait).
WS_SETTLE = 0


def asan_build():
    try:
        with open(BIN, 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


ASAN = asan_build()


# ---- helpers ----

def alive(d):
    """The daemon still runs and answers its liveness probe."""
    assert d.proc.poll() is None, 'daemon exited: %r\n%s' % (
        d.proc.returncode, d.stderr())
    st, _, j = d.request('GET', '/health', auth=False, timeout=5)
    assert st == 200, (st, j)
    assert j['status'] == 'ok', j


def hdrs(h):
    """Response headers with lower-case names."""
    return {k.lower(): v for k, v in h.items()}


def assert_error(st, j, status, code):
    assert st == status, (st, j)
    assert isinstance(j, dict) and 'error' in j, j
    assert j['error']['code'] == code, j
    assert isinstance(j['error']['message'], str) and j['error']['message']


def raw_request(d, path, method='GET', headers=None, body=b'', auth=True,
                timeout=10):
    """A request through http.client with `path` sent exactly as given (no
    normalisation, no quoting).  Returns (status, headers, json or text)."""
    h = dict(headers or {})
    if auth:
        h['Authorization'] = 'Bearer ' + d.token
    c = http.client.HTTPConnection('127.0.0.1', d.port, timeout=timeout)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        if body or method in ('POST', 'PUT'):
            c.putheader('Content-Length', str(len(body)))
        c.endheaders(body if body else None)
        r = c.getresponse()
        text = r.read()
        try:
            j = json.loads(text) if text else None
        except ValueError:
            j = text.decode(errors='replace')
        return r.status, dict(r.getheaders()), j
    finally:
        c.close()


def sock_connect(d, timeout=10):
    s = socket.create_connection(('127.0.0.1', d.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_head(s):
    """Read a response's status line and headers from a socket.  Returns
    (status, {lower-case name: value}, bytes read past the headers), or
    (None, {}, b'') if the peer closed the connection first."""
    data = b''
    while b'\r\n\r\n' not in data:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b''
        if not chunk:
            if not data:
                return None, {}, b''
            break
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    h = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        h[k.strip().lower()] = v.strip()
    return status, h, rest


def read_response(s):
    """A whole response (Content-Length bodies) from a socket: (status,
    headers, json or None), status None if the connection was closed."""
    status, h, rest = read_head(s)
    if status is None:
        return None, {}, None
    n = int(h.get('content-length', '0'))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    try:
        j = json.loads(rest[:n]) if n else None
    except ValueError:
        j = rest[:n]
    return status, h, j


def send_body_quietly(s, data, chunk=256 * 1024):
    """Send as much of data as the server takes; it may close on us."""
    try:
        for i in range(0, len(data), chunk):
            s.sendall(data[i:i + chunk])
    except OSError:
        pass


def workspace(d):
    return d.ox.path('workspace')


def workspace_made(d):
    ws = workspace(d)
    os.makedirs(ws, exist_ok=True)
    return ws


def start_daemon(llm, gateway='', env=None):
    """A daemon of our own: extra keys in its one [gateway] table, extra
    environment variables.  Stopped by the caller (stop_daemon)."""
    d = make_daemon(llm)
    cfg = ('[engine]\nretry_base_ms = 20\nidle_timeout_secs = 2\n'
           'connect_timeout_secs = 2\n'
           'default_model = "openai/gpt-4.1"\n'
           '[gateway]\nport = %d\n%s' % (d.port, gateway))
    llm.write_config(cfg)
    if env:
        llm.env.update(env)
    d.fake = llm.fake
    d.start()
    return d


def stop_daemon(d):
    d.stop_clean()


# ---- WebSocket by hand ----

def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def ws_accept(key):
    return base64.b64encode(
        hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_handshake(d, key=None, token=True, query='', headers=None,
                 upgrade=True, version='13'):
    """Open /api/chat/stream by hand.  Returns (socket, status, headers,
    bytes already read past the handshake)."""
    key = ws_key() if key is None else key
    lines = ['GET /api/chat/stream%s HTTP/1.1' % query,
             'Host: 127.0.0.1:%d' % d.port]
    if upgrade:
        lines += ['Upgrade: websocket', 'Connection: Upgrade']
    if key is not False:
        lines.append('Sec-WebSocket-Key: %s' % key)
    if version is not None:
        lines.append('Sec-WebSocket-Version: %s' % version)
    if token:
        lines.append('Authorization: Bearer %s' % (
            d.token if token is True else token))
    for k, v in (headers or {}).items():
        lines.append('%s: %s' % (k, v))
    s = sock_connect(d)
    s.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
    status, h, rest = read_head(s)
    if status == 101:
        assert h.get('upgrade', '').lower() == 'websocket', h
        assert h.get('sec-websocket-accept') == ws_accept(key), h
    return s, status, h, rest


def ws_open(d, **kw):
    """An open WebSocket whose "ready" message has been read."""
    s, status, h, rest = ws_handshake(d, **kw)
    assert status == 101, (status, h)
    ws = WsReader(s, rest)
    assert ws.text() == {'type': 'ready'}
    time.sleep(WS_SETTLE)
    return ws


def frame(opcode, payload=b'', fin=True, rsv=0, mask=True, length=None):
    """A client frame; `length` overrides the length field (the payload is
    then sent as given)."""
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    if n < 126:
        hdr = bytes([b0, (0x80 if mask else 0) | n])
    elif n <= 0xffff:
        hdr = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack('>H', n)
    else:
        hdr = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack('>Q', n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(c ^ key[i & 3] for i, c in enumerate(payload))


class WsReader:
    """Server frames from a raw socket."""

    def __init__(self, s, rest=b''):
        self.s = s
        self.buf = rest

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError('connection closed')
            self.buf += chunk

    def frame(self):
        """(fin, opcode, payload) of the next frame; server frames are
        never masked."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert b1 & 0x80 == 0, 'a masked frame from the server'
        assert b0 & 0x70 == 0, 'reserved bits from the server'
        n, off = b1 & 0x7f, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack('>H', self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack('>Q', self.buf[2:10])[0], 10
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0f, payload

    def text(self):
        fin, op, payload = self.frame()
        assert fin and op == 1, (fin, op, payload)
        return json.loads(payload)

    def send(self, data):
        self.s.sendall(data)

    def close_code(self):
        """Skip text/pong frames up to the server's close frame; its code
        and reason."""
        while True:
            fin, op, payload = self.frame()
            if op == 8:
                assert len(payload) >= 2, payload
                return (struct.unpack('>H', payload[:2])[0],
                        payload[2:].decode())
            assert op in (1, 10), (op, payload)

    def expect_eof(self, timeout=5):
        """The server closes the TCP connection (after its close frame)."""
        self.s.settimeout(timeout)
        end = time.time() + timeout
        while time.time() < end:
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                return
            except socket.timeout:
                break
            if not chunk:
                return
        raise AssertionError('the server did not close the connection')

    def close(self):
        self.s.close()


# ---- authentication ----

PROTECTED = [
    ('GET', '/api/status'),
    ('GET', '/api/config'),
    ('GET', '/api/metrics'),
    ('GET', '/api/openapi.json'),
    ('GET', '/api/agents'),
    ('GET', '/api/agents/x'),
    ('POST', '/api/agents/x/kill'),
    ('GET', '/api/agent-groups'),
    ('GET', '/api/sessions'),
    ('DELETE', '/api/sessions/x'),
    ('GET', '/api/workspace/tree'),
    ('GET', '/api/workspace/file/a.txt'),
    ('POST', '/api/chat/ticket'),
    ('GET', '/api/events'),
    ('GET', '/api/chat/stream'),
    ('GET', '/api/no-such-route'),  # no hint of what exists
]


def test_every_api_route_refuses_requests_without_a_token(daemon):
    for method, path in PROTECTED:
        st, h, j = daemon.request(method, path, auth=False)
        assert_error(st, j, 401, 'unauthorized')
        h = hdrs(h)
        assert h['www-authenticate'].startswith('Bearer'), (path, h)
        assert h['content-type'].startswith('application/json'), (path, h)
    # Bodies are not even looked at before the token.
    for method, path in [('POST', '/api/chat'), ('PUT', '/api/config'),
                         ('PUT', '/api/workspace/file/x.txt')]:
        st, h, j = daemon.request(method, path, body={'content': 'x'},
                                  auth=False)
        assert_error(st, j, 401, 'unauthorized')
    assert not os.path.exists(os.path.join(workspace(daemon), 'x.txt'))
    alive(daemon)


def test_bad_credentials_are_refused_and_good_ones_accepted(daemon):
    tok = daemon.token
    bad = [
        'Bearer',
        'Bearer ',
        'Bearer wrong',
        'Bearer ' + tok[:-1],
        'Bearer ' + tok + 'x',
        'Bearer ' + tok + ' ' + tok,
        'Bearer ' + tok.upper(),
        'Bearer\t' + tok,
        'Basic ' + base64.b64encode(('x:' + tok).encode()).decode(),
        'Token ' + tok,
        tok,
        'Bearer oxt_' + 'A' * 43,
    ]
    for value in bad:
        st, h, j = daemon.request('GET', '/api/status', auth=False,
                                  headers={'Authorization': value})
        assert_error(st, j, 401, 'unauthorized')
        assert 'www-authenticate' in hdrs(h)
    # The scheme is case-insensitive and may be followed by several spaces.
    for value in ['Bearer ' + tok, 'bearer ' + tok, 'BEARER ' + tok,
                  'Bearer    ' + tok]:
        st, _, j = daemon.request('GET', '/api/status', auth=False,
                                  headers={'Authorization': value})
        assert st == 200, (value, st, j)
    alive(daemon)


def test_token_rotation_revokes_the_old_token_at_once(daemon):
    old = daemon.token
    st, _, _ = daemon.get('/api/status')
    assert st == 200
    r = daemon.ox.run('token', 'rotate', '--quiet', check=0)
    new = r.stdout.strip()
    assert new.startswith('oxt_') and new != old
    st, _, j = daemon.get('/api/status', token=old)
    assert_error(st, j, 401, 'unauthorized')
    st, _, j = daemon.get('/api/status', token=new)
    assert st == 200, (st, j)
    # And again: the second rotation retires the first new token.
    newer = daemon.ox.run('token', 'rotate', '--quiet',
                          check=0).stdout.strip()
    st, _, j = daemon.get('/api/status', token=new)
    assert_error(st, j, 401, 'unauthorized')
    st, _, _ = daemon.get('/api/status', token=newer)
    assert st == 200
    daemon.token = newer
    alive(daemon)


def test_oxios_api_key_from_the_environment_is_accepted(llm):
    key = 'ci-key-' + os.urandom(8).hex()
    d = start_daemon(llm, env={'OXIOS_API_KEY': key})
    try:
        st, _, j = d.get('/api/status', token=key)
        assert st == 200, (st, j)
        st, _, _ = d.get('/api/status')  # the stored token still works
        assert st == 200
        for wrong in [key[:-1], key + 'x', key.upper(), 'ci-key-']:
            st, _, j = d.get('/api/status', token=wrong)
            assert_error(st, j, 401, 'unauthorized')
        alive(d)
    finally:
        stop_daemon(d)


def test_without_oxios_api_key_a_random_key_is_refused(daemon):
    # The control for the test above: the key works only when configured.
    st, _, j = daemon.get('/api/status', token='ci-key-0123456789abcdef')
    assert_error(st, j, 401, 'unauthorized')
    alive(daemon)


# ---- routing ----

def test_health_needs_no_token(daemon):
    st, h, j = daemon.get('/health', auth=False)
    assert st == 200 and j['status'] == 'ok', (st, j)
    assert hdrs(h)['content-type'].startswith('application/json')
    # A wrong token does not matter on a public route.
    st, _, _ = daemon.get('/health', token='nonsense')
    assert st == 200
    alive(daemon)


def test_unknown_route_is_404_json(daemon):
    for path in ['/nope', '/api', '/api/', '/api/status/', '/healthz',
                 '/api/agents/', '/api/agents/a/b', '/api/statusx',
                 '/API/status']:
        st, _, j = daemon.get(path)
        assert_error(st, j, 404, 'not_found')
    alive(daemon)


def test_wrong_method_is_405_with_allow(daemon):
    cases = [
        ('DELETE', '/api/status', {'GET'}),
        ('POST', '/health', {'GET'}),
        ('GET', '/api/chat', {'POST'}),
        ('PUT', '/api/chat', {'POST'}),
        ('POST', '/api/config', {'GET', 'PUT'}),
        ('PATCH', '/api/sessions/abc', {'GET', 'DELETE'}),
        ('POST', '/api/workspace/file/a.txt', {'GET', 'PUT'}),
    ]
    for method, path, allowed in cases:
        st, h, j = daemon.request(method, path)
        assert_error(st, j, 405, 'method_not_allowed')
        allow = {m.strip() for m in hdrs(h)['allow'].split(',')}
        assert allow == allowed, (method, path, h)
    alive(daemon)


def test_overlong_and_odd_paths_are_refused(daemon):
    st, _, j = daemon.get('/api/agents/' + 'a' * 5000)
    assert_error(st, j, 414, 'path_too_long')
    # A path just under the limit is routed normally.
    st, _, j = daemon.get('/api/' + 'a' * 4000)
    assert_error(st, j, 404, 'not_found')
    # Not absolute: refused before any route is looked at.
    s = sock_connect(daemon)
    s.sendall(b'GET api/status HTTP/1.1\r\nHost: x\r\nAuthorization: '
              b'Bearer ' + daemon.token.encode() + b'\r\n\r\n')
    st, _, j = read_response(s)
    s.close()
    assert_error(st, j, 400, 'bad_path')
    # Nor may it hold a control character (decoded from %XX).
    for path in ['/api/st%01atus', '/api/status%7f', '/api/%0d%0aX:%20y']:
        st, _, j = raw_request(daemon, path)
        assert_error(st, j, 400, 'bad_path')
    alive(daemon)


# ---- bodies ----

def test_body_over_the_cap_with_content_length_is_413(daemon):
    size = 10 * 1000 * 1000
    s = sock_connect(daemon, timeout=15)
    s.sendall(('PUT /api/workspace/file/big.txt HTTP/1.1\r\n'
               'Host: x\r\nAuthorization: Bearer %s\r\n'
               'Content-Type: application/json\r\n'
               'Content-Length: %d\r\n\r\n' % (daemon.token, size)).encode())
    body = b'{"content": "' + b'a' * (size - 15) + b'"}'
    assert len(body) == size - 1 or len(body) == size
    t = threading.Thread(target=send_body_quietly, args=(s, body))
    t.start()
    st, h, j = read_response(s)
    t.join(15)
    s.close()
    assert_error(st, j, 413, 'body_too_large')
    assert not os.path.exists(os.path.join(workspace(daemon), 'big.txt'))
    alive(daemon)


def test_body_under_the_cap_is_accepted(daemon):
    # The control for the 413 tests: 900 KB is under the 1 MiB default.
    content = 'b' * 900_000
    st, _, j = daemon.request('PUT', '/api/workspace/file/ok.txt',
                              body={'content': content})
    assert st == 200, (st, j)
    with open(os.path.join(workspace(daemon), 'ok.txt')) as f:
        assert f.read() == content
    alive(daemon)


def chunked(data, size=64 * 1024):
    out = []
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out.append(b'%x\r\n' % len(part) + part + b'\r\n')
    out.append(b'0\r\n\r\n')
    return b''.join(out)


def chunked_put(d, path, data, content_type='application/json'):
    s = sock_connect(d, timeout=15)
    s.sendall(('PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n'
               'Content-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n' % (
                   path, d.token, content_type)).encode())
    t = threading.Thread(target=send_body_quietly, args=(s, chunked(data)))
    t.start()
    st, h, j = read_response(s)
    t.join(15)
    s.close()
    return st, h, j


def test_chunked_body_over_the_cap_is_413(daemon):
    body = b'{"content": "' + b'c' * (2 * MIB) + b'"}'
    st, _, j = chunked_put(daemon, '/api/workspace/file/chunked.txt', body)
    assert_error(st, j, 413, 'body_too_large')
    assert not os.path.exists(
        os.path.join(workspace(daemon), 'chunked.txt'))
    alive(daemon)


def test_chunked_body_under_the_cap_is_accepted(daemon):
    body = json.dumps({'content': 'd' * 500_000}).encode()
    st, _, j = chunked_put(daemon, '/api/workspace/file/chunked.txt', body)
    assert st == 200, (st, j)
    assert j['size'] == 500_000
    alive(daemon)


def sized_request(d, method, path, body):
    """Send body with its Content-Length; the server may refuse it
    half-way.  (status, headers, json)."""
    s = sock_connect(d, timeout=15)
    s.sendall(('%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n'
               'Content-Type: application/json\r\n'
               'Content-Length: %d\r\n\r\n' % (
                   method, path, d.token, len(body))).encode())
    t = threading.Thread(target=send_body_quietly, args=(s, body))
    t.start()
    st, h, j = read_response(s)
    t.join(15)
    s.close()
    return st, h, j


def test_a_route_cap_below_the_server_cap_is_413(daemon):
    # PUT /api/config reads at most 256 KiB (its route's cap) though the
    # server's is 1 MiB: 300 KB is refused before the body is read, sent
    # with a length or in chunks, and nothing changes.
    body = json.dumps({'gateway.rate_limit_per_min': 100,
                       'x': 'a' * 300_000}).encode()
    st, _, j = sized_request(daemon, 'PUT', '/api/config', body)
    assert_error(st, j, 413, 'body_too_large')
    assert '262144' in j['error']['message'], j
    st, _, j = chunked_put(daemon, '/api/config', body)
    assert_error(st, j, 413, 'body_too_large')
    assert '262144' in j['error']['message'], j
    st, _, j = daemon.get('/api/config')
    assert st == 200
    assert j['config']['gateway']['rate_limit_per_min'] != 100
    # Under the cap the same route reads the body (and refuses the key).
    st, _, j = sized_request(daemon, 'PUT', '/api/config', json.dumps(
        {'no.such.key': 'a' * 200_000}).encode())
    assert_error(st, j, 400, 'unknown_key')
    # A search reads 512 KiB; the same 600 KB is fine as a workspace file
    # (the server's cap).
    query = json.dumps({'query': 'q' * 600_000}).encode()
    st, _, j = sized_request(daemon, 'POST', '/api/memory/search', query)
    assert_error(st, j, 413, 'body_too_large')
    assert '524288' in j['error']['message'], j
    st, _, j = sized_request(daemon, 'PUT', '/api/workspace/file/q.json',
                             json.dumps({'content': 'q' * 600_000}).encode())
    assert st == 200, (st, j)
    alive(daemon)


def test_wrong_content_type_on_a_json_route_is_415(daemon):
    body = json.dumps({'content': 'hello'}).encode()
    cfg = json.dumps({'gateway.rate_limit_per_min': 100}).encode()
    cases = [
        ('POST', '/api/chat', body, 'text/plain'),
        ('POST', '/api/chat', body, 'application/jsonx'),
        ('POST', '/api/chat', body, None),
        ('PUT', '/api/config', cfg, 'application/x-www-form-urlencoded'),
        ('PUT', '/api/config', cfg, 'text/json'),
        ('PUT', '/api/workspace/file/x.txt', body, 'multipart/form-data'),
        ('PUT', '/api/workspace/file/x.txt', body, None),
    ]
    for method, path, data, ctype in cases:
        h = {'Content-Type': ctype} if ctype else {}
        st, _, j = daemon.request(method, path, raw=data, headers=h)
        assert_error(st, j, 415, 'unsupported_media_type')
    # Chunked (no Content-Length) is checked too, once the body is in.
    st, _, j = chunked_put(daemon, '/api/workspace/file/x.txt', body,
                           content_type='text/plain')
    assert_error(st, j, 415, 'unsupported_media_type')
    assert not os.path.exists(os.path.join(workspace(daemon), 'x.txt'))
    # Nothing was applied.
    st, _, j = daemon.get('/api/config')
    assert j['config']['gateway']['rate_limit_per_min'] == 600, j
    # The same bodies with the right type work (parameters allowed).
    st, _, j = daemon.request(
        'PUT', '/api/workspace/file/x.txt', raw=body,
        headers={'Content-Type': 'application/json; charset=utf-8'})
    assert st == 200, (st, j)
    alive(daemon)


BAD_JSON = [
    b'{"content": "hi"',
    b'{',
    b'{"content": }',
    b'{"content": "a",}',
    b'[1, 2',
    b'nul',
    b'"just a string"',
    b'{"content": "a"} trailing',
    b'{"content": "a", "content": "b"}',
    b'{"content": "\\x41"}',
    b'\xef\xbb\xbf{"content": "bom"}',
]


def test_malformed_json_is_400_with_a_position(daemon):
    for path, method in [('/api/chat', 'POST'), ('/api/config', 'PUT'),
                         ('/api/workspace/file/j.txt', 'PUT')]:
        for data in BAD_JSON:
            st, _, j = daemon.request(method, path, raw=data, headers={
                'Content-Type': 'application/json'})
            assert_error(st, j, 400, 'invalid_json')
            pos = j['error']['position']
            assert isinstance(pos, int) and 0 <= pos <= len(data), (data, j)
    assert not os.path.exists(os.path.join(workspace(daemon), 'j.txt'))
    alive(daemon)


def test_invalid_utf8_inside_a_json_string_is_400(daemon):
    bad = [
        b'{"content": "\xff"}',
        b'{"content": "\xc0\xaf"}',          # overlong '/'
        b'{"content": "\xed\xa0\x80"}',      # a surrogate
        b'{"content": "\xf4\x90\x80\x80"}',  # past U+10FFFF
        b'{"content": "abc\xe2\x82"}',       # cut in the middle
        b'{"content": "\\ud800"}',           # a lone escaped surrogate
        b'{"\xfe": "key"}',
    ]
    for data in bad:
        for method, path in [('POST', '/api/chat'),
                             ('PUT', '/api/workspace/file/u.txt')]:
            st, _, j = daemon.request(method, path, raw=data, headers={
                'Content-Type': 'application/json'})
            assert_error(st, j, 400, 'invalid_json')
    assert not os.path.exists(os.path.join(workspace(daemon), 'u.txt'))
    # Valid multi-byte UTF-8 goes through.
    st, _, j = daemon.request('PUT', '/api/workspace/file/u.txt',
                              raw='{"content": "é€😀"}'.encode(),
                              headers={'Content-Type': 'application/json'})
    assert st == 200, (st, j)
    alive(daemon)


# ---- headers and connections ----

def test_ten_thousand_headers_are_refused_and_the_daemon_serves_on(daemon):
    head = ['GET /api/status HTTP/1.1', 'Host: x',
            'Authorization: Bearer ' + daemon.token]
    head += ['X-Flood-%d: %s' % (i, 'v' * 16) for i in range(10000)]
    data = ('\r\n'.join(head) + '\r\n\r\n').encode()
    s = sock_connect(daemon, timeout=15)
    t = threading.Thread(target=send_body_quietly, args=(s, data))
    t.start()
    st, _, j = read_response(s)
    t.join(15)
    s.close()
    # libmicrohttpd decides: 431, 413 or 400, or it just hangs up.
    assert st is None or 400 <= st < 500, (st, j)
    alive(daemon)


def test_slowloris_does_not_starve_other_clients(daemon):
    socks = []
    for i in range(50):
        s = sock_connect(daemon)
        s.sendall(b'GET /api/status HTTP/1.1\r\nHost: x\r\n')
        socks.append(s)
    try:
        with dribbling(socks, 0.2):
            worst = 0.0
            for _ in range(5):
                t0 = time.monotonic()
                st, _, j = daemon.request('GET', '/health', auth=False,
                                          timeout=5)
                worst = max(worst, time.monotonic() - t0)
                assert st == 200, (st, j)
                st, _, j = daemon.get('/api/status', timeout=5)
                assert st == 200, (st, j)
                time.sleep(0.2)
            assert worst < 2.0, worst
    finally:
        for s in socks:
            s.close()
    alive(daemon)


# ---- rate limit ----

def test_rate_limit_answers_429_with_retry_after_and_spares_health(llm):
    d = start_daemon(llm, gateway='rate_limit_per_min = 5\n')
    try:
        for i in range(5):
            st, _, j = d.get('/api/status')
            assert st == 200, (i, st, j)
        st, h, j = d.get('/api/status')
        assert_error(st, j, 429, 'rate_limited')
        retry = int(hdrs(h)['retry-after'])
        assert retry >= 1, h
        assert j['error']['retry_after'] == retry, j
        # Everything under /api counts, with or without a token.
        st, _, j = d.get('/api/config', auth=False)
        assert_error(st, j, 429, 'rate_limited')
        # The liveness probe never is.
        for _ in range(20):
            st, _, j = d.get('/health', auth=False)
            assert st == 200, (st, j)
        alive(d)
    finally:
        stop_daemon(d)


def test_rate_limit_zero_is_no_limit_and_reloads(llm):
    d = start_daemon(llm, gateway='rate_limit_per_min = 3\n')
    try:
        for i in range(3):
            assert d.get('/api/status')[0] == 200, i
        assert d.get('/api/status')[0] == 429
        # Turned off in the file, reloaded by SIGHUP: nothing is refused.
        with open(llm.path('config.toml')) as f:
            text = f.read().replace('rate_limit_per_min = 3',
                                    'rate_limit_per_min = 0')
        with open(llm.path('config.toml'), 'w') as f:
            f.write(text)
        d.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if d.get('/api/status')[0] == 200:
                break
            time.sleep(0.1)
        for i in range(700):  # more than the default's minute
            st, _, j = d.get('/api/status')
            assert st == 200, (i, st, j)
        st, _, j = d.get('/api/config')
        assert j['config']['gateway']['rate_limit_per_min'] == 0, j
        alive(d)
    finally:
        stop_daemon(d)


def test_default_rate_limit_does_not_refuse_a_handful(daemon):
    # The control: the default (600/min) lets 20 requests through.
    for i in range(20):
        st, _, j = daemon.get('/api/status')
        assert st == 200, (i, st, j)
    alive(daemon)


# ---- workspace paths ----

TRAVERSALS = [
    '/api/workspace/file/../../etc/passwd',
    '/api/workspace/file/../../../../../../../../etc/passwd',
    '/api/workspace/file/a/../../../../../../etc/passwd',
    '/api/workspace/file/./../../etc/passwd',
    '/api/workspace/file/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/api/workspace/file/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/api/workspace/file/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/api/workspace/file/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
    '/api/workspace/file//etc/passwd',
    '/api/workspace/file/%2fetc%2fpasswd',
    '/api/workspace/file/..',
    '/api/workspace/file/../config.toml',
    '/api/workspace/file/%2e%2e/config.toml',
    '/api/workspace/file/../auth/token.hash',
]


def no_leak(j):
    text = json.dumps(j)
    assert 'root:' not in text and 'blake2b-256' not in text, text
    assert '[gateway]' not in text, text


def test_path_traversal_reads_are_refused(daemon):
    with open(os.path.join(workspace_made(daemon), 'inside.txt'), 'w') as f:
        f.write('inside')
    # The control: a file of the workspace is served.
    st, _, j = raw_request(daemon, '/api/workspace/file/inside.txt')
    assert st == 200 and j['content'] == 'inside', (st, j)
    st, _, j = raw_request(daemon, '/api/workspace/file/sub/../inside.txt')
    assert st == 200 and j['content'] == 'inside', (st, j)
    for path in TRAVERSALS:
        st, _, j = raw_request(daemon, path)
        assert st in (400, 403, 404), (path, st, j)
        no_leak(j)
    for q in ['../..', '/etc', '..%2f..', '%2fetc', '../auth']:
        st, _, j = raw_request(daemon, '/api/workspace/tree?path=' + q)
        assert st in (400, 403, 404), (q, st, j)
        no_leak(j)
    alive(daemon)


def test_percent_encoded_nul_in_a_path_is_refused(daemon):
    ws = workspace_made(daemon)
    with open(os.path.join(ws, 'inside.txt'), 'w') as f:
        f.write('inside')
    # A control character is refused...
    st, _, j = raw_request(daemon, '/api/workspace/file/inside.txt%01.png')
    assert_error(st, j, 400, 'bad_path')
    # ...and so must a NUL be, not cut the path short.
    st, _, j = raw_request(daemon, '/api/workspace/file/inside.txt%00.png')
    assert st == 400, (st, j)
    st, _, j = raw_request(daemon, '/api/workspace/file/inside.txt%00.bak',
                           method='PUT', body=b'{"content": "overwritten"}',
                           headers={'Content-Type': 'application/json'})
    assert st == 400, (st, j)
    with open(os.path.join(ws, 'inside.txt')) as f:
        assert f.read() == 'inside'
    alive(daemon)


def test_path_traversal_writes_are_refused(daemon):
    ws = workspace_made(daemon)
    home = daemon.ox.home
    body = json.dumps({'content': 'pwned'}).encode()
    targets = {
        '/api/workspace/file/../escape.txt': os.path.join(home,
                                                          'escape.txt'),
        '/api/workspace/file/../../escape.txt': os.path.join(
            os.path.dirname(home), 'escape.txt'),
        '/api/workspace/file/%2e%2e%2fescape2.txt': os.path.join(
            home, 'escape2.txt'),
        '/api/workspace/file/a/b/../../../escape3.txt': os.path.join(
            home, 'escape3.txt'),
        '/api/workspace/file//tmp/oxios-escape-%d.txt' % os.getpid():
            '/tmp/oxios-escape-%d.txt' % os.getpid(),
        '/api/workspace/file/../config.toml': None,
    }
    cfg_before = open(daemon.ox.path('config.toml')).read()
    for path, outside in targets.items():
        st, _, j = raw_request(daemon, path, method='PUT', body=body,
                               headers={'Content-Type': 'application/json'})
        assert st in (400, 403, 404), (path, st, j)
        if outside is not None:
            assert not os.path.exists(outside), (path, outside)
    assert open(daemon.ox.path('config.toml')).read() == cfg_before
    # Nothing was made inside either (no "a/b" from the refused path).
    assert not os.path.exists(os.path.join(ws, 'a'))
    alive(daemon)


def test_symlink_out_of_the_workspace_is_not_followed(daemon, tmp_path):
    ws = workspace_made(daemon)
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_text('root:secret')
    os.symlink('/etc/passwd', os.path.join(ws, 'passwd'))
    os.symlink(str(outside / 'secret.txt'), os.path.join(ws, 'secret'))
    os.symlink(str(outside), os.path.join(ws, 'out'))
    os.symlink('../..', os.path.join(ws, 'up'))
    for path in ['passwd', 'secret', 'out/secret.txt', 'up/etc/passwd',
                 'out/../out/secret.txt']:
        st, _, j = raw_request(daemon, '/api/workspace/file/' + path)
        assert st in (400, 403, 404), (path, st, j)
        no_leak(j)
        assert 'secret' not in json.dumps(j.get('content', '')), j
    for q in ['out', 'up', 'up/etc']:
        st, _, j = raw_request(daemon, '/api/workspace/tree?path=' + q)
        assert st in (400, 403, 404), (q, st, j)
    # The tree lists the links as links, never what they point to.
    st, _, j = daemon.get('/api/workspace/tree?depth=5')
    assert st == 200, (st, j)
    kinds = {e['name']: e['type'] for e in j['entries']}
    assert kinds['out'] == 'symlink' and kinds['passwd'] == 'symlink', j
    assert 'secret.txt' not in json.dumps(j), j
    alive(daemon)


def test_writing_through_a_symlinked_directory_creates_nothing_outside(
        daemon, tmp_path):
    ws = workspace_made(daemon)
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'target.txt').write_text('original')
    os.symlink(str(outside), os.path.join(ws, 'out'))
    os.symlink(str(outside / 'target.txt'), os.path.join(ws, 'target'))
    for path in ['out/new.txt', 'out/sub/new.txt', 'out/target.txt']:
        st, _, j = daemon.request('PUT', '/api/workspace/file/' + path,
                                  body={'content': 'pwned'})
        assert st in (400, 403, 404), (path, st, j)
    assert sorted(os.listdir(outside)) == ['target.txt']
    assert (outside / 'target.txt').read_text() == 'original'
    # Writing onto a link replaces the link, never its target.
    st, _, j = daemon.request('PUT', '/api/workspace/file/target',
                              body={'content': 'pwned'})
    assert (outside / 'target.txt').read_text() == 'original'
    if st == 200:
        assert not os.path.islink(os.path.join(ws, 'target'))
    else:
        assert st in (400, 403, 409), (st, j)
    alive(daemon)


# ---- WebSocket ----

def test_websocket_client_gets_ready_and_binary_is_closed_1003(daemon):
    async def run():
        uri = 'ws://127.0.0.1:%d/api/chat/stream' % daemon.port
        async with websockets.connect(
                uri, extra_headers={'Authorization': 'Bearer ' +
                                    daemon.token},
                open_timeout=5, close_timeout=5) as ws:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert msg == {'type': 'ready'}, msg
            await asyncio.sleep(WS_SETTLE)
            await ws.send(json.dumps({'type': 'ping'}))
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert msg == {'type': 'pong'}, msg
            await ws.send(b'\x00\x01binary')
            with pytest.raises(websockets.ConnectionClosed) as ei:
                await asyncio.wait_for(ws.recv(), 5)
            assert ei.value.rcvd is not None, ei.value
            return ei.value.rcvd.code

    assert asyncio.run(run()) == 1003
    alive(daemon)


def test_websocket_answers_a_ping_by_hand(daemon):
    # The control for the malformed-frame cases: a good frame works.
    ws = ws_open(daemon)
    try:
        ws.send(frame(0x9, b'abc'))
        fin, op, payload = ws.frame()
        assert (fin, op, payload) == (True, 0xa, b'abc')
        # A fragmented text message with a ping in the middle.
        ws.send(frame(0x1, b'{"type":', fin=False))
        ws.send(frame(0x9, b'x' * 125))
        ws.send(frame(0x0, b'"ping"}'))
        assert ws.frame() == (True, 0xa, b'x' * 125)
        assert ws.text() == {'type': 'pong'}
        # A clean close is echoed.
        ws.send(frame(0x8, struct.pack('>H', 1000) + b'bye'))
        assert ws.close_code()[0] == 1000
        ws.expect_eof()
    finally:
        ws.close()
    alive(daemon)


MALFORMED = {
    'unmasked_frame': ([frame(0x1, b'hi', mask=False)], 1002),
    'rsv1_set': ([frame(0x1, b'hi', rsv=4)], 1002),
    'rsv3_set': ([frame(0x9, b'', rsv=1)], 1002),
    'unknown_data_opcode': ([frame(0x3, b'hi')], 1002),
    'unknown_control_opcode': ([frame(0xb, b'')], 1002),
    'fragmented_ping': ([frame(0x9, b'hi', fin=False)], 1002),
    'ping_of_126_bytes': ([frame(0x9, b'p' * 126)], 1002),
    'invalid_utf8_text': ([frame(0x1, b'{"a":"\xff"}')], 1007),
    'overlong_utf8_text': ([frame(0x1, b'\xc0\xaf')], 1007),
    'utf8_cut_at_message_end': ([frame(0x1, b'ok\xe2\x82')], 1007),
    'continuation_without_start': ([frame(0x0, b'hi')], 1002),
    'text_inside_fragmented_message': (
        [frame(0x1, b'a', fin=False), frame(0x1, b'b')], 1002),
    'length_too_big': ([frame(0x1, b'', length=1 << 40)], 1009),
    'length_over_cap': ([frame(0x1, b'', length=2 * MIB)], 1009),
    'fragments_over_cap': (
        [frame(0x1, b'a' * 700_000, fin=False),
         frame(0x0, b'a' * 700_000)], 1009),
    'length_top_bit_set': ([bytes([0x81, 0xff]) + b'\x80' + b'\0' * 7],
                           1002),
    'length_not_shortest': ([bytes([0x81, 0xfe, 0x00, 0x05]) + b'\0' * 4 +
                             b'hello'], 1002),
    'close_with_1_byte_payload': ([frame(0x8, b'\x03')], 1002),
    'close_with_reserved_code': ([frame(0x8, struct.pack('>H', 1005))],
                                 1002),
}


@pytest.mark.parametrize('name', sorted(MALFORMED))
def test_malformed_websocket_frame_is_closed_with_the_right_code(daemon,
                                                                  name):
    frames, code = MALFORMED[name]
    ws = ws_open(daemon)
    try:
        for f in frames:
            try:
                ws.send(f)
            except OSError:
                break  # the server may close before it has read it all
        got, reason = ws.close_code()
        assert got == code, (name, got, reason)
        ws.expect_eof()
    finally:
        ws.close()
    alive(daemon)


def test_websocket_closed_during_its_handshake_is_safe(llm):
    # The bad frame arrives in the same packet as the upgrade request, so
    # the hub can end the connection while hub_add() is still running.
    # Many times over, to hit the window.
    d = start_daemon(llm, 'rate_limit_per_min = 1000000\n')
    try:
        end = time.time() + 4
        for i in range(100000):
            if time.time() > end:
                break
            req = ('GET /api/chat/stream HTTP/1.1\r\nHost: x\r\n'
                   'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                   'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n'
                   'Authorization: Bearer %s\r\n\r\n' % (ws_key(), d.token))
            s = sock_connect(d)
            s.sendall(req.encode() + frame(0x1, b'hi', mask=False))
            st, h, rest = read_head(s)
            assert st == 101, (i, st, h)
            ws = WsReader(s, rest)
            try:
                assert ws.close_code()[0] == 1002, i
                ws.expect_eof()
            finally:
                ws.close()
        alive(d)
    finally:
        stop_daemon(d)


def test_websocket_without_upgrade_is_426(daemon):
    st, _, j = daemon.get('/api/chat/stream')
    assert_error(st, j, 426, 'upgrade_required')
    s, st, h, _ = ws_handshake(daemon, upgrade=False)
    s.close()
    assert st == 426, (st, h)
    # Only version 13 is spoken.
    for v in [None, '8', '14']:
        s, st, h, _ = ws_handshake(daemon, version=v)
        s.close()
        assert st == 426, (v, st, h)
    alive(daemon)


def test_websocket_with_a_bad_key_is_400(daemon):
    for key in ['', 'abc', 'A' * 24, 'AAAAAAAAAAAAAAAAAAAAAA=',
                'AAAAAAAAAAAAAAAAAAAAAB==',  # 132 bits, low ones not 0
                'AAAAAAAAAAAAAAAAAAAAA*==',
                base64.b64encode(os.urandom(17)).decode(),
                base64.b64encode(os.urandom(15)).decode()]:
        s, st, h, rest = ws_handshake(daemon, key=key)
        if st == 400:
            n = int(h.get('content-length', '0'))
            while len(rest) < n:
                rest += s.recv(65536)
            j = json.loads(rest[:n])
            assert j['error']['code'] == 'bad_websocket_key', j
        s.close()
        assert st == 400, (key, st, h)
    s, st, h, _ = ws_handshake(daemon, key=False)
    s.close()
    assert st == 400, (st, h)
    alive(daemon)


def test_websocket_without_token_or_ticket_is_401(daemon):
    for token, query in [(False, ''), ('wrong', ''), (False, '?ticket='),
                         (False, '?ticket=' + 'A' * 43),
                         (False, '?token=' + daemon.token)]:
        s, st, h, _ = ws_handshake(daemon, token=token, query=query)
        s.close()
        assert st == 401, (token, query, st, h)
        assert h['www-authenticate'].startswith('Bearer'), h
    alive(daemon)


def test_websocket_ticket_works_once(daemon):
    st, _, j = daemon.post('/api/chat/ticket')
    assert st == 200, (st, j)
    ticket = j['ticket']
    assert j['expires_in'] > 0
    ws = ws_open(daemon, token=False, query='?ticket=' + ticket)
    ws.close()
    s, st, h, _ = ws_handshake(daemon, token=False, query='?ticket=' + ticket)
    s.close()
    assert st == 401, (st, h)
    # A ticket opens the WebSocket only, not the rest of the API.
    st, _, j = daemon.post('/api/chat/ticket')
    other = j['ticket']
    st, _, j = daemon.get('/api/status?ticket=' + other, auth=False)
    assert_error(st, j, 401, 'unauthorized')
    # Tickets are not handed out without a token.
    st, _, j = daemon.post('/api/chat/ticket', auth=False)
    assert_error(st, j, 401, 'unauthorized')
    alive(daemon)


# ---- CORS ----

def test_cors_allows_only_the_configured_origin(llm):
    d = start_daemon(llm, gateway='cors_origins = ["http://ok.example"]\n')
    try:
        ok = 'http://ok.example'
        st, h, _ = d.get('/api/status', headers={'Origin': ok})
        h = hdrs(h)
        assert st == 200
        assert h.get('access-control-allow-origin') == ok, h
        assert 'origin' in h.get('vary', '').lower(), h
        for bad in ['http://evil.example', 'http://ok.example.evil.com',
                    'https://ok.example', 'http://ok.example:8080',
                    'null', 'HTTP://OK.EXAMPLE', '*']:
            st, h, _ = d.get('/api/status', headers={'Origin': bad})
            assert st == 200
            assert 'access-control-allow-origin' not in hdrs(h), (bad, h)
        # A preflight from the allowed origin, without a token.
        st, h, _ = d.request('OPTIONS', '/api/chat', auth=False, headers={
            'Origin': ok, 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type'})
        h = hdrs(h)
        assert st == 204, (st, h)
        assert 'POST' in h['access-control-allow-methods'], h
        assert h.get('access-control-allow-origin') == ok, h
        assert 'authorization' in h[
            'access-control-allow-headers'].lower(), h
        # From another origin: refused.
        st, h, j = d.request('OPTIONS', '/api/chat', auth=False, headers={
            'Origin': 'http://evil.example',
            'Access-Control-Request-Method': 'POST'})
        assert st == 403, (st, h, j)
        assert 'access-control-allow-origin' not in hdrs(h), h
        assert 'access-control-allow-methods' not in hdrs(h), h
        alive(d)
    finally:
        stop_daemon(d)


def test_cors_headers_are_absent_without_configured_origins(daemon):
    st, h, _ = daemon.get('/api/status',
                          headers={'Origin': 'http://ok.example'})
    assert st == 200
    assert 'access-control-allow-origin' not in hdrs(h), h
    st, h, _ = daemon.request('OPTIONS', '/api/status', auth=False, headers={
        'Origin': 'http://ok.example',
        'Access-Control-Request-Method': 'GET'})
    assert st == 403, (st, h)
    alive(daemon)
