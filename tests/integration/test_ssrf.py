"""The SSRF guard (src/security/ssrf*.c) through `oxios __fetch` and
PUT /api/config, on loopback only.

Two HTTP servers record every request they get: P1 (allowed, when the
test says so, as `127.0.0.1:P1`) and P2 (never allowed).  A refusal must
happen before any connection: the servers' logs prove it."""
import http.server
import threading
import time

import pytest

from conftest import make_daemon


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, body=b'', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        srv.seen.append(self.path)
        p = self.path
        if p == '/':
            self.send(200, b'hello from P1')
        elif p == '/to-p2':
            self.send(302, headers=[
                ('Location', 'http://127.0.0.1:%d/' % srv.other)])
        elif p.startswith('/chain/'):
            n = int(p.split('/')[2])
            if n == 0:
                self.send(200, b'end of chain')
            else:
                self.send(302, headers=[('Location', '/chain/%d' % (n - 1))])
        elif p == '/big':
            self.send(200, b'x' * 5000)
        elif p == '/big-chunked':
            # No Content-Length: the cap must cut it while reading.
            self.send_response(200)
            self.send_header('Connection', 'close')
            self.end_headers()
            self.close_connection = True
            for _ in range(10):
                self.wfile.write(b'y' * 1000)
        elif p == '/slow':
            time.sleep(3)
            self.send(200, b'late')
        else:
            self.send(404, b'no')


def serve():
    s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    s.daemon_threads = True
    s.seen = []
    s.other = 0
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


@pytest.fixture
def servers():
    p1, p2 = serve(), serve()
    p1.other = p2.server_address[1]
    yield p1, p2
    p1.shutdown()
    p2.shutdown()
    p1.server_close()
    p2.server_close()


def configure(oxios, p1, allow=True, extra=''):
    port = p1.server_address[1]
    oxios.write_config(
        '[security]\nssrf_max_redirects = 2\nssrf_max_bytes = 1000\n'
        'ssrf_timeout_secs = 1\n' +
        ('ssrf_allow = ["127.0.0.1:%d"]\n' % port if allow else '') + extra)
    return 'http://127.0.0.1:%d' % port


def test_allowed_host_is_reached(oxios, servers):
    p1, p2 = servers
    base = configure(oxios, p1)
    r = oxios.run('__fetch', base + '/', check=0)
    assert r.stdout.startswith('status: 200\nurl: %s/\nredirects: 0\n\n'
                               % base), r.stdout
    assert r.stdout.endswith('hello from P1')
    assert p1.seen == ['/']


def test_redirect_to_another_port_is_refused(oxios, servers):
    p1, p2 = servers
    base = configure(oxios, p1)
    r = oxios.run('__fetch', base + '/to-p2', check=1)
    assert '127.0.0.1 (127.0.0.1) is a loopback address' in r.stderr, \
        r.stderr
    assert p1.seen == ['/to-p2']
    assert p2.seen == []


def test_without_the_entry_refused_before_connecting(oxios, servers):
    p1, p2 = servers
    port = p1.server_address[1]
    configure(oxios, p1, allow=False)
    for host, why in [('127.0.0.1', 'loopback'),
                      ('2130706433', 'loopback'),
                      ('0177.0.0.1', 'loopback'),
                      ('0x7f.1', 'loopback'),
                      ('127.1', 'loopback'),
                      ('[::ffff:127.0.0.1]', 'loopback'),
                      ('[::1]', 'loopback'),
                      ('0.0.0.0', 'unspecified'),
                      ('169.254.169.254', 'metadata'),
                      ('10.0.0.5', 'private'),
                      ('localhost', 'loopback')]:
        r = oxios.run('__fetch', 'http://%s:%d/' % (host, port), check=1)
        assert why in r.stderr and 'security.ssrf_allow' in r.stderr, \
            (host, r.stderr)
        assert r.stdout == ''
    # Another port of an allowed host is refused too.
    configure(oxios, p1)
    r = oxios.run('__fetch', 'http://127.0.0.1:%d/' % p1.other, check=1)
    assert 'loopback' in r.stderr
    assert p1.seen == [] and p2.seen == []


def test_scheme_and_url_checks(oxios, servers):
    p1, _ = servers
    base = configure(oxios, p1)
    for url, why in [('ftp://127.0.0.1/', 'only http and https'),
                     ('file:///etc/passwd', 'only http and https'),
                     ('gopher://127.0.0.1/', 'only http and https'),
                     ('not a url', 'is not a URL')]:
        r = oxios.run('__fetch', url, check=1)
        assert why in r.stderr, (url, r.stderr)
    assert p1.seen == []
    oxios.run('__fetch', base + '/', check=0)


