"""The audit trail end to end: what agents, tools, memory, configuration
and refused credentials leave in it; that secrets never enter; the CLI
(list, show, verify, prove, export, head, flush) and its exit codes; the
REST routes with a proof checked here, in Python, from first principles;
and that every acknowledged entry survives a kill -9.

Hashes here are computed independently of the C code: BLAKE2b-256 with
the RFC 6962 prefixes (0x00 leaf, 0x01 node), the leaf over "OXA1" and
the length-prefixed fields documented in src/security/audit.c, and the
proof checked with the RFC 9162 algorithms."""
import hashlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import ANTHROPIC_KEY, OPENAI_KEY, BIN, make_daemon


# ---- helpers ----

def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


@pytest.fixture
def agent(llm):
    """oxios with the fake LLM (OpenAI format) and a workspace."""
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["cat", "ls", "echo"]\n')
    return llm


def entries(ox, *args):
    r = ox.run('audit', 'list', '--json', '--limit', '100000', *args,
               check=0)
    return json.loads(r.stdout)


def db_rows(ox, sql='SELECT * FROM audit_log ORDER BY seq', params=()):
    con = sqlite3.connect(ox.path('oxios.db'))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def raw_audit_bytes(ox):
    """Every column of every audit row, as the bytes SQLite holds."""
    con = sqlite3.connect(ox.path('oxios.db'))
    con.text_factory = bytes
    try:
        out = b''
        for table in ('audit_log', 'audit_heads'):
            for row in con.execute('SELECT * FROM %s' % table):
                for v in row:
                    out += v if isinstance(v, bytes) else str(v).encode()
                    out += b'\x1f'
        return out
    finally:
        con.close()


def tamper(ox, sql, params=()):
    """Edit the database as an attacker with the file would: the triggers
    go first."""
    con = sqlite3.connect(ox.path('oxios.db'))
    try:
        for t in ('audit_log_no_update', 'audit_log_no_delete',
                  'audit_heads_no_update', 'audit_heads_no_delete'):
            con.execute('DROP TRIGGER IF EXISTS %s' % t)
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def H(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def node(left, right):
    return H(b'\x01' + left + right)


def leaf_hash(seq, ts, actor, action, resource, detail):
    """The leaf of an entry: H(0x00 || "OXA1" || each field as a 4-byte
    big-endian length and its bytes)."""
    m = b'OXA1'
    for f in (str(seq), str(ts), actor, action, resource, detail):
        b = f.encode() if isinstance(f, str) else f
        m += len(b).to_bytes(4, 'big') + b
    return H(b'\x00' + m)


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, root_m, root_n, proof):
    """RFC 9162 2.1.4.2."""
    if m == n:
        return not proof and root_m == root_n
    if m == 0 or m > n or not proof:
        return False
    proof = list(proof)
    if m & (m - 1) == 0:
        proof.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root_m and sr == root_n


def mth(leaves):
    """The Merkle tree hash of RFC 6962 2.1 over leaf hashes."""
    if not leaves:
        return H(b'')
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def stored_leaf(ox, seq):
    """The leaf recomputed from the row's stored fields."""
    (s, ts, actor, action, resource, detail), = db_rows(
        ox, 'SELECT seq, ts_ms, actor, action, resource, detail '
            'FROM audit_log WHERE seq = ?', (seq,))
    return leaf_hash(s, ts, actor, action, resource, detail)


# `oxios audit export` leaks the head that audit_flush() returns (see
# test_cli_export_leaks_nothing); under ASan that leak alone makes it
# exit 1, so the other tests run it with leak detection off.
NO_LEAKS = {'ASAN_OPTIONS': 'detect_leaks=0'}
with open(BIN, 'rb') as _f:
    ASAN = b'__asan_init' in _f.read()


def export(ox, target):
    return ox.run('audit', 'export', target, env=NO_LEAKS, check=0)


def config_changes(ox):
    return [e for e in entries(ox, '--action', 'config_change')]


# ---- agents and tools ----

