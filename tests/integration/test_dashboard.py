"""The dashboard (web/, docs/dashboard.md) as the daemon serves it: every
embedded file with its type, ETag, 304 and security headers; 404 for the
rest; the page refers only to its own origin; the files are all embedded;
and the one-time sign-in link of a fresh install (once, not twice, not
with a wrong code, not after it expired)."""
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import ROOT, Daemon, free_port, make_daemon

WEB = os.path.join(ROOT, 'web')
TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.svg': 'image/svg+xml',
}


def web_files():
    out = []
    for d, _, names in os.walk(WEB):
        for n in names:
            out.append(os.path.relpath(os.path.join(d, n), WEB))
    return sorted(out)


def raw_get(d, path, headers=None, method='GET'):
    c = d.conn()
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check_security_headers(h, port):
    csp = h['content-security-policy']
    parts = dict((p.strip().split(' ', 1) + [''])[:2]
                 for p in csp.split(';'))
    assert parts['default-src'] == "'self'"
    assert parts['script-src'] == "'self'"
    assert parts['style-src'] == "'self'"
    assert parts['frame-ancestors'] == "'none'"
    assert 'unsafe-inline' not in csp and 'unsafe-eval' not in csp
    connect = parts['connect-src'].split()
    assert connect[0] == "'self'"
    assert 'ws://127.0.0.1:%d' % port in connect
    assert all(c == "'self'" or c.endswith('127.0.0.1:%d' % port)
               for c in connect), connect
    assert h['x-content-type-options'] == 'nosniff'
    assert h['cache-control'] == 'no-cache'
    assert h['x-frame-options'] == 'DENY'
    assert h['referrer-policy'] == 'no-referrer'


@pytest.fixture
def web(oxios):
    d = make_daemon(oxios)
    d.start()
    yield d
    d.stop_clean()


def test_every_file_served_with_type_etag_304(web):
    files = web_files()
    assert 'index.html' in files and 'views/chat.js' in files
    etags = set()
    for rel in files:
        with open(os.path.join(WEB, rel), 'rb') as f:
            data = f.read()
        st, h, body = raw_get(web, '/assets/' + rel)
        assert st == 200, rel
        assert body == data, rel
        assert h['content-type'] == TYPES[os.path.splitext(rel)[1]], rel
        assert int(h['content-length']) == len(data)
        etag = h['etag']
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag
        etags.add(etag)
        check_security_headers(h, web.port)
        # Unchanged: 304 with no body, the same tag and headers.
        st, h2, body = raw_get(web, '/assets/' + rel,
                               {'If-None-Match': etag})
        assert st == 304 and body == b'', rel
        assert h2['etag'] == etag
        check_security_headers(h2, web.port)
        # A list holding it, and a weak form of it, match too.
        st, _, _ = raw_get(web, '/assets/' + rel,
                           {'If-None-Match': '"0000", W/' + etag})
        assert st == 304
        # Another tag: the file again.
        st, _, body = raw_get(web, '/assets/' + rel,
                              {'If-None-Match': '"%s"' % ('0' * 32)})
        assert st == 200 and body == data
    assert len(etags) == len(files)  # distinct files, distinct tags


def test_root_is_index_and_needs_no_token(web):
    with open(os.path.join(WEB, 'index.html'), 'rb') as f:
        index = f.read()
    st, h, body = raw_get(web, '/')
    assert st == 200 and body == index
    assert h['content-type'] == 'text/html; charset=utf-8'
    check_security_headers(h, web.port)
    st, h2, _ = raw_get(web, '/', {'If-None-Match': h['etag']})
    assert st == 304
    st, h3, body = raw_get(web, '/', method='HEAD')
    assert st == 200 and body == b'' and h3['etag'] == h['etag']
    # A hostile Host header does not reach the policy.
    st, h4, _ = raw_get(web, '/', {'Host': 'evil.example; script-src *'})
    assert st == 200
    assert 'evil' not in h4['content-security-policy']
    assert h4['content-security-policy'].endswith("connect-src 'self'")


@pytest.mark.parametrize('path', [
    '/assets/nope.js', '/assets/', '/assets/js', '/assets/js/',
    '/assets/../index.html', '/assets/%2e%2e/index.html',
    '/assets//index.html', '/index.html', '/favicon.ico',
    '/assets/index.html/x', '/assets/INDEX.HTML',
])
def test_unknown_is_404(web, path):
    st, h, body = raw_get(web, path)
    assert st == 404, path
    assert h['content-type'] == 'application/json'
    assert b'not_found' in body