def test_redirect_chain_is_capped(oxios, servers):
    p1, _ = servers
    base = configure(oxios, p1)
    r = oxios.run('__fetch', base + '/chain/2', check=0)
    assert 'redirects: 2\n' in r.stdout
    assert r.stdout.endswith('end of chain')
    assert 'url: %s/chain/0\n' % base in r.stdout
    del p1.seen[:]
    r = oxios.run('__fetch', base + '/chain/3', check=1)
    assert 'more than 2 redirects' in r.stderr, r.stderr
    assert 'security.ssrf_max_redirects' in r.stderr
    assert p1.seen == ['/chain/3', '/chain/2', '/chain/1']


def test_body_over_the_cap_is_cut(oxios, servers):
    p1, _ = servers
    base = configure(oxios, p1)
    for path in ('/big', '/big-chunked'):
        r = oxios.run('__fetch', base + path, check=1)
        assert 'larger than 1000 bytes (security.ssrf_max_bytes)' in \
            r.stderr, (path, r.stderr)
        assert r.stdout == ''


def test_slow_response_times_out(oxios, servers):
    p1, _ = servers
    base = configure(oxios, p1)
    t = time.time()
    r = oxios.run('__fetch', base + '/slow', check=1)
    assert time.time() - t < 2.9
    assert 'security.ssrf_timeout_secs' in r.stderr, r.stderr


def test_environment_proxy_is_ignored(oxios, servers):
    p1, p2 = servers
    base = configure(oxios, p1)
    proxy = 'http://127.0.0.1:%d' % p1.other
    r = oxios.run('__fetch', base + '/', check=0, env={
        'http_proxy': proxy, 'HTTP_PROXY': proxy, 'https_proxy': proxy,
        'all_proxy': proxy, 'ALL_PROXY': proxy, 'no_proxy': ''})
    assert r.stdout.endswith('hello from P1')
    assert p1.seen == ['/']
    assert p2.seen == []  # the "proxy" saw nothing


def test_bad_allow_entry_is_an_error(oxios, servers):
    p1, _ = servers
    configure(oxios, p1, allow=False,
              extra='ssrf_allow = ["10.0.0.0/99"]\n')
    r = oxios.run('__fetch', 'http://93.184.216.34/', check=1)
    assert "security.ssrf_allow: '10.0.0.0/99'" in r.stderr, r.stderr


def put(daemon, body):
    return daemon.request('PUT', '/api/config', body=body)


def test_put_config_checks_urls(daemon):
    with open(daemon.ox.path('config.toml')) as f:
        before = f.read()
    for key, url, why in [
            ('memory.embedding_url', 'http://169.254.169.254/',
             'metadata'),
            ('providers.openai.base_url', 'http://127.0.0.1:9/v1',
             'loopback'),
            ('providers.anthropic.base_url', 'http://[::ffff:10.1.2.3]',
             'private'),
            ('providers.extra.base_url', 'http://0x7f.1:8080/v1',
             'loopback'),
            ('memory.embedding_url', 'http://100.100.100.200/latest',
             'metadata')]:
        st, _, j = put(daemon, {'kernel.max_agents': 4, key: url})
        assert st == 400, (key, j)
        assert j['error']['code'] == 'ssrf_refused', j
        assert j['error']['key'] == key, j
        assert why in j['error']['message'], j
    # Nothing was written, not even the other key.
    with open(daemon.ox.path('config.toml')) as f:
        assert f.read() == before
    # A public address passes (a literal: no DNS, no connection).
    st, _, j = put(daemon, {'memory.embedding_url': 'http://93.184.216.34/v1'})
    assert st == 200, j
    # A bad allow list is refused; a good one lets the address through.
    st, _, j = put(daemon, {'security.ssrf_allow': ['127.0.0.1:99999']})
    assert st == 400 and j['error']['code'] == 'invalid_value', j
    assert j['error']['key'] == 'security.ssrf_allow'
    st, _, j = put(daemon, {'security.ssrf_allow': ['127.0.0.1:9']})
    assert st == 200, j
    st, _, j = put(daemon, {'providers.openai.base_url':
                            'http://127.0.0.1:9/v1'})
    assert st == 200, j
    st, _, j = put(daemon, {'providers.openai.base_url':
                            'http://127.0.0.1:10/v1'})
    assert st == 400 and j['error']['code'] == 'ssrf_refused', j


def test_file_values_stay_trusted(llm):
    # A loopback base_url from the file (a local LLM), and the fake LLM's
    # from the environment: loaded as they are, and a PUT of another key
    # does not re-check them.
    d = make_daemon(llm, '[providers.local]\nkind = "openai"\n'
                    'base_url = "http://127.0.0.1:8080/v1"\n')
    d.start()
    try:
        st, _, j = put(d, {'kernel.max_agents': 5})
        assert st == 200, j
        st, _, c = d.get('/api/config')
        c = c['config']
        assert c['providers']['local']['base_url'] == \
            'http://127.0.0.1:8080/v1', c
        assert c['providers']['openai']['base_url'] == \
            llm.fake.url + '/v1', c
    finally:
        d.stop_clean()
