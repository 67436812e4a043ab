"""Atomic audit: an audited write and its audit entry commit together.

A memory stored through POST /api/memory (or `oxios memory add`) is in the
same SQLite transaction as its memory_write entry: a kill -9 at any moment
leaves both or neither, and a refused entry stores no memory.  See
docs/security.md, "Atomic audit".
"""
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