def test_api_unchanged(web):
    st, _, _ = raw_get(web, '/api/status')
    assert st == 401
    st, _, j = web.get('/api/status')
    assert st == 200 and j['status'] == 'ok'
    # The dashboard's routes take no other method.
    st, h, _ = raw_get(web, '/', method='POST')
    assert st == 405


def test_index_refers_to_own_origin_only():
    with open(os.path.join(WEB, 'index.html')) as f:
        html = f.read()
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)
    assert refs
    files = set(web_files())
    for ref in refs:
        if ref.startswith('#'):
            continue
        assert ref.startswith('/assets/') and '//' not in ref, ref
        assert ref[len('/assets/'):] in files, ref
    # No inline script or style (the policy would refuse them).
    assert not re.search(r'<script(?![^>]*\bsrc=)[^>]*>', html)
    assert '<style' not in html and 'style=' not in html
    assert not re.search(r'\son[a-z]+\s*=', html)


def test_modules_import_own_files_only():
    files = set(web_files())
    for rel in files:
        if not rel.endswith('.js'):
            continue
        with open(os.path.join(WEB, rel)) as f:
            src = f.read()
        # Each file says what it is.
        assert src.startswith('// ' + os.path.basename(rel)) or \
            src.startswith('// ' + rel), rel
        for imp in re.findall(r'''(?:import|from)\s*['"]([^'"]+)['"]''',
                              src):
            assert imp.startswith('./') or imp.startswith('../'), (rel, imp)
            target = os.path.normpath(os.path.join(os.path.dirname(rel),
                                                   imp))
            assert target in files, (rel, imp)
        # Model and user text never go through an HTML parser.
        bad = re.search(r'\.(?:inner|outer)HTML\b|insertAdjacentHTML|'
                        r'document\.write|\beval\(|new Function|'
                        r'DOMParser|createContextualFragment', src)
        assert bad is None, (rel, bad and bad.group(0))
        # The SVG namespace (js/chart.js) names, it is never fetched.
        src = src.replace("'http://www.w3.org/2000/svg'", '')
        assert 'http://' not in src and 'https://' not in src.replace(
            "'https:'", ''), rel


def test_every_file_is_embedded():
    with open(os.path.join(ROOT, 'meson.build')) as f:
        meson = f.read()
    listed = set(re.findall(r"'web/([^']+)'", meson))
    assert listed == set(web_files())


# ---- the one-time sign-in link ----

def start_fresh(ox):
    """A daemon on a fresh home (no token yet); the code of its link and
    the token it showed."""
    port = free_port()
    ox.write_config('[gateway]\nport = %d\n' % port)
    d = Daemon(ox, port)
    d.start(wait=False)
    got = []
    reader = threading.Thread(target=lambda: got.extend(d.proc.stdout),
                              daemon=True)
    reader.start()
    end = time.time() + 20
    while not any('#code=' in line for line in got):
        assert time.time() < end, ''.join(got)
        time.sleep(0.05)
    out = ''.join(got)
    d.wait_ready()
    m = re.search(r'^  (oxt_[A-Za-z0-9_-]{43})$', out, re.M)
    assert m, out
    d.token = m.group(1)
    m = re.search(r'^  http://127\.0\.0\.1:%d/#code=([A-Za-z0-9_-]{43})$'
                  % port, out, re.M)
    assert m, out
    assert 'one-time sign-in link' in out
    return d, m.group(1)


def test_signin_link_once(oxios):
    d, code = start_fresh(oxios)
    try:
        assert d.token not in oxios.path('auth', 'signin')
        with open(oxios.path('auth', 'signin')) as f:
            sealed = f.read()
        assert d.token[4:] not in sealed and code not in sealed
        # Wrong codes are refused and do not spend the link.
        wrong = code[:-1] + ('A' if code[-1] != 'A' else 'B')
        st, h, j = d.post('/api/signin', {'code': wrong}, auth=False)
        assert st == 401 and j['error']['code'] == 'signin_refused'
        assert 'wrong code' in j['error']['message']
        st, _, j = d.post('/api/signin', {'nope': 1}, auth=False)
        assert st == 400
        st, _, j = d.post('/api/signin', {'code': 5}, auth=False)
        assert st == 400
        # The right one gives the token, once.
        st, h, j = d.post('/api/signin', {'code': code}, auth=False)
        assert st == 200, j
        assert j == {'token': d.token}
        assert h['Cache-Control'] == 'no-store'
        st, _, _ = d.get('/api/status', token=j['token'])
        assert st == 200
        assert not os.path.exists(oxios.path('auth', 'signin'))
        st, _, j = d.post('/api/signin', {'code': code}, auth=False)
        assert st == 401 and 'no link' in j['error']['message']
        # The refusals are audited (never the code).
        st, _, j = d.get('/api/audit/entries?action=auth&limit=200')
        assert st == 200, j
        text = repr(j)
        assert 'sign-in link refused' in text
        assert code not in text and wrong not in text
    finally:
        d.stop_clean()
    # A second start makes no new link: the token exists.
    d2 = Daemon(oxios, d.port)
    d2.start()
    try:
        assert not os.path.exists(oxios.path('auth', 'signin'))
    finally:
        d2.stop_clean()
        out = d2.proc.stdout.read()
        assert '#code=' not in out and 'oxt_' not in out, out