def test_run_records_spawn_tools_and_exit(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='hello.txt',
                             content='hi there\n')]},
        {'text': 'Wrote it.'}]})
    r = agent.run('run', '--json', 'write hello.txt', timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    aid = out['agent_id']
    me = 'agent:' + aid
    log = entries(agent)
    assert [e['seq'] for e in log] == list(range(1, len(log) + 1))
    mine = [e for e in log if e['actor'] == me or e['resource'] == me]
    assert [e['action'] for e in mine] == [
        'agent_spawn', 'tool_call', 'tool_result', 'agent_exit']
    spawn, tcall, tres, exit_ = mine
    assert spawn['actor'] == 'user' and spawn['resource'] == me
    assert spawn['detail']['session_id'] == out['session_id']
    assert spawn['detail']['depth'] == 0
    assert tcall['actor'] == me and tcall['resource'] == 'write'
    assert tcall['detail']['input'] == {'path': 'hello.txt',
                                        'content': 'hi there\n'}
    assert tres['actor'] == me and tres['resource'] == 'write'
    assert tres['detail']['ok'] is True
    assert exit_['actor'] == me and exit_['resource'] == me
    assert exit_['detail']['state'] == 'exited'
    assert spawn['ts_ms'] <= tcall['ts_ms'] <= tres['ts_ms'] <= \
        exit_['ts_ms']
    # Every listed leaf is the documented hash of the row.
    for e in log:
        assert bytes.fromhex(e['leaf']) == stored_leaf(agent, e['seq'])
    r = agent.run('audit', 'verify', check=0)
    assert r.stdout.startswith('ok: %d entries' % len(log))
    r = agent.run('audit', 'verify', '--json', check=0)
    v = json.loads(r.stdout)
    assert v['ok'] is True and v['entries'] == len(log)
    # Filters.
    calls = entries(agent, '--action', 'tool_call')
    assert [e['seq'] for e in calls] == [tcall['seq']]
    by = entries(agent, '--actor', me)
    assert [e['action'] for e in by] == ['tool_call', 'tool_result',
                                         'agent_exit']
    # Text mode: one line per entry.
    r = agent.run('audit', check=0)
    lines = r.stdout.splitlines()
    assert len(lines) == len(log)
    assert 'tool_call' in lines[tcall['seq'] - 1] and \
        me in lines[tcall['seq'] - 1]


# ---- secrets ----

def test_secrets_never_enter(agent):
    # The llm fixture put both keys in the environment; a tool call
    # carries them as values.
    assert agent.env['ANTHROPIC_API_KEY'] == ANTHROPIC_KEY
    agent.fake.load({'turns': [
        {'tool_calls': [
            call('write', 'c1', path='k.txt', content=OPENAI_KEY),
            call('exec', 'c2', mode='structured', binary='echo',
                 args=[ANTHROPIC_KEY]),
            call('write', 'c3', path='t.txt', content='ok',
                 api_key='plain-value-under-a-secret-key',
                 password='hunter2hunter2')]},
        {'text': 'Done.'}]})
    r = agent.run('run', '--json', 'store keys', timeout=60)
    assert r.returncode == 0, r.stderr
    raw = raw_audit_bytes(agent)
    for secret in (ANTHROPIC_KEY, OPENAI_KEY,
                   'plain-value-under-a-secret-key', 'hunter2hunter2'):
        assert secret.encode() not in raw, secret
    # The prefixes alone would show a partial key.
    assert b'sk-ant-test' not in raw and b'sk-openai-test' not in raw
    calls = entries(agent, '--action', 'tool_call')
    by_id = {c['detail']['input'].get('path', 'exec'): c for c in calls}
    assert by_id['k.txt']['detail']['input']['content'] == '<redacted>'
    assert by_id['exec']['detail']['input']['args'] == ['<redacted>']
    assert by_id['exec']['detail']['input']['binary'] == 'echo'
    assert by_id['t.txt']['detail']['input']['api_key'] == '<redacted>'
    assert by_id['t.txt']['detail']['input']['password'] == '<redacted>'
    assert by_id['t.txt']['detail']['input']['content'] == 'ok'
    # The echo's output (the key itself) is redacted in the result too.
    results = entries(agent, '--action', 'tool_result')
    assert len(results) == 3
    assert agent.run('audit', 'verify', check=0).stdout.startswith('ok')


def test_secret_inside_a_longer_string_never_enters(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [
            call('write', 'c1', path='.env',
                 content='OPENAI_API_KEY=%s\n' % OPENAI_KEY)]},
        {'text': 'Done.'}]})
    r = agent.run('run', '--json', 'write .env', timeout=60)
    assert r.returncode == 0, r.stderr
    assert OPENAI_KEY.encode() not in raw_audit_bytes(agent)


def test_hyphenated_credential_names_are_redacted(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [
            call('write', 'c1', path='h.txt', content='x',
                 headers={'X-Api-Key': 'plain-header-secret-1234'})]},
        {'text': 'Done.'}]})
    r = agent.run('run', '--json', 'write h.txt', timeout=60)
    assert r.returncode == 0, r.stderr
    assert b'plain-header-secret-1234' not in raw_audit_bytes(agent)


def test_config_set_secret_is_redacted(oxios):
    key = 'sk-proj-auditsecret0123456789'
    oxios.run('config', 'set', 'providers.openai.api_key', key, check=0)
    oxios.run('config', 'set', 'kernel.max_agents', '5', check=0)
    # A secret under any key: the value itself looks like one.
    oxios.run('config', 'set', 'providers.openai.base_url',
              'http://127.0.0.1:9/v1', check=0)
    ch = config_changes(oxios)
    assert [c['resource'] for c in ch] == [
        'providers.openai.api_key', 'kernel.max_agents',
        'providers.openai.base_url']
    assert all(c['actor'] == 'user' for c in ch)
    assert ch[0]['detail'] == {'key': 'providers.openai.api_key',
                               'value': '<redacted>', 'via': 'cli'}
    assert ch[1]['detail']['value'] == '5'
    assert key.encode() not in raw_audit_bytes(oxios)
    assert b'auditsecret' not in raw_audit_bytes(oxios)
    oxios.run('config', 'reset', 'kernel.max_agents', check=0)
    ch = config_changes(oxios)
    assert ch[-1]['resource'] == 'kernel.max_agents'
    assert ch[-1]['detail']['value'] is None
    oxios.run('audit', 'verify', check=0)


