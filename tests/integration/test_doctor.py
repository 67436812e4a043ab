"""oxios doctor: one line per check, JSON, and each failure it must see."""
import json
import os
import re
import socket
import sqlite3
import time

import pytest


def checks(oxios, *args, env=None):
    r = oxios.run('doctor', '--json', *args, env=env)
    doc = json.loads(r.stdout)
    return r.returncode, doc


def test_fresh_home_is_healthy(oxios):
    # --offline: a test has no network to ask api.anthropic.com over.
    rc, doc = checks(oxios, '--offline', env={'ANTHROPIC_API_KEY': 'x'})
    names = {c['name'] for c in doc['checks']}
    assert {'config', 'files', 'database', 'keys', 'port', 'landlock',
            'seccomp', 'userns', 'disk'} <= names
    for c in doc['checks']:
        assert set(c) == {'name', 'status', 'message'}
        assert c['status'] in ('ok', 'warn', 'fail')
    if any(c['status'] == 'fail' for c in doc['checks']):
        pytest.fail(doc)
    assert rc == 0 and doc['ok'] is True
    db = [c for c in doc['checks'] if c['name'] == 'database'][0]
    assert re.search(r'integrity ok, schema version (\d+) \(latest \1\)',
                     db['message'])


def test_text_output_one_line_per_check(oxios):
    r = oxios.run('doctor')
    lines = r.stdout.splitlines()
    assert len(lines) >= 9
    for line in lines:
        assert re.match(r'^(ok  |warn|fail)  \S+ +\S', line), line


def test_missing_key_for_default_model_warns(oxios):
    rc, doc = checks(oxios)
    keys = [c for c in doc['checks'] if c['name'] == 'keys']
    warn = [c for c in keys if c['status'] == 'warn']
    assert len(warn) == 1
    assert 'ANTHROPIC_API_KEY' in warn[0]['message']
    rc, doc = checks(oxios, '--offline', env={'ANTHROPIC_API_KEY': 'sk-x'})
    keys = [c for c in doc['checks'] if c['name'] == 'keys']
    assert all(c['status'] == 'ok' for c in keys)
    assert any('ANTHROPIC_API_KEY' in c['message'] for c in keys)


def test_port_in_use_fails(oxios):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        oxios.write_config('[gateway]\nport = %d\n' % port)
        rc, doc = checks(oxios)
        c = [c for c in doc['checks'] if c['name'] == 'port'][0]
        assert c['status'] == 'fail'
        assert 'in use by another program' in c['message']
        assert rc == 1 and doc['ok'] is False
    finally:
        s.close()
    rc, doc = checks(oxios)
    c = [c for c in doc['checks'] if c['name'] == 'port'][0]
    assert c['status'] == 'ok'


def test_loose_permissions_warn(oxios):
    oxios.run('doctor', check=0)
    os.chmod(oxios.home, 0o755)
    oxios.write_config('')
    os.chmod(oxios.path('config.toml'), 0o644)
    rc, doc = checks(oxios)
    files = [c for c in doc['checks'] if c['name'] == 'files']
    msgs = ' '.join(c['message'] for c in files)
    assert all(c['status'] == 'warn' for c in files)
    assert 'chmod 700 %s' % oxios.home in msgs
    assert 'chmod 600 %s' % oxios.path('config.toml') in msgs