def test_signin_link_expires(oxios):
    d, code = start_fresh(oxios)
    try:
        path = oxios.path('auth', 'signin')
        with open(path) as f:
            line = f.read()
        parts = line.split(':')
        expires = int(parts[1])
        assert 590 <= expires - time.time() <= 601
        parts[1] = str(int(time.time()) - 1)
        with open(path, 'w') as f:
            f.write(':'.join(parts))
        st, _, j = d.post('/api/signin', {'code': code}, auth=False)
        assert st == 401 and 'expired' in j['error']['message']
        assert not os.path.exists(path)
    finally:
        d.stop_clean()


def test_signin_link_dies_with_rotation(oxios):
    d, code = start_fresh(oxios)
    try:
        r = oxios.run('token', 'rotate', '--quiet', check=0)
        new = r.stdout.strip()
        st, _, j = d.post('/api/signin', {'code': code}, auth=False)
        assert st == 401 and 'token rotated' in j['error']['message']
        st, _, _ = d.get('/api/status', token=new)
        assert st == 200
    finally:
        d.stop_clean()


def test_rotate_prints_a_link(oxios):
    """A token made by `oxios token rotate` (or after onboarding) comes
    with a link too; --quiet prints the token only."""
    d = make_daemon(oxios)  # a token made with --quiet: no link file
    assert not os.path.exists(oxios.path('auth', 'signin'))
    d.start()
    try:
        r = oxios.run('token', 'rotate', check=0)
        token = r.stdout.split('\n', 1)[0]
        m = re.search(r'^  http://127\.0\.0\.1:%d/#code=([A-Za-z0-9_-]{43})$'
                      % d.port, r.stdout, re.M)
        assert m, r.stdout
        st, _, j = d.post('/api/signin', {'code': m.group(1)}, auth=False)
        assert st == 200 and j['token'] == token
        st, _, j = d.post('/api/signin', {'code': m.group(1)}, auth=False)
        assert st == 401
    finally:
        d.stop_clean()


# ---- the Markdown renderer (web/js/markdown.js), under Node ----

NODE = shutil.which('node')
ALLOWED = {'p', 'strong', 'em', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'br',
           'blockquote', 'hr', 'h3', 'h4', 'h5', 'h6'}