# ---- the CLI ----

def some_entries(ox, n=4):
    for i in range(n):
        ox.run('config', 'set', 'kernel.max_agents', str(i + 2), check=0)


def test_cli_verify_finds_an_edit(oxios):
    some_entries(oxios, 5)
    oxios.run('audit', 'flush', check=0)
    r = oxios.run('audit', 'verify', check=0)
    assert r.stdout == 'ok: 5 entries and 1 signed heads check\n'
    # Through SQLite, past the triggers (which refuse it otherwise).
    con = sqlite3.connect(oxios.path('oxios.db'))
    with pytest.raises(sqlite3.DatabaseError, match='append-only'):
        con.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match='append-only'):
        con.execute('DELETE FROM audit_log WHERE seq = 3')
    with pytest.raises(sqlite3.DatabaseError, match='append-only'):
        con.execute('DELETE FROM audit_heads')
    con.close()
    assert oxios.run('audit', 'verify').returncode == 0
    tamper(oxios, "UPDATE audit_log SET detail = replace(detail, '\"4\"', "
                  "'\"9\"') WHERE seq = 3")
    r = oxios.run('audit', 'verify')
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout.startswith('TAMPERED')
    assert 'entry 3' in r.stdout
    r = oxios.run('audit', 'verify', '--json')
    assert r.returncode == 1
    v = json.loads(r.stdout)
    assert v['ok'] is False and v['first_bad_seq'] == 3 and v['problem']


def test_cli_verify_finds_deletion_truncation_and_forgery(oxios):
    some_entries(oxios, 6)
    oxios.run('audit', 'flush', check=0)
    tamper(oxios, 'DELETE FROM audit_log WHERE seq = 2')
    r = oxios.run('audit', 'verify', '--json')
    v = json.loads(r.stdout)
    assert r.returncode == 1 and v['first_bad_seq'] == 2
    assert 'missing' in v['problem']

    ox2 = type(oxios)(oxios.home + '2')
    some_entries(ox2, 6)
    ox2.run('audit', 'flush', check=0)
    tamper(ox2, 'DELETE FROM audit_log WHERE seq > 4')
    r = ox2.run('audit', 'verify')
    assert r.returncode == 1 and 'truncated' in r.stdout

    ox3 = type(oxios)(oxios.home + '3')
    some_entries(ox3, 3)
    ox3.run('audit', 'flush', check=0)
    tamper(ox3, 'UPDATE audit_heads SET root = ?', (b'\x07' * 32,))
    r = ox3.run('audit', 'verify', '--json')
    v = json.loads(r.stdout)
    assert r.returncode == 1 and v['first_bad_head'] == 3
    assert 'forged' in v['problem']


