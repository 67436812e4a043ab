"""The TOML parser, through the real binary, against Python's tomllib:
every valid document of the toml-test 1.0.0 corpus and a set of
generated ones must give the same values; every invalid one must fail."""
import datetime
import json
import math
import os
import random
import subprocess
import tomllib

import pytest

CORPUS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared',
                      'conformance', 'toml-test')


def oxios_parse(bin_path, data):
    r = subprocess.run([bin_path, '__toml', '--tagged'], input=data,
                       capture_output=True)
    return r


def untag(v):
    """toml-test tagged JSON -> Python values comparable with tomllib's."""
    if isinstance(v, list):
        return [untag(x) for x in v]
    if isinstance(v, dict) and set(v) == {'type', 'value'} and \
            isinstance(v['type'], str) and isinstance(v['value'], str):
        t, s = v['type'], v['value']
        if t == 'string':
            return s
        if t == 'integer':
            return int(s)
        if t == 'float':
            return float(s)
        if t == 'bool':
            return s == 'true'
        return ('dt', t, s)
    return {k: untag(x) for k, x in v.items()}


def normal(v):
    """tomllib values -> the same comparable shape."""
    if isinstance(v, list):
        return [normal(x) for x in v]
    if isinstance(v, dict):
        return {k: normal(x) for k, x in v.items()}
    if isinstance(v, datetime.datetime):
        return ('dt', 'datetime' if v.tzinfo else 'datetime-local', v)
    if isinstance(v, datetime.date):
        return ('dt', 'date-local', v)
    if isinstance(v, datetime.time):
        return ('dt', 'time-local', v)
    return v


def same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        # Compare date-times by type and by value (parsed back).
        if a[1] != b[1]:
            return False
        text = a[2].replace(' ', 'T').replace('t', 'T').replace('z', 'Z')
        probe = tomllib.loads('v = ' + text)['v']
        return probe == b[2]
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def corpus_files(kind):
    listing = os.path.join(CORPUS, 'files-toml-1.0.0')
    if not os.path.exists(listing):
        return []
    with open(listing) as f:
        return [l.strip() for l in f
                if l.startswith(kind + '/') and l.strip().endswith('.toml')]


@pytest.mark.skipif(not os.path.isdir(CORPUS),
                    reason='../shared/conformance/toml-test is absent')
def test_corpus_valid_agrees_with_tomllib(bin_path):
    bad = []
    files = corpus_files('valid')
    assert len(files) > 100
    for name in files:
        data = open(os.path.join(CORPUS, name), 'rb').read()
        # tomllib does not skip a byte-order mark; TOML allows one.
        want = normal(tomllib.loads(data.decode('utf-8-sig')))
        r = oxios_parse(bin_path, data)
        if r.returncode != 0:
            bad.append('%s: rejected: %s' % (name, r.stderr.decode()))
            continue
        got = untag(json.loads(r.stdout))
        if not same(got, want):
            bad.append('%s: differs' % name)
    assert not bad, '\n'.join(bad)


@pytest.mark.skipif(not os.path.isdir(CORPUS),
                    reason='../shared/conformance/toml-test is absent')
def test_corpus_invalid_rejected_with_position(bin_path):
    bad = []
    for name in corpus_files('invalid'):
        data = open(os.path.join(CORPUS, name), 'rb').read()
        r = oxios_parse(bin_path, data)
        err = r.stderr.decode('utf-8', 'replace')
        if r.returncode != 1:
            bad.append('%s: exit %d' % (name, r.returncode))
        elif not err.startswith('oxios: stdin:') or err.count('\n') != 1:
            bad.append('%s: message %r' % (name, err))
    assert not bad, '\n'.join(bad)


def toml_string(rnd, s):
    """A TOML basic string for s, escaping some characters at random."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append('\\' + ch)
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t' or (ord(ch) > 127 and rnd.random() < 0.5):
            out.append('\\u%04x' % ord(ch) if ord(ch) < 0x10000
                       else '\\U%08x' % ord(ch))
        else:
            out.append(ch)
    return '"' + ''.join(out) + '"'


def gen_value(rnd, depth):
    kind = rnd.choice(['int', 'float', 'str', 'bool', 'arr', 'tbl', 'date']
                      if depth < 3 else ['int', 'str', 'bool'])
    if kind == 'int':
        n = rnd.choice([0, 1, -1, 2**63 - 1, -2**63, rnd.randint(-10**9,
                                                                 10**9)])
        return rnd.choice([str(n), '+%d' % n if n >= 0 else str(n),
                           hex(n) if n >= 0 else str(n)]), n
    if kind == 'float':
        x = rnd.choice([0.5, -1e-7, 3.14159, 1e300, 6.02e23])
        return repr(x), x
    if kind == 'str':
        s = ''.join(rnd.choice('ab c"\\\t\u00e9\u4e2d\U0001f600\n')
                    for _ in range(rnd.randint(0, 12)))
        return toml_string(rnd, s), s
    if kind == 'bool':
        b = rnd.random() < 0.5
        return 'true' if b else 'false', b
    if kind == 'date':
        return '1979-05-27T07:32:00Z', None
    if kind == 'arr':
        items = [gen_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
        return '[' + ', '.join(t for t, _ in items) + ']', None
    items = [('k%d' % i, gen_value(rnd, depth + 1))
             for i in range(rnd.randint(0, 3))]
    return '{' + ', '.join('%s = %s' % (k, t) for k, (t, _) in items) + \
        '}', None


def test_generated_documents_agree(bin_path):
    rnd = random.Random(1234)
    for i in range(200):
        lines = []
        for j in range(rnd.randint(1, 6)):
            text, _ = gen_value(rnd, 0)
            lines.append('key%d = %s' % (j, text))
        if rnd.random() < 0.5:
            lines.append('[t%d.sub]' % i)
            lines.append('"quoted key" = 1')
        doc = '\n'.join(lines) + '\n'
        want = normal(tomllib.loads(doc))
        r = oxios_parse(bin_path, doc.encode())
        assert r.returncode == 0, (doc, r.stderr)
        assert same(untag(json.loads(r.stdout)), want), doc


def test_size_cap(bin_path):
    big = b'a = "' + b'x' * (8 * 1024 * 1024) + b'"\n'
    r = oxios_parse(bin_path, big)
    assert r.returncode == 1
    assert b'larger than' in r.stderr