def render(*sources):
    if NODE is None:
        pytest.skip('no node')
    import json
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(list(sources), f)
    try:
        r = subprocess.run(
            [NODE, os.path.join(ROOT, 'tests/integration/js',
                                'markdown_cases.mjs'), f.name,
             'file://' + os.path.join(WEB, 'js', 'markdown.js')],
            capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_markdown_renders_the_basics():
    out = render('**bold** and *it* and `a<b>`',
                 '# Title\n\npara one\nline two',
                 '- a\n- b\n\n3. x\n4. y',
                 '```c\nint x = 1 < 2;\n<b>\n```',
                 '> quoted *it*',
                 'see [the docs](https://example.com/a?b=1&c=2) now',
                 'a\\*not em\\*')
    assert out[0]['html'] == ('<div><p><strong>bold</strong> and <em>it</em>'
                              ' and <code>a&lt;b&gt;</code></p></div>')
    assert out[1]['html'] == ('<div><h3>Title</h3><p>para one<br></br>'
                              'line two</p></div>')
    assert out[2]['html'] == ('<div><ul><li>a</li><li>b</li></ul>'
                              '<ol start="3"><li>x</li><li>y</li></ol></div>')
    assert out[3]['html'] == ('<div><pre><code class="lang-c" data-lang="c">'
                              'int x = 1 &lt; 2;\n&lt;b&gt;</code></pre>'
                              '</div>')
    assert out[4]['html'] == ('<div><blockquote><p>quoted <em>it</em></p>'
                              '</blockquote></div>')
    a = [e for e in out[5]['elements'] if e['tag'] == 'a']
    assert a == [{'tag': 'a', 'attrs': {
        'href': 'https://example.com/a?b=1&c=2',
        'rel': 'noopener noreferrer nofollow', 'target': '_blank'}}]
    assert out[6]['text'] == 'a*not em*'


def test_markdown_never_makes_html_or_unsafe_links():
    hostile = [
        '<script>alert(1)</script>',
        '<img src=x onerror=alert(1)>',
        '[x](javascript:alert(1))',
        '[x](JaVaScRiPt:alert%281%29)',
        '[x](data:text/html,<script>alert(1)</script>)',
        '[x](//evil.example/a)',
        '[x](vbscript:msgbox)',
        '[x](/relative)',
        '<a href="javascript:alert(1)">x</a>',
        '**<b onclick=alert(1)>x</b>**',
        '```\n</code></pre><script>x</script>\n```',
        '`<iframe>`',
        '- <svg onload=alert(1)>',
        '> <style>*{}</style>',
        '[<img src=x>](https://ok.example/)',
    ]
    for src, r in zip(hostile, render(*hostile)):
        for e in r['elements']:
            assert e['tag'] in ALLOWED, (src, e)
            for k in e['attrs']:
                assert not k.startswith('on'), (src, e)
            if e['tag'] == 'a':
                assert re.match(r'https?://', e['attrs']['href']), (src, e)
                assert 'noopener' in e['attrs']['rel']
        # What the model wrote is all still there, as text.
        for word in re.findall(r'script|onerror|onload|iframe|style', src):
            assert word in r['text'], (src, r['text'])


def test_markdown_survives_random_input():
    import random
    rnd = random.Random(16)
    alphabet = list('*_`[]()<>#-+>!\\ \n\t:/.1aZ"\'&=~')
    sources = [''.join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80)))
               for _ in range(400)]
    for src, r in zip(sources, render(*sources)):
        for e in r['elements']:
            assert e['tag'] in ALLOWED, (src, e)
            if e['tag'] == 'a':
                assert re.match(r'https?://', e['attrs']['href']), src


# ---- web/js/chart.js under Node: the SVG charts of the views ----