def test_cli_show_prove_head_flush_export(oxios, tmp_path):
    r = oxios.run('audit', 'head')
    assert r.returncode == 1 and 'no signed head yet' in r.stderr
    some_entries(oxios, 5)
    r = oxios.run('audit', 'show', '3', check=0)
    e = json.loads(r.stdout)
    assert e['seq'] == 3 and e['action'] == 'config_change'
    assert bytes.fromhex(e['leaf']) == stored_leaf(oxios, 3)
    r = oxios.run('audit', 'show', '99')
    assert r.returncode == 1 and 'no entry 99' in r.stderr

    r = oxios.run('audit', 'flush', check=0)
    head = json.loads(r.stdout)
    assert head['size'] == 5
    leaves = [stored_leaf(oxios, s) for s in range(1, 6)]
    assert bytes.fromhex(head['root']) == mth(leaves)
    assert len(bytes.fromhex(head['public_key'])) == 32
    assert len(bytes.fromhex(head['signature'])) == 64
    # Nothing new: the same head, none added.
    assert json.loads(oxios.run('audit', 'flush', check=0).stdout) == head
    assert json.loads(oxios.run('audit', 'head', check=0).stdout) == head
    assert db_rows(oxios, 'SELECT COUNT(*) FROM audit_heads') == [(1,)]

    # A proof of entry 2 in the head of size 5, checked here.
    p = json.loads(oxios.run('audit', 'prove', '2', check=0).stdout)
    assert p['seq'] == 2 and p['size'] == 5 and p['root'] == head['root']
    assert bytes.fromhex(p['leaf']) == leaves[1]
    assert verify_inclusion(leaves[1], 1, 5,
                            [bytes.fromhex(h) for h in p['inclusion']],
                            bytes.fromhex(head['root']))
    # An entry newer than the head: prove signs one for it.
    some_entries(oxios, 2)
    p = json.loads(oxios.run('audit', 'prove', '7', '--from', '5',
                             check=0).stdout)
    assert p['size'] == 7
    leaves = [stored_leaf(oxios, s) for s in range(1, 8)]
    assert verify_inclusion(leaves[6], 6, 7,
                            [bytes.fromhex(h) for h in p['inclusion']],
                            bytes.fromhex(p['root']))
    c = p['consistency']
    assert c['from_size'] == 5 and c['from_root'] == head['root']
    assert verify_consistency(5, 7, bytes.fromhex(head['root']),
                              bytes.fromhex(p['root']),
                              [bytes.fromhex(h) for h in c['proof']])
    head7 = json.loads(oxios.run('audit', 'head', check=0).stdout)
    assert head7['size'] == 7 and head7['public_key'] == head['public_key']

    # Export, then verify offline: with the head's key, without, with
    # another.
    f = str(tmp_path / 'audit.ndjson')
    export(oxios, f)
    lines = open(f).read().splitlines()
    kinds = [json.loads(x)['type'] for x in lines]
    assert kinds == ['entry'] * 7 + ['head'] * 2
    r = oxios.run('audit', 'verify', '--file', f, check=0)
    assert r.stdout == 'ok: 7 entries and 2 signed heads check\n'
    oxios.run('audit', 'verify', '--file', f, '--key', head['public_key'],
              check=0)
    r = oxios.run('audit', 'verify', '--file', f, '--key', '11' * 32)
    assert r.returncode == 1 and 'TAMPERED' in r.stdout
    r = oxios.run('audit', 'verify', '--file', f, '--key', 'abc')
    assert r.returncode == 1 and 'public key' in r.stderr
    # Stdin redirected from the file.
    with open(f) as fh:
        r = subprocess.run([BIN, 'audit', 'verify', '--file', '-'],
                           stdin=fh, env=oxios.env, capture_output=True,
                           text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith('ok'), r
    # An edited export.
    bad = str(tmp_path / 'bad.ndjson')
    e = json.loads(lines[3])
    e['resource'] = 'elsewhere'
    with open(bad, 'w') as fh:
        fh.write('\n'.join(lines[:3] + [json.dumps(e)] + lines[4:]) + '\n')
    r = oxios.run('audit', 'verify', '--file', bad)
    assert r.returncode == 1 and 'entry 4' in r.stdout
    with open(bad, 'w') as fh:
        fh.write('\n'.join(lines[:3] + ['{oops'] + lines[4:]) + '\n')
    r = oxios.run('audit', 'verify', '--file', bad)
    assert r.returncode == 1 and 'line 4' in r.stderr
    r = oxios.run('audit', 'verify', '--file', str(tmp_path / 'none'))
    assert r.returncode == 1 and 'none' in r.stderr
    # To stdout.
    r = export(oxios, '-')
    assert r.stdout.splitlines() == lines


def test_cli_verify_export_from_a_pipe(oxios):
    some_entries(oxios, 3)
    text = export(oxios, '-').stdout
    r = oxios.run('audit', 'verify', '--file', '-', stdin=text)
    assert r.returncode == 0 and r.stdout.startswith('ok: 3 entries'), \
        (r.stdout, r.stderr)


def test_cli_verify_file_with_key_refuses_unsigned_entries(oxios, tmp_path):
    some_entries(oxios, 3)
    f = str(tmp_path / 'a.ndjson')
    export(oxios, f)
    key = json.loads(oxios.run('audit', 'head', check=0).stdout)[
        'public_key']
    out = []
    for line in open(f).read().splitlines():
        j = json.loads(line)
        if j['type'] == 'head':
            continue
        if j['seq'] == 2:
            j['actor'] = 'agent:mallory'
            j['leaf'] = leaf_hash(j['seq'], j['ts_ms'], j['actor'],
                                  j['action'], j['resource'],
                                  j['detail']).hex()
        out.append(json.dumps(j))
    with open(f, 'w') as fh:
        fh.write('\n'.join(out) + '\n')
    r = oxios.run('audit', 'verify', '--file', f, '--key', key)
    assert r.returncode == 1, r.stdout


def test_cli_export_leaks_nothing(oxios, tmp_path):
    some_entries(oxios, 2)
    r = oxios.run('audit', 'export', str(tmp_path / 'e.ndjson'))
    assert r.returncode == 0 and 'LeakSanitizer' not in r.stderr, r.stderr


def test_cli_usage_errors(oxios):
    some_entries(oxios, 1)
    for args in (('frobnicate',), ('show', 'abc'), ('show', '0'),
                 ('show', '-3'), ('show',), ('show', '1', '2'),
                 ('prove', 'x'), ('prove', '1', '--from', 'y'),
                 ('list', '--action', 'nope'), ('list', '--limit', '0'),
                 ('list', '--after', 'z'), ('list', 'extra'),
                 ('verify', 'extra'), ('export',), ('head', 'x'),
                 ('list', '--bogus')):
        r = oxios.run('audit', *args)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr, args
    r = oxios.run('audit', 'list', '--action', 'nope')
    assert "unknown action 'nope'" in r.stderr
    r = oxios.run('audit', 'frobnicate')
    assert "unknown subcommand 'frobnicate' (try: list, show, " in r.stderr
    assert oxios.run('audit', 'prove', '5').returncode == 1
    # Nothing was changed by any of them.
    assert db_rows(oxios, 'SELECT COUNT(*) FROM audit_log') == [(1,)]


def test_cli_audit_off(oxios):
    oxios.write_config('[audit]\nenabled = false\n')
    oxios.run('config', 'set', 'kernel.max_agents', '3', check=0)
    assert entries(oxios) == []
    r = oxios.run('audit', 'flush')
    assert r.returncode == 1 and 'off' in r.stderr
    assert not os.path.exists(oxios.path('audit', 'signing.key'))
    oxios.run('audit', 'verify', check=0)


# ---- the daemon ----

def test_kill9_keeps_every_acknowledged_entry(llm):
    d = make_daemon(llm)
    d.start()
    acked = {'memory': [], 'auth': 0}
    try:
        for round_ in range(2):
            if round_:
                d.start()
            for i in range(6):
                st, _, m = d.post('/api/memory', {
                    'content': 'durable memory %d-%d' % (round_, i)})
                assert st == 201, m
                acked['memory'].append('memory:%d' % m['id'])
                st, _, _ = d.get('/api/status', token='oxt_' + 'x' * 40)
                assert st == 401
                acked['auth'] += 1
            # Killed right after the last answer: no shutdown, no head.
            d.proc.kill()
            d.proc.wait()
            d.errlog.close()
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    log = entries(llm)
    assert [e['seq'] for e in log] == list(range(1, len(log) + 1))
    got = [e['resource'] for e in log if e['action'] == 'memory_write']
    assert got == acked['memory']
    # 401s: the first of each address and minute is written at once; the
    # count of the rest comes when the window ends, which a kill -9 may
    # not wait for (at most one window's count per address is lost).
    auth = [e for e in log if e['action'] == 'auth']
    assert len(auth) >= 2  # one per run at least
    assert sum(e['detail']['count'] for e in auth) <= acked['auth']
    r = llm.run('audit', 'verify', check=0)
    assert r.stdout.startswith('ok: %d entries' % len(log))
    con = sqlite3.connect(llm.path('oxios.db'))
    assert con.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    con.close()


def test_rest_entries_paging_filters_and_auth(daemon):
    bad = 'oxt_' + 'Q' * 40
    for i in range(3):
        st, _, _ = daemon.get('/api/status', token=bad)
        assert st == 401
    st, _, _ = daemon.get('/api/agents?ticket=secret-ticket-value', auth=False)
    assert st == 401
    st, _, _ = daemon.get('/api/audit/entries', auth=False)
    assert st == 401
    for i in range(3):
        st, _, m = daemon.post('/api/memory', {'content': 'note %d' % i})
        assert st == 201

    st, _, j = daemon.get('/api/audit/entries')
    assert st == 200
    allx = j['entries']
    assert [e['seq'] for e in allx] == list(range(1, len(allx) + 1))
    auth = [e for e in allx if e['action'] == 'auth']
    # One address in one minute: the first refusal only, for now (the
    # other four are counted, test_http_abuse.py).
    assert [e['resource'] for e in auth] == ['/api/status']
    for e in auth:
        assert e['actor'] == 'client:127.0.0.1'
        assert e['detail']['method'] == 'GET'
        assert e['detail']['count'] == 1
    raw = raw_audit_bytes(daemon.ox)
    assert bad.encode() not in raw and b'QQQQQQQQ' not in raw
    assert b'secret-ticket-value' not in raw
    assert daemon.token.encode() not in raw
    mem = [e for e in allx if e['action'] == 'memory_write']
    # Written over the API: the actor is the credential's identity.
    assert len(mem) == 3 and all(e['actor'] == 'token:admin' for e in mem)
    assert mem[0]['detail']['content'] == 'note 0'
    assert mem[0]['detail']['via'] == 'api'

    # Paging: after + limit walk the same list.
    seen, after = [], 0
    while True:
        st, _, j = daemon.get('/api/audit/entries?after=%d&limit=2' % after)
        assert st == 200 and len(j['entries']) <= 2
        if not j['entries']:
            break
        seen += j['entries']
        after = j['entries'][-1]['seq']
    assert [e['seq'] for e in seen] == [e['seq'] for e in allx]
    st, _, j = daemon.get('/api/audit/entries?action=auth&limit=2')
    assert [e['seq'] for e in j['entries']] == [e['seq'] for e in auth[:2]]
    st, _, j = daemon.get('/api/audit/entries?action=memory_write&limit=2')
    assert [e['seq'] for e in j['entries']] == [e['seq'] for e in mem[:2]]
    st, _, j = daemon.get('/api/audit/entries?action=memory_write')
    assert [e['seq'] for e in j['entries']] == [e['seq'] for e in mem]
    st, _, j = daemon.get('/api/audit/entries?actor=token:admin&resource=' +
                          mem[1]['resource'])
    assert [e['seq'] for e in j['entries']] == [mem[1]['seq']]
    for q in ('action=nope', 'limit=0', 'limit=x', 'after=-1'):
        st, _, j = daemon.get('/api/audit/entries?' + q)
        assert st == 400, (q, j)

    st, _, v = daemon.get('/api/audit/verify')
    assert st == 200 and v['ok'] is True and v['entries'] >= len(allx)


def test_rest_auth_entry_says_whether_a_credential_was_given(daemon):
    assert daemon.get('/api/status', token='oxt_' + 'w' * 40)[0] == 401
    assert daemon.get('/api/status', auth=False)[0] == 401
    st, _, j = daemon.get('/api/audit/entries?action=auth')
    # The second is counted in the first one's window (one address).
    assert [e['detail']['bearer_sent'] for e in j['entries']] == [True]


def test_rest_auth_entry_without_a_credential(daemon):
    assert daemon.get('/api/status', auth=False)[0] == 401
    st, _, j = daemon.get('/api/audit/entries?action=auth')
    assert [e['detail']['bearer_sent'] for e in j['entries']] == [False]


def test_rest_chat_agent_proof_export_config(daemon, tmp_path):
    daemon.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='out/a.txt',
                             content='A\n')]},
        {'text': 'Wrote it.'}]})
    st, _, j = daemon.post('/api/chat', {'content': 'write a'}, timeout=60)
    assert st == 200, j
    aid = j['agent_id']
    me = 'agent:' + aid
    st, _, a = daemon.get('/api/audit/agent/' + aid)
    assert st == 200 and a['agent_id'] == aid
    assert [e['action'] for e in a['by']] == ['tool_call', 'tool_result',
                                              'agent_exit']
    assert all(e['actor'] == me for e in a['by'])
    assert a['by'][0]['resource'] == 'write'
    assert a['by'][0]['detail']['input']['path'] == 'out/a.txt'
    assert [e['action'] for e in a['on']] == ['agent_spawn', 'agent_exit']
    assert a['on'][0]['actor'] == 'token:admin'  # started over the API
    st, _, a = daemon.get('/api/audit/agent/nosuch')
    assert st == 200 and a['by'] == [] and a['on'] == []

    # PUT /api/config: one config_change per key, secrets redacted.
    st, _, j = daemon.request('PUT', '/api/config', body={
        'kernel.max_agents': 3,
        'providers.anthropic.api_key': 'sk-ant-putsecret-0123456789'})
    assert st == 200, j
    st, _, j = daemon.get('/api/audit/entries?action=config_change')
    ch = j['entries']
    assert {e['resource'] for e in ch} == {'kernel.max_agents',
                                           'providers.anthropic.api_key'}
    for e in ch:
        assert e['actor'] == 'token:admin' and e['detail']['via'] == 'api'
    val = {e['resource']: e['detail']['value'] for e in ch}
    assert val == {'kernel.max_agents': 3,
                   'providers.anthropic.api_key': '<redacted>'}
    assert b'putsecret' not in raw_audit_bytes(daemon.ox)

    # SIGHUP with a changed file: a config_change by the system.
    with open(daemon.ox.path('config.toml'), 'a') as f:
        f.write('\n[logging]\nlevel = "debug"\n')
    daemon.proc.send_signal(signal.SIGHUP)
    for _ in range(100):
        st, _, j = daemon.get('/api/audit/entries?action=config_change'
                              '&actor=system')
        if j['entries']:
            break
        time.sleep(0.05)
    e, = j['entries']
    assert e['resource'] == daemon.ox.path('config.toml')
    assert 'logging.level' in e['detail']['keys']
    assert e['detail']['via'] == 'sighup'

    # Flush: a head over everything so far.
    st, _, allx = daemon.get('/api/audit/entries?limit=10000')
    n = len(allx['entries'])
    st, _, head = daemon.post('/api/audit/flush')
    assert st == 200 and head['size'] == n
    leaves = [stored_leaf(daemon.ox, s) for s in range(1, n + 1)]
    assert bytes.fromhex(head['root']) == mth(leaves)

    # A proof for every entry, checked here against the head.
    root = bytes.fromhex(head['root'])
    for seq in range(1, n + 1):
        st, _, p = daemon.get('/api/audit/proof/%d' % seq)
        assert st == 200, p
        assert p['size'] == n and p['root'] == head['root']
        assert p['head']['signature'] == head['signature']
        assert bytes.fromhex(p['leaf']) == leaves[seq - 1]
        proof = [bytes.fromhex(h) for h in p['inclusion']]
        assert verify_inclusion(leaves[seq - 1], seq - 1, n, proof, root)
        assert not verify_inclusion(leaves[seq - 1], seq - 1, n, proof,
                                    H(b'other'))
        if n > 1:
            other = (seq % n)
            assert not verify_inclusion(leaves[other], seq - 1, n, proof,
                                        root)
    # A consistency proof from an older size.
    st, _, p = daemon.get('/api/audit/proof/1?from=2')
    c = p['consistency']
    assert c['from_root'] == mth(leaves[:2]).hex()
    assert verify_consistency(2, n, mth(leaves[:2]), root,
                              [bytes.fromhex(h) for h in c['proof']])
    for bad in ('0', 'x', '%d' % (n + 100)):
        st, _, j = daemon.get('/api/audit/proof/' + bad)
        assert st == 404, (bad, j)

    # Export: NDJSON ending with a head over all of it; verified offline.
    st, h, text = daemon.post('/api/audit/export')
    assert st == 200 and h['Content-Type'].startswith('application/x-ndjson')
    lines = text.splitlines()
    kinds = [json.loads(x)['type'] for x in lines]
    assert kinds.count('entry') == n and kinds[-1] == 'head'
    assert json.loads(lines[-1])['size'] == n
    f = str(tmp_path / 'rest.ndjson')
    with open(f, 'w') as fh:
        fh.write(text)
    r = daemon.ox.run('audit', 'verify', '--file', f, '--key',
                      head['public_key'], check=0)
    assert r.stdout.startswith('ok: %d entries' % n)
    with open(f) as fh:
        r = subprocess.run([BIN, 'audit', 'verify', '--file', '-'],
                           stdin=fh, env=daemon.ox.env, capture_output=True,
                           text=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    st, _, v = daemon.get('/api/audit/verify')
    assert v['ok'] is True and v['heads'] >= 1


def test_rest_export_piped_into_verify(daemon):
    for i in range(3):
        daemon.post('/api/memory', {'content': 'piped %d' % i})
    st, _, text = daemon.post('/api/audit/export')
    assert st == 200
    r = daemon.ox.run('audit', 'verify', '--file', '-', stdin=text)
    assert r.returncode == 0, (r.stdout, r.stderr)


def test_rest_verify_reports_tampering_and_shutdown_signs(llm):
    d = make_daemon(llm)
    d.start()
    try:
        for i in range(4):
            assert d.post('/api/memory', {'content': 'm %d' % i})[0] == 201
        st, _, head = d.post('/api/audit/flush')
        assert st == 200 and head['size'] == 4
        (orig,), = db_rows(llm, 'SELECT resource FROM audit_log '
                                'WHERE seq = 2')
        tamper(llm, "UPDATE audit_log SET resource = 'memory:999' "
                    "WHERE seq = 2")
        st, _, v = d.get('/api/audit/verify')
        assert st == 200 and v['ok'] is False and v['first_bad_seq'] == 2
        # The proof still speaks for the leaf that was signed, which the
        # edited fields no longer hash to.
        st, _, p = d.get('/api/audit/proof/2')
        assert st == 200
        assert bytes.fromhex(p['leaf']) != stored_leaf(llm, 2)
        tamper(llm, 'UPDATE audit_log SET resource = ? WHERE seq = 2',
               (orig,))
        assert bytes.fromhex(p['leaf']) == stored_leaf(llm, 2)
        st, _, v = d.get('/api/audit/verify')
        assert v['ok'] is True, v
        # A stored leaf changed: the log no longer matches its signed
        # head, and no proof is given.
        (leaf,), = db_rows(llm, 'SELECT leaf FROM audit_log WHERE seq = 3')
        tamper(llm, 'UPDATE audit_log SET leaf = ? WHERE seq = 3',
               (b'\0' * 32,))
        st, _, v = d.get('/api/audit/verify')
        assert v['ok'] is False and v['first_bad_seq'] == 3
        st, _, j = d.get('/api/audit/proof/1')
        assert st == 409 and j['error']['code'] == 'no_proof', j
        assert 'does not match' in j['error']['message']
        tamper(llm, 'UPDATE audit_log SET leaf = ? WHERE seq = 3', (leaf,))
        st, _, v = d.get('/api/audit/verify')
        assert v['ok'] is True, v
        assert d.post('/api/memory', {'content': 'last'})[0] == 201
    finally:
        rc = d.stop()
    assert rc == 0
    # A last head at shutdown covers the entry made after the flush.
    head = json.loads(llm.run('audit', 'head', check=0).stdout)
    n = db_rows(llm, 'SELECT COUNT(*) FROM audit_log')[0][0]
    assert n >= 5 and head['size'] == n
    llm.run('audit', 'verify', check=0)


def test_rest_audit_off(llm):
    d = make_daemon(llm, '[audit]\nenabled = false\n')
    d.start()
    try:
        assert d.post('/api/memory', {'content': 'unaudited'})[0] == 201
        assert d.get('/api/status', token='oxt_' + 'z' * 40)[0] == 401
        st, _, j = d.get('/api/audit/entries')
        assert st == 200 and j['entries'] == []
        st, _, j = d.post('/api/audit/flush')
        assert st == 409 and j['error']['code'] == 'audit_off'
    finally:
        assert d.stop() == 0


def test_rest_proof_with_a_malformed_head(llm):
    d = make_daemon(llm)
    d.start()
    try:
        for i in range(3):
            assert d.post('/api/memory', {'content': 'p %d' % i})[0] == 201
        assert d.post('/api/audit/flush')[0] == 200
        tamper(llm, "UPDATE audit_heads SET root = X'0102'")
        st, _, v = d.get('/api/audit/verify')
        assert st == 200 and v['ok'] is False and v['first_bad_head'] == 3
        assert 'malformed' in v['problem']
        st, _, j = d.get('/api/audit/proof/1')
        assert st in (404, 409), j
        assert d.get('/health', auth=False)[0] == 200
    finally:
        rc = d.stop()
    assert rc == 0, d.stderr()


def test_rest_turning_audit_off_takes_effect(daemon):
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'audit.enabled': False})
    assert st == 200, j
    assert 'audit.enabled' in j['changed']
    if 'audit.enabled' in j['restart_required']:
        return
    st, _, j = daemon.get('/api/audit/entries')
    before = len(j['entries'])
    assert daemon.get('/api/status', token='oxt_' + 'v' * 40)[0] == 401
    assert daemon.post('/api/memory', {'content': 'after off'})[0] == 201
    st, _, j = daemon.get('/api/audit/entries')
    assert len(j['entries']) == before, j['entries'][before:]


