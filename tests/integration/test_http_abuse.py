"""The daemon under abuse from a local process (issue 13, items 7 to 9).

Every local client shares 127.0.0.1, so the per-address cap alone cannot
keep one process from locking the others out: the guard closes the oldest
connection without a request under way to make room, and every connection
must complete its request head within gateway.header_timeout_secs.  Bytes
that cannot begin a request are answered 400 at once.  Refused credentials
are audited as one row per address and minute, with a count.
"""
import http.client
import json
import socket
import sqlite3
import time

from conftest import dribbling, make_daemon

BAD = 'oxt_' + 'B' * 40


def start(ox, gateway=''):
    d = make_daemon(ox, gateway)
    d.start()
    return d


def connect(d, src='127.0.0.1', timeout=5):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(('127.0.0.1', d.port))
    return s


def closed_within(s, secs):
    """Seconds until the peer closed s (EOF or reset), or None."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < secs:
        try:
            if s.recv(4096) == b'':
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def timed_get(d, path, token=None, src='127.0.0.1'):
    """GET on a fresh connection: (status, seconds)."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection('127.0.0.1', d.port, timeout=5,
                                   source_address=(src, 0))
    try:
        h = {'Authorization': 'Bearer ' + token} if token else {}
        c.request('GET', path, headers=h)
        r = c.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    finally:
        c.close()


def test_half_open_flood_does_not_lock_out_clients(oxios):
    d = start(oxios, 'header_timeout_secs = 3\nrate_limit_per_min = 100000\n')
    flood, drip = [], []
    try:
        t0 = time.monotonic()
        for i in range(300):
            s = connect(d)
            s.sendall(b'GET /health HTTP/1.1\r\n')
            flood.append(s)
        # The last few dribble a header line each second: libmicrohttpd's
        # idle timeout would never end them.
        for i in range(10):
            s = connect(d)
            s.sendall(b'GET /api/status HTTP/1.1\r\nHost: x\r\n')
            drip.append(s)
        opened = time.monotonic()
        with dribbling(drip, 1.0):
            # Well-behaved clients are served at once, with or without a
            # token, from the flooding address and from another one.
            for src in ('127.0.0.1', '127.0.0.2'):
                st, secs = timed_get(d, '/health', src=src)
                assert st == 200 and secs < 2, (src, st, secs)
                st, secs = timed_get(d, '/api/status', d.token, src=src)
                assert st == 200 and secs < 2, (src, st, secs)
            # One address holds at most 256: the oldest of the flood went.
            gone = sum(closed_within(s, 0.01) is not None for s in flood)
            assert gone >= 300 + 10 - 256, gone
            # The dribbling ones end at the head deadline (3 s after they
            # connected), although they never went quiet.
            for s in drip:
                left = 3 + 2.5 - (time.monotonic() - opened)
                assert closed_within(s, max(left, 0.1)) is not None
            assert time.monotonic() - opened >= 2.5
        # Every half-open connection is gone by now.
        assert all(closed_within(s, 1) is not None for s in flood)
        assert time.monotonic() - t0 < 20
        assert timed_get(d, '/health')[0] == 200
    finally:
        for s in flood + drip:
            s.close()
        d.stop_clean()
    assert 'past the head deadline' in d.stderr()


def test_idle_connection_and_keepalive_get_the_deadline(oxios):
    d = start(oxios, 'header_timeout_secs = 2\n')
    try:
        silent = connect(d)
        secs = closed_within(silent, 5)
        assert secs is not None and 1.5 <= secs <= 3.5, secs
        # A keep-alive connection: served, then its next head is due
        # within the deadline too.
        s = connect(d)
        s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
        data = b''
        while b'\r\n\r\n' not in data:
            data += s.recv(4096)
        assert data.startswith(b'HTTP/1.1 200'), data
        t0 = time.monotonic()
        secs = closed_within(s, 5)
        assert secs is not None and secs <= 3.5, secs
        assert time.monotonic() - t0 >= 1.0
        s.close()
        silent.close()
    finally:
        d.stop_clean()


def test_default_head_deadline_is_ten_seconds(oxios):
    d = make_daemon(oxios)
    r = oxios.run('config', 'get', 'gateway.header_timeout_secs', check=0)
    assert r.stdout.strip() == '10'
    d.start()
    try:
        s = connect(d, timeout=20)
        s.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n')
        secs = closed_within(s, 15)
        assert secs is not None and 9.0 <= secs <= 12.0, secs
        s.close()
        assert timed_get(d, '/health')[0] == 200
    finally:
        d.stop_clean()