def charts(*cases):
    """Draw each (kind, opts) with web/js/chart.js; each chart's elements."""
    if NODE is None:
        pytest.skip('no node')
    import json
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump([{'kind': k, 'opts': o} for k, o in cases], f)
    try:
        r = subprocess.run(
            [NODE, os.path.join(ROOT, 'tests/integration/js',
                                'chart_cases.mjs'), f.name,
             'file://' + os.path.join(WEB, 'js', 'chart.js')],
            capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, r.stderr
    return [c['elements'] for c in json.loads(r.stdout)]


SVG_NS = 'http://www.w3.org/2000/svg'
CHART_TAGS = {'svg', 'title', 'desc', 'line', 'text', 'path', 'rect',
              'circle'}


def check_chart(els):
    """An accessible SVG image whose every number is finite and inside."""
    svg = els[0]
    assert svg['tag'] == 'svg' and svg['attrs']['role'] == 'img'
    _, _, w, h = (float(x) for x in svg['attrs']['viewBox'].split())
    ids = svg['attrs']['aria-labelledby'].split()
    named = {e['attrs'].get('id'): e for e in els}
    assert named[ids[0]]['tag'] == 'title' and named[ids[0]]['text']
    assert named[ids[1]]['tag'] == 'desc'
    for e in els:
        assert e['ns'] == SVG_NS and e['tag'] in CHART_TAGS, e
        for k, v in e['attrs'].items():
            assert not k.startswith('on'), e
            assert 'NaN' not in v and 'Infinity' not in v, e
            if k in ('x', 'x1', 'x2', 'cx'):
                assert -1 <= float(v) <= w + 1, e
            if k in ('y', 'y1', 'y2', 'cy'):
                assert -1 <= float(v) <= h + 1, e
        if e['tag'] == 'path':
            nums = [float(n) for n in re.findall(r'-?[\d.]+', e['attrs']['d'])]
            assert all(-1 <= n <= max(w, h) + 1 for n in nums), e


def test_charts_draw_lines_bars_axes_and_words():
    t0 = 1796440000000
    line, bar, empty, one = charts(
        ('line', {'title': 'CPU', 'desc': 'cpu: 50', 'yLabel': 'percent',
                  'xLabel': 'time', 'yMin': 0, 'yMax': 100, 'series': [
                      {'name': 'cpu', 'points': [[t0, 10], [t0 + 1000, 50],
                                                 [t0 + 2000, None]]},
                      {'name': 'mem', 'points': [[t0, 30], [t0 + 2000, 40]]}]}),
        ('bar', {'title': 'Tiers', 'bars': [{'label': 'hot', 'value': 3},
                                            {'label': 'cold', 'value': 0}]}),
        ('line', {'title': 'Nothing', 'series': [{'name': 'a', 'points': []}],
                  'none': 'No samples yet.'}),
        ('line', {'title': 'One', 'series': [{'name': 'a',
                                              'points': [[t0, 5]]}]}))
    for c in (line, bar, empty, one):
        check_chart(c)
    assert line[0]['attrs']['data-test'] == 'chart'
    assert [e['attrs']['data-series'] for e in line if e['tag'] == 'path'] \
        == ['cpu', 'mem']
    texts = [e['text'] for e in line if e['tag'] == 'text']
    assert {'percent', 'time', 'cpu', 'mem', '0', '100'} <= set(texts)
    assert [e['attrs']['data-label'] for e in bar if e['tag'] == 'rect'
            and 'chart-bar' in e['attrs']['class']] == ['hot', 'cold']
    assert 'hot: 3' in [e['text'] for e in bar if e['tag'] == 'title']
    assert 'No samples yet.' in [e['text'] for e in empty]
    assert not [e for e in empty if e['tag'] == 'path']
    assert [e for e in one if e['tag'] == 'circle'], 'one point is a dot'


def test_charts_survive_random_series():
    import random
    rnd = random.Random(16)

    def value():
        return rnd.choice([None, 0, -5, 1e12, 0.001, rnd.uniform(-100, 100),
                           rnd.randint(0, 10)])
    cases = []
    for _ in range(150):
        x0 = rnd.choice([0, 1796440000000])
        series = [{'name': 's%d' % i, 'points': [
            [x0 + rnd.choice([0, rnd.randint(0, 10**6)]), value()]
            for _ in range(rnd.randint(0, 12))]}
            for i in range(rnd.randint(0, 7))]
        cases.append(('line', {'title': 't', 'series': series}))
        cases.append(('bar', {'title': 'b', 'bars': [
            {'label': 'l%d' % i, 'value': value() or 0}
            for i in range(rnd.randint(0, 20))]}))
    for c in charts(*cases):
        check_chart(c)


# ---- the Agents view's tree (web/views/agents.js), under Node ----

def test_agents_tree_order():
    if NODE is None:
        pytest.skip('no node')
    import json
    # As GET /api/agents gives them: newest first.
    agents = [
        {'id': 'c2', 'parent_id': 'r1'},   # a second sub-agent of r1
        {'id': 'g1', 'parent_id': 'c1'},   # a sub-agent of a sub-agent
        {'id': 'c1', 'parent_id': 'r1'},
        {'id': 'r2', 'parent_id': None},   # another root, newer than r1
        {'id': 'o1', 'parent_id': 'gone'},  # its parent not listed
        {'id': 'r1', 'parent_id': None},
        {'id': 's1', 'parent_id': 's1'},   # its own parent: a root
    ]
    script = ("import { treeOrder } from %s;\n"
              "const rows = treeOrder(JSON.parse(process.argv[1]));\n"
              "console.log(JSON.stringify(rows.map((a) => "
              "[a.id, a.level, a.children])));\n"
              % json.dumps('file://' + os.path.join(WEB, 'views',
                                                    'agents.js')))
    r = subprocess.run([NODE, '--input-type=module', '-e', script,
                        json.dumps(agents)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # Roots newest first; under each, its sub-agents oldest first, depth
    # first; every agent once.
    assert json.loads(r.stdout) == [
        ['r2', 1, 0], ['o1', 1, 0], ['r1', 1, 2], ['c1', 2, 1],
        ['g1', 3, 0], ['c2', 2, 0], ['s1', 1, 0]]


def test_every_data_test_name_documented():
    """The names browser tests find elements by (data-test) are listed in
    docs/dashboard.md, so that a test and the page agree on them."""
    with open(os.path.join(ROOT, 'docs', 'dashboard.md')) as f:
        listed = set(re.findall(r'`([a-z0-9-]+)`', f.read()))
    found = set()
    for rel in web_files():
        if not rel.endswith('.js'):
            continue
        with open(os.path.join(WEB, rel)) as f:
            src = f.read()
        found |= set(re.findall(r"'data-test':\s*'([a-z0-9-]+)'", src))
        # table(..., { test: 'name' }) in the data views.
        found |= set(re.findall(r"\btest:\s*'([a-z0-9-]+)'", src))
    # A prefix ('nav-' + id) is documented as `nav-<view>`.
    found = {n for n in found if not n.endswith('-')}
    assert 'agent-row' in found and 'send' in found
    assert sorted(found - listed) == []
