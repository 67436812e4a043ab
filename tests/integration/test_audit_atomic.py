"""Atomic audit: an audited write and its audit entry commit together.

A memory stored through POST /api/memory (or `oxios memory add`) is in the
same SQLite transaction as its memory_write entry: a kill -9 at any moment
leaves both or neither, and a refused entry stores no memory.  See
docs/security.md, "Atomic audit".
"""
import hashlib
import json
import os
import random
import sqlite3
import threading
import time

from conftest import make_daemon


def rows(ox, sql):
    con = sqlite3.connect(ox.path('oxios.db'))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def memories_without_entries(ox):
    """Ids of memories no memory_write entry names, and entries that
    name no memory."""
    mem = {r[0] for r in rows(ox, 'SELECT id FROM memories')}
    audited = {int(r[0].split(':', 1)[1]) for r in rows(
        ox, "SELECT resource FROM audit_log WHERE action = 'memory_write'")}
    return mem - audited, audited - mem


def test_kill9_never_leaves_a_memory_without_its_entry(llm):
    rng = random.Random(13)
    d = make_daemon(llm)
    acked = []
    lock = threading.Lock()
    runs = 30
    for run in range(runs):
        d.start()
        stop = threading.Event()

        def writer(k, run=run, stop=stop):
            i = 0
            while not stop.is_set():
                try:
                    st, _, m = d.post('/api/memory', {
                        'content': 'crash run %d writer %d note %d' % (
                            run, k, i)}, timeout=5)
                except OSError:
                    return  # the daemon is gone
                if st == 201:
                    with lock:
                        acked.append(m['id'])
                i += 1

        ts = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in ts:
            t.start()
        time.sleep(rng.uniform(0.02, 0.4))
        d.proc.kill()  # SIGKILL: no shutdown at all
        d.proc.wait()
        d.errlog.close()
        stop.set()
        for t in ts:
            t.join(10)
        alone, ghosts = memories_without_entries(llm)
        assert not alone, 'run %d: memories without an entry: %s' % (
            run, sorted(alone))
        assert not ghosts, 'run %d: entries without a memory: %s' % (
            run, sorted(ghosts))
        r = llm.run('audit', 'verify', check=0)
        assert r.returncode == 0 and r.stdout.startswith('ok: '), r.stdout
    # Every acknowledged memory survived, and some were written at all.
    stored = {r[0] for r in rows(llm, 'SELECT id FROM memories')}
    assert len(acked) > runs
    assert set(acked) <= stored
    assert rows(llm, 'PRAGMA integrity_check')[0][0] == 'ok'


REFUSE = ("CREATE TRIGGER refuse_memory_audit BEFORE INSERT ON audit_log "
          "WHEN NEW.action = 'memory_write' "
          "BEGIN SELECT RAISE(ABORT, 'audit log refused'); END")


def test_refused_entry_stores_no_memory(daemon):
    st, _, m = daemon.post('/api/memory', {'content': 'stored before'})
    assert st == 201
    con = sqlite3.connect(daemon.ox.path('oxios.db'))
    con.execute(REFUSE)
    con.commit()
    st, _, j = daemon.post('/api/memory', {'content': 'never stored'})
    assert st == 500, j
    assert j['error']['code'] == 'internal'
    assert 'audit log refused' in j['error']['message']
    # The CLI's memory add goes the same way.
    r = daemon.ox.run('memory', 'add', 'never stored either')
    assert r.returncode == 1 and 'audit log refused' in r.stderr, r.stderr
    assert [r[0] for r in con.execute(
        'SELECT content FROM memories ORDER BY id')] == ['stored before']
    st, _, j = daemon.post('/api/memory/search', {'query': 'never'})
    assert st == 200 and j['results'] == [], j
    con.execute('DROP TRIGGER refuse_memory_audit')
    con.commit()
    con.close()
    st, _, m2 = daemon.post('/api/memory', {'content': 'stored after'})
    assert st == 201 and m2['id'] > m['id']
    assert memories_without_entries(daemon.ox) == (set(), set())
    st, _, v = daemon.get('/api/audit/verify')
    assert v['ok'] is True, v


# ---- writes to files: recorded first ----

def refuse(ox, action):
    con = sqlite3.connect(ox.path('oxios.db'))
    con.execute("CREATE TRIGGER refuse_%s BEFORE INSERT ON audit_log "
                "WHEN NEW.action = '%s' "
                "BEGIN SELECT RAISE(ABORT, 'audit log refused'); END"
                % (action, action))
    con.commit()
    con.close()


def allow(ox, action):
    con = sqlite3.connect(ox.path('oxios.db'))
    con.execute('DROP TRIGGER refuse_%s' % action)
    con.commit()
    con.close()


def entries(ox, action):
    return [(r[0], json.loads(r[1])) for r in rows(
        ox, "SELECT resource, detail FROM audit_log WHERE action = '%s' "
        "ORDER BY seq" % action)]


def test_workspace_write_is_recorded_before_it_is_made(daemon):
    ws = daemon.ox.path('workspace')
    st, _, j = daemon.request('PUT', '/api/workspace/file/notes/a.txt',
                              body={'content': 'hello\n'})
    assert st == 200, j
    (res, d), = entries(daemon.ox, 'file_write')
    assert res == 'workspace:notes/a.txt'
    assert d['bytes'] == 6 and d['via'] == 'api'
    assert d['blake2b_128'] == hashlib.blake2b(
        b'hello\n', digest_size=16).hexdigest()

    refuse(daemon.ox, 'file_write')
    st, _, j = daemon.request('PUT', '/api/workspace/file/b.txt',
                              body={'content': 'never written'})
    assert st == 500 and j['error']['code'] == 'audit_failed', j
    assert not os.path.exists(os.path.join(ws, 'b.txt'))
    allow(daemon.ox, 'file_write')

    # A write that fails after its entry: a second entry says so.
    os.makedirs(os.path.join(ws, 'adir'))
    st, _, j = daemon.request('PUT', '/api/workspace/file/adir',
                              body={'content': 'x'})
    assert st == 409, j
    got = entries(daemon.ox, 'file_write')
    assert [r for r, _ in got] == ['workspace:notes/a.txt',
                                   'workspace:adir', 'workspace:adir']
    assert 'failed' in got[2][1] and 'bytes' in got[1][1]
    st, _, v = daemon.get('/api/audit/verify')
    assert v['ok'] is True, v


def test_config_change_is_recorded_before_it_is_made(daemon):
    ox = daemon.ox
    with open(ox.path('config.toml')) as f:
        before = f.read()
    refuse(ox, 'config_change')
    r = ox.run('config', 'set', 'kernel.max_agents', '5')
    assert r.returncode == 1
    assert 'audit log cannot record the change' in r.stderr, r.stderr
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 6})
    assert st == 500 and j['error']['code'] == 'audit_failed', j
    with open(ox.path('config.toml')) as f:
        assert f.read() == before
    allow(ox, 'config_change')

    # Recorded, then refused by the file's checks: the log says so.
    r = ox.run('config', 'set', 'kernel.max_agents', 'many')
    assert r.returncode != 0
    got = entries(ox, 'config_change')
    assert [d.get('failed') is not None for _, d in got] == [False, True]
    assert r.stderr.strip().endswith(got[1][1]['failed'])
    r = ox.run('config', 'set', 'kernel.max_agents', '5')
    assert r.returncode == 0, r.stderr
    assert entries(ox, 'config_change')[-1][1]['value'] == '5'
    r = ox.run('audit', 'verify', check=0)
    assert r.stdout.startswith('ok: ')