def test_daemon_signs_heads_on_its_clock(llm):
    d = make_daemon(llm, '[audit]\nsign_interval_secs = 1\n')
    d.start()
    try:
        assert d.post('/api/memory', {'content': 'tick 1'})[0] == 201
        head = None
        for _ in range(100):
            r = llm.run('audit', 'head')
            if r.returncode == 0:
                head = json.loads(r.stdout)
                break
            time.sleep(0.1)
        assert head is not None and head['size'] >= 1
        assert d.post('/api/memory', {'content': 'tick 2'})[0] == 201
        n = db_rows(llm, 'SELECT COUNT(*) FROM audit_log')[0][0]
        for _ in range(100):
            head = json.loads(llm.run('audit', 'head', check=0).stdout)
            if head['size'] == n:
                break
            time.sleep(0.1)
        assert head['size'] == n
        # A head is signed only when the log grew.
        time.sleep(2.5)
        heads = db_rows(llm, 'SELECT COUNT(*) FROM audit_heads')[0][0]
        assert heads == 2
    finally:
        assert d.stop() == 0
    llm.run('audit', 'verify', check=0)


def test_concurrent_appends_through_the_daemon(daemon):
    errors = []

    def writer(k):
        try:
            for i in range(5):
                st, _, _ = daemon.post('/api/memory',
                                       {'content': 'parallel %d %d' % (k, i)})
                assert st == 201
                # From an address of its own: the first 401 of each
                # address is a row of its own, written at once.
                c = http.client.HTTPConnection(
                    '127.0.0.1', daemon.port, timeout=30,
                    source_address=('127.0.0.%d' % (k + 2), 0))
                c.request('GET', '/api/status',
                          headers={'Authorization': 'Bearer oxt_' + 'p' * 40})
                assert c.getresponse().status == 401
                c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    st, _, j = daemon.get('/api/audit/entries?limit=10000')
    log = j['entries']
    assert [e['seq'] for e in log] == list(range(1, len(log) + 1))
    assert sum(e['action'] == 'memory_write' for e in log) == 40
    auth = [e for e in log if e['action'] == 'auth']
    assert sorted(e['actor'] for e in auth) == sorted(
        'client:127.0.0.%d' % (k + 2) for k in range(8))
    st, _, v = daemon.get('/api/audit/verify')
    assert v['ok'] is True and v['entries'] == len(log)


