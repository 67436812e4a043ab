"""The vector index tunes its own ef_search (memory.hnsw_ef_search = 0,
auto) to memory.hnsw_target_recall: `oxios memory tune`, the tuning in
`memory stats` and saved with the index, a fixed ef_search winning, and
the daemon tuning in the background as memory grows.  The real binary, a
temporary OXIOS_HOME, no network."""
import json
import time

from conftest import make_daemon

WORDS = ('kernel deploy certificate backup invoice roadmap sprint laptop '
         'printer budget release office garden coffee train meeting '
         'database cluster network firewall').split()


def note(i):
    """Distinct notes that share some words, as real ones do."""
    return 'note %d: the %s and the %s of team %s' % (
        i, WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)],
        WORDS[(i * 3 + 1) % len(WORDS)])


def add_many(ox, n, start=0):
    """n memories through `oxios memory add`, a process each."""
    for i in range(start, start + n):
        r = ox.run('memory', 'add', note(i), '--type', 'fact', check=0)
        assert r.returncode == 0, r.stderr


def tune(ox, *args):
    r = ox.run('memory', 'tune', *args, check=0)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def stats(ox):
    r = ox.run('memory', 'stats', '--json', check=0)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_tune_reports_and_keeps_the_tuning(oxios):
    add_many(oxios, 40)
    before = stats(oxios)['index']
    assert before['ef_search_mode'] == 'auto'
    assert before['tuning'] is None
    assert before['ef_search'] == 64  # untuned: the fallback

    t = json.loads(tune(oxios, '--json').stdout)
    assert t['ef_search_mode'] == 'auto'
    assert t['k'] == 10 and abs(t['target'] - 0.95) < 1e-9
    assert t['vectors'] == 40
    assert 1 <= t['samples'] <= 200
    assert t['recent_queries'] == 0  # a fresh process has made none
    assert t['reached'] is True and t['recall'] >= 0.95
    assert 10 <= t['ef_search'] <= 40

    # Saved with the index: another process reads it back.
    after = stats(oxios)['index']
    assert after['tuning']['ef_search'] == t['ef_search']
    assert after['tuning']['stale'] is False
    assert after['ef_search'] == t['ef_search']
    # The graph, unless a scan of every vector was found faster.
    assert t['exact_us'] > 0 and t['graph_us'] > 0
    assert abs(after['tuning']['graph_us'] - t['graph_us']) <= 0.001
    assert after['search'] == (
        'scan' if t['graph_us'] > t['exact_us'] else 'graph')

    human = tune(oxios).stdout
    assert 'recall@10' in human and 'reached' in human, human
    assert 'held-out memories' in human


def test_fixed_ef_search_wins(oxios):
    oxios.write_config('[memory]\nhnsw_ef_search = 32\n')
    add_many(oxios, 12)
    t = json.loads(tune(oxios, '--json').stdout)
    assert t['ef_search_mode'] == 'fixed'
    st = stats(oxios)['index']
    assert st['ef_search'] == 32 and st['ef_search_mode'] == 'fixed'
    assert st['search'] == 'graph'  # a fixed ef is always the graph's
    assert 'memory.hnsw_ef_search is set' in tune(oxios).stdout


def test_target_recall_is_checked(oxios):
    oxios.write_config('[memory]\nhnsw_target_recall = 1.5\n')
    r = oxios.run('memory', 'stats')
    assert r.returncode != 0
    assert 'hnsw_target_recall' in r.stderr, r.stderr


def test_tune_with_nothing_to_tune(oxios):
    r = oxios.run('memory', 'tune')
    assert r.returncode == 1
    assert 'no vectors' in r.stderr, r.stderr


def _wait_tuned(d, vectors, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        st, _, s = d.get('/api/memory/stats')
        assert st == 200
        t = s['index']['tuning']
        if t is not None and not t['stale'] and t['vectors'] >= vectors:
            return s['index']
        time.sleep(0.2)
    raise AssertionError('not tuned: %r\n%s' % (s['index'], d.stderr()))


def test_daemon_tunes_in_the_background_as_memory_grows(oxios):
    d = make_daemon(oxios)
    d.start()
    try:
        for i in range(20):
            st, _, m = d.post('/api/memory', {'content': note(i)})
            assert st == 201, m
        idx = _wait_tuned(d, 20)
        assert idx['ef_search'] == idx['tuning']['ef_search']
        assert idx['tuning']['recall'] >= 0.95
        assert 'memory: index tuned' in d.stderr()

        # Searches made are part of the next tuning's sample.
        for w in WORDS[:6]:
            st, _, j = d.post('/api/memory/semantic', {'query': w})
            assert st == 200, j
        # A quarter more memories: the tuning is stale, then redone.
        for i in range(20, 30):
            st, _, m = d.post('/api/memory', {'content': note(i)})
            assert st == 201, m
        idx = _wait_tuned(d, 30)
        assert idx['tuning']['vectors'] == 30
        assert '(6 recent)' in d.stderr(), d.stderr()
    finally:
        rc = d.stop()
    err = d.stderr()
    assert rc == 0, err
    assert 'Sanitizer' not in err and 'runtime error' not in err, err