def test_corrupt_database_fails(oxios):
    oxios.run('doctor', check=0)
    # Fill a table so the file has pages to damage, then damage them.
    db = sqlite3.connect(oxios.path('oxios.db'))
    db.execute('PRAGMA journal_mode=DELETE')
    db.executemany('INSERT INTO meta VALUES (?, ?)',
                   [('k%d' % i, 'v' * 200) for i in range(400)])
    db.commit()
    db.close()
    size = os.path.getsize(oxios.path('oxios.db'))
    with open(oxios.path('oxios.db'), 'r+b') as f:
        f.seek(size // 2)
        f.write(b'\x00\xff' * 2048)
    rc, doc = checks(oxios)
    c = [c for c in doc['checks'] if c['name'] == 'database'][0]
    assert c['status'] == 'fail', c
    assert rc == 1


def test_newer_database_fails(oxios):
    oxios.run('doctor', check=0)
    db = sqlite3.connect(oxios.path('oxios.db'))
    db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    db.commit()
    db.close()
    rc, doc = checks(oxios)
    c = [c for c in doc['checks'] if c['name'] == 'database'][0]
    assert c['status'] == 'fail'
    assert 'newer than this Oxios' in c['message']


def test_database_is_wal_and_private(oxios):
    oxios.run('doctor', check=0)
    assert os.stat(oxios.path('oxios.db')).st_mode & 0o777 == 0o600
    db = sqlite3.connect(oxios.path('oxios.db'))
    assert db.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    rows = db.execute('SELECT version, name FROM schema_migrations').fetchall()
    assert rows[0] == (1, 'init')
    db.close()


def test_each_sandbox_layer_a_worker_applies(oxios):
    """doctor starts a worker as an agent would and reports each layer of
    its sandbox; security.sandbox = off shows as a warning on the view."""
    rc, doc = checks(oxios)
    by = {}
    for c in doc['checks']:
        by.setdefault(c['name'], []).append(c)
    for name in ('fsview', 'pidns', 'nnp', 'caps', 'rlimits'):
        assert name in by, (name, doc)
    assert by['fsview'][0]['status'] == 'ok', by['fsview']
    assert 'nosuid,nodev' in by['fsview'][0]['message']
    assert by['pidns'][0]['status'] == 'ok'
    assert by['nnp'][0]['status'] == 'ok'
    # The kernel's Landlock, then the one the worker applied.
    assert len(by['landlock']) == 2
    assert by['landlock'][1]['message'].startswith('applied at ABI') or \
        by['landlock'][1]['status'] != 'ok'
    oxios.write_config('[security]\nsandbox = "off"\n')
    rc, doc = checks(oxios)
    fs = [c for c in doc['checks'] if c['name'] == 'fsview']
    assert fs[0]['status'] == 'warn' and 'security.sandbox = off' in \
        fs[0]['message'], fs


def test_each_limit_of_an_agent(oxios):
    """doctor says what bounds an agent's processes (and by what), whether
    a cgroup applies, and the workspace growth cap; both caps follow the
    configuration; no growth cap is a warning."""
    def by_name(doc):
        return {c['name']: c for c in doc['checks']}
    rc, doc = checks(oxios)
    c = by_name(doc)
    for name in ('procs', 'cgroup', 'growth'):
        assert name in c, (name, doc)
    assert 'cap 256' in c['procs']['message'] or \
        c['procs']['status'] == 'warn', c['procs']
    assert c['growth']['message'].startswith(
        'a run may add 1024 MiB'), c['growth']
    oxios.write_config('[security]\nworker_max_procs = 64\n'
                       'workspace_growth_mb = 5\n')
    c = by_name(checks(oxios)[1])
    assert 'cap 64' in c['procs']['message'] or \
        'cap of 64' in c['procs']['message'], c['procs']
    assert 'add 5 MiB' in c['growth']['message'], c['growth']
    oxios.write_config('[security]\nworkspace_growth_mb = 0\n')
    c = by_name(checks(oxios)[1])
    assert c['growth']['status'] == 'warn', c['growth']


def providers(doc):
    return [c for c in doc['checks'] if c['name'] == 'provider']


def test_each_configured_provider_is_asked(oxios, fake):
    fake.load({'api_key': 'sk-good'})
    env = {'ANTHROPIC_BASE_URL': fake.url, 'ANTHROPIC_API_KEY': 'sk-good',
           'OPENAI_BASE_URL': fake.url + '/v1', 'OPENAI_API_KEY': 'sk-good'}
    rc, doc = checks(oxios, env=env)
    p = providers(doc)
    assert [c['status'] for c in p] == ['ok', 'ok'], p
    assert p[0]['message'].startswith('anthropic answers at %s (' % fake.url)
    assert p[1]['message'].startswith('openai answers at %s/v1 (' % fake.url)
    assert rc == 0, doc
    got = [(q['method'], q['path']) for q in fake.requests()]
    assert ('GET', '/v1/models') in got and len(got) == 2, got
    # A refused key fails, and says so.
    env['OPENAI_API_KEY'] = 'sk-bad'
    rc, doc = checks(oxios, env=env)
    p = providers(doc)
    assert p[0]['status'] == 'ok' and p[1]['status'] == 'fail', p
    assert 'openai at %s/v1 refused its key (HTTP 401)' % fake.url \
        in p[1]['message']
    assert 'sk-bad' not in json.dumps(doc)
    assert rc == 1


def closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_provider_fails_with_what_to_do(oxios):
    url = 'http://127.0.0.1:%d/v1' % closed_port()
    env = {'OPENAI_BASE_URL': url}
    oxios.write_config('[engine]\ndefault_model = "openai/gpt-4.1"\n')
    t0 = time.monotonic()
    rc, doc = checks(oxios, env=env)
    assert time.monotonic() - t0 < 15
    p = providers(doc)
    assert len(p) == 1 and p[0]['status'] == 'fail', p
    assert 'openai: cannot reach %s/models' % url in p[0]['message']
    assert 'point OPENAI_BASE_URL at one that runs' in p[0]['message']
    assert rc == 1 and doc['ok'] is False
    # In a file, the key is named.
    oxios.write_config('[engine]\ndefault_model = "local/q"\n'
                       '[providers.local]\nbase_url = "%s"\n' % url)
    rc, doc = checks(oxios)
    p = providers(doc)
    assert len(p) == 1 and 'providers.local.base_url' in p[0]['message'], p
    assert rc == 1
    # --offline asks nothing.
    rc, doc = checks(oxios, '--offline', env=env)
    assert [c['status'] for c in providers(doc)] == ['ok'], doc
    assert 'not asked (--offline)' in providers(doc)[0]['message']
    assert rc == 0, doc


def test_a_provider_without_its_key_is_not_asked(oxios):
    # The keys check warns; nothing is sent to api.anthropic.com.
    rc, doc = checks(oxios)
    assert providers(doc) == []
    assert rc == 0, doc