def test_memory_writes_from_cli_and_agent(agent):
    r = agent.run('memory', 'add', 'The build server is ci7', '--json',
                  check=0)
    mid = json.loads(r.stdout)['id']
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_write', 'w1',
                             content='Deploys happen on Tuesdays',
                             type='fact')]},
        {'text': 'Noted.'}]})
    r = agent.run('run', '--json', 'remember the deploy day', timeout=60)
    assert r.returncode == 0, r.stderr
    aid = json.loads(r.stdout)['agent_id']
    w = entries(agent, '--action', 'memory_write')
    assert len(w) == 2
    assert w[0]['actor'] == 'user' and w[0]['resource'] == 'memory:%d' % mid
    assert w[0]['detail'] == {'content': 'The build server is ci7',
                              'via': 'cli'}
    assert w[1]['actor'] == 'agent:' + aid
    assert w[1]['resource'].startswith('memory:')
    assert w[1]['detail'] == {'content': 'Deploys happen on Tuesdays',
                              'type': 'fact'}
    agent.run('audit', 'verify', check=0)


def test_sub_agent_spawn_is_by_its_parent(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('agent', 'p1', task='list the files')]},
        {'tool_calls': [call('ls', 'k1', path='.')]},       # the child
        {'text': 'Nothing here.'},                           # its answer
        {'text': 'The sub-agent found nothing.'}]})
    r = agent.run('run', '--json', 'delegate', timeout=60)
    assert r.returncode == 0, r.stderr
    parent = 'agent:' + json.loads(r.stdout)['agent_id']
    spawns = entries(agent, '--action', 'agent_spawn')
    assert len(spawns) == 2
    assert spawns[0]['actor'] == 'user' and spawns[0]['resource'] == parent
    child = spawns[1]['resource']
    assert spawns[1]['actor'] == parent and child != parent
    assert spawns[1]['detail']['depth'] == 1
    assert spawns[1]['detail']['group_id'] == parent[len('agent:'):]
    log = entries(agent)
    acts = [(e['actor'], e['action'], e['resource']) for e in log]
    assert (parent, 'tool_call', 'agent') in acts
    assert (child, 'tool_call', 'ls') in acts
    # The child ends before its parent's tool call returns.
    i_child_exit = acts.index((child, 'agent_exit', child))
    i_parent_result = acts.index((parent, 'tool_result', 'agent'))
    assert i_child_exit < i_parent_result
    agent.run('audit', 'verify', check=0)