GARBAGE = [
    b'\x00\x01\x02\xff' * 8,
    bytes(range(256)),
    b'\x00\x01\x02\xff\r\n\r\n',
    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',  # a TLS hello
    b' GET / HTTP/1.1\r\n\r\n',
    b'GET\r\n\r\n',
    b'\r\r\r\r',
    b'ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n',
]


def test_binary_request_line_is_answered_400_at_once(oxios):
    d = start(oxios)
    try:
        for g in GARBAGE:
            s = connect(d)
            t0 = time.monotonic()
            s.sendall(g)
            data = b''
            try:
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
            except OSError:
                pass
            secs = time.monotonic() - t0
            s.close()
            assert secs < 1.0, (g, secs)
            head, _, body = data.partition(b'\r\n\r\n')
            assert head.startswith(b'HTTP/1.1 400 '), (g, data)
            assert b'Connection: close' in head
            length = int(head.split(b'Content-Length: ')[1].split(b'\r')[0])
            assert length == len(body), (length, body)
            assert json.loads(body)['error']['code'] == 'bad_request'
        # A method arriving a byte at a time is waited for, not refused.
        s = connect(d)
        for b in b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n':
            s.sendall(bytes([b]))
            if b in b'GET':
                time.sleep(0.1)
        assert s.recv(4096).startswith(b'HTTP/1.1 200')
        s.close()
        assert timed_get(d, '/health')[0] == 200
    finally:
        d.stop_clean()
    assert 'not HTTP %d' % len(GARBAGE) in d.stderr()


def auth_rows(ox):
    con = sqlite3.connect(ox.path('oxios.db'))
    try:
        rows = con.execute(
            "SELECT actor, resource, detail FROM audit_log "
            "WHERE action = 'auth' ORDER BY seq").fetchall()
    finally:
        con.close()
    return [(a, r, json.loads(x)) for a, r, x in rows]


def test_repeated_401s_are_one_row_per_address_and_window(oxios):
    d = start(oxios, 'rate_limit_per_min = 1000000\n')
    n = 2000
    try:
        c = http.client.HTTPConnection('127.0.0.1', d.port, timeout=10)
        for i in range(n):
            c.request('GET', '/api/status' if i % 2 else '/api/agents',
                      headers={'Authorization': 'Bearer ' + BAD})
            r = c.getresponse()
            r.read()
            assert r.status == 401
        c.close()
        # The first is in the log at once, so an attack shows at once.
        st, _, j = d.get('/api/audit/entries?action=auth')
        assert st == 200
        assert len(j['entries']) == 1, j
        first = j['entries'][0]
        assert first['actor'] == 'client:127.0.0.1'
        assert first['resource'] == '/api/agents'
        assert first['detail']['count'] == 1
        assert first['detail']['bearer_sent'] is True
        assert first['detail']['window_secs'] == 60
    finally:
        d.stop_clean()
    # Stopping closes the window: one more row with the rest of them.
    rows = auth_rows(oxios)
    assert len(rows) == 2, rows
    assert sum(x['count'] for _, _, x in rows) == n
    assert rows[1][0] == 'client:127.0.0.1'
    assert rows[1][2]['summary'] is True and rows[1][2]['count'] == n - 1
    assert rows[1][1] == '/api/status'
    r = oxios.run('audit', 'verify', check=0)
    assert r.returncode == 0 and r.stdout.startswith('ok: '), (r.stdout,
                                                              r.stderr)
    raw = open(oxios.path('oxios.db'), 'rb').read()
    assert BAD.encode() not in raw


def test_head_deadline_changes_live(oxios):
    d = start(oxios)
    try:
        st, _, j = d.request('PUT', '/api/config',
                             body={'gateway.header_timeout_secs': 2})
        assert st == 200, j
        assert 'gateway.header_timeout_secs' in j['changed']
        assert 'gateway.header_timeout_secs' not in j['restart_required']
        s = connect(d)
        s.sendall(b'GET /health HTTP/1.1\r\n')
        secs = closed_within(s, 6)
        assert secs is not None and 1.5 <= secs <= 3.5, secs
        s.close()
    finally:
        d.stop_clean()
