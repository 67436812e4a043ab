"""Memory with the API embedder (an OpenAI-compatible /v1/embeddings, here
the fake's), and what changing the embedder does: the next dream re-embeds
every memory with the new one.  In the daemon: every embedding goes
through the LLM gate (an llm_calls row of kind 'embedding'), a provider
failure is a 502 with nothing stored, and the calls wait on threads of
their own, so the server answers while a provider hangs."""
import json
import os
import sqlite3
import threading
import time

import pytest

from conftest import OPENAI_KEY, make_daemon


def mem(ox, *args, check=0):
    return ox.run('memory', *args, check=check)


def test_api_embedder_and_switching_back(llm):
    fake = llm.fake
    llm.write_config('[memory]\nembedder = "api"\n'
                     'embedding_url = "%s/v1"\n'
                     'embedding_model = "fake-embed"\n' % fake.url)
    llm.env['OXIOS_EMBEDDING_API_KEY'] = 'sk-openai-test-key-0123456789'
    mem(llm, 'add', 'the build uses meson and ninja')
    mem(llm, 'add', 'lunch is at noon on fridays')
    calls = [r for r in fake.requests() if r['path'] == '/v1/embeddings']
    assert len(calls) == 2
    assert calls[0]['body']['model'] == 'fake-embed'
    assert calls[0]['body']['input'] == 'the build uses meson and ninja'
    hits = json.loads(mem(llm, 'search', 'meson ninja', '--mode',
                          'semantic', '--json').stdout)
    assert hits[0]['content'] == 'the build uses meson and ninja'
    assert hits[0]['similarity'] > 0.5
    st = json.loads(mem(llm, 'stats').stdout)
    assert st['embedder'] == 'api:fake-embed' and st['dim'] == 64
    assert st['index']['vectors'] == 2

    # Back to TF-IDF: vectors of the other embedder are redone by a dream.
    llm.write_config('[memory]\nembedder = "tfidf"\n')
    st = json.loads(mem(llm, 'stats').stdout)
    assert st['embedder'] == 'tfidf:256' and st['index']['vectors'] == 0
    report = json.loads(mem(llm, 'dream').stdout)
    assert report['index']['reembedded'] == 2
    st = json.loads(mem(llm, 'stats').stdout)
    assert st['index']['vectors'] == 2
    hits = json.loads(mem(llm, 'search', 'lunch fridays', '--json').stdout)
    assert hits[0]['content'] == 'lunch is at noon on fridays'


def test_api_embedder_down_is_a_clear_error(llm):
    llm.write_config('[memory]\nembedder = "api"\n'
                     'embedding_url = "http://127.0.0.1:9/v1"\n'
                     'embedding_model = "m"\n')
    r = mem(llm, 'add', 'something', check=1)
    # The provider's error, as the gate gives it: a keyless server that
    # is down is not retried, and the message says where its URL is set.
    assert 'embeddings: connection failed: cannot reach ' \
        'http://127.0.0.1:9/v1/embeddings' in r.stderr
    assert 'not retried: start that server, or set memory.embedding_url' \
        in r.stderr and 'attempts' not in r.stderr
    r = mem(llm, 'list', '--json')
    assert json.loads(r.stdout) == []


def test_api_embedder_needs_url_and_model(llm):
    llm.write_config('[memory]\nembedder = "api"\n')
    r = mem(llm, 'add', 'x', check=1)
    assert 'memory.embedding_url' in r.stderr


def phases(llm):
    """llm_calls.phase of every recorded call, in order."""
    db = sqlite3.connect(llm.path('oxios.db'))
    rows = db.execute('SELECT phase FROM llm_calls ORDER BY id').fetchall()
    db.close()
    return [p for (p,) in rows]


def test_dream_reembeds_in_batches_through_the_gate(llm):
    fake = llm.fake
    texts = ['alpha%d bravo%d charlie%d' % (i, i, i) for i in range(34)]
    for t in texts:
        mem(llm, 'add', t)
    assert embed_requests(fake) == []
    # To the API embedder: the dream re-embeds all, 32 texts a request.
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     '[memory]\nembedder = "api"\n'
                     'embedding_url = "%s/v1"\n'
                     'embedding_model = "fake-embed"\n' % fake.url)
    llm.env['OXIOS_EMBEDDING_API_KEY'] = OPENAI_KEY
    report = json.loads(mem(llm, 'dream').stdout)
    assert report['index']['reembedded'] == 34
    reqs = embed_requests(fake)
    assert [r['body']['input'] for r in reqs] == [texts[:32], texts[32:]]
    assert [(k, s, n) for k, _, _, s, n, _, _ in llm_calls(llm)] == [
        ('embedding', 'ok', 96), ('embedding', 'ok', 6)]
    # Each request says what it is for (X-Oxios-Phase), and so does its row.
    assert [r['headers'].get('x-oxios-phase') for r in reqs] == [
        'embedding', 'embedding']
    assert phases(llm) == ['embedding', 'embedding']
    st = json.loads(mem(llm, 'stats').stdout)
    assert st['embedder'] == 'api:fake-embed' and st['dim'] == 64
    hits = json.loads(mem(llm, 'search', 'bravo7 charlie7', '--mode',
                          'semantic', '--json').stdout)
    assert hits[0]['content'] == texts[7]


def test_dream_summarises_duplicates_with_the_model(llm):
    fake = llm.fake
    mem(llm, 'add', 'The staging server is db2.internal on port 5432',
        '--type', 'fact')
    mem(llm, 'add', 'The staging server is db2.internal on port 5432!',
        '--type', 'fact')
    fake.load({'turns': [{'text': '  Staging database: db2.internal, '
                                  'port 5432.\n'}]})
    report = json.loads(mem(llm, 'dream').stdout)
    assert report['consolidate']['merged'] == 1
    assert report['summaries'] == 1
    pair = report['consolidate']['pairs'][0]
    assert pair['summary']['text'] == \
        'Staging database: db2.internal, port 5432.'
    assert pair['summary']['kept_text'].startswith('The staging server')
    assert pair['summary']['merged_text'].startswith('The staging server')
    # The model saw both notes.
    ask = [r for r in fake.requests() if r['path'].endswith('/messages')][-1]
    asked = json.dumps(ask['body'])
    assert asked.count('db2.internal') >= 2 and 'port 5432!' in asked
    assert ask['headers'].get('x-oxios-phase') == 'dream'
    assert phases(llm) == ['dream']
    rows = json.loads(mem(llm, 'list', '--json').stdout)
    assert [r['content'] for r in rows] == [
        'Staging database: db2.internal, port 5432.']
    assert rows[0]['sources'] == [pair['merged']]
    # Its terms and vector follow the new text.
    hits = json.loads(mem(llm, 'search', 'staging database', '--mode',
                          'keyword', '--json').stdout)
    assert hits and hits[0]['id'] == pair['kept']


def test_dream_merges_without_a_model(oxios):
    mem(oxios, 'add', 'lunch is at noon', '--type', 'fact')
    mem(oxios, 'add', 'lunch is at noon!', '--type', 'fact')
    report = json.loads(mem(oxios, 'dream').stdout)
    assert report['consolidate']['merged'] == 1
    assert report['summaries'] == 0
    rows = json.loads(mem(oxios, 'list', '--json').stdout)
    assert len(rows) == 1 and rows[0]['content'].startswith('lunch is')


def test_dream_when_the_model_fails_still_merges(llm):
    mem(llm, 'add', 'the cat is called Tom', '--type', 'fact')
    mem(llm, 'add', 'the cat is called Tom.', '--type', 'fact')
    llm.fake.load({'turns': [{'fault': {'status': 400}}]})
    report = json.loads(mem(llm, 'dream').stdout)
    assert report['consolidate']['merged'] == 1
    assert report['summaries'] == 0


# ------------------------------------------------------------ the daemon

EMBEDDER = ('[memory]\nembedder = "api"\nembedding_url = "%s/v1"\n'
            'embedding_model = "fake-embed"\n')


@pytest.fixture
def edaemon(llm):
    """A daemon whose memory embeds through the fake's /v1/embeddings."""
    llm.env['OXIOS_EMBEDDING_API_KEY'] = OPENAI_KEY
    # No query expansion: these count the embedding calls alone
    # (test_memory_expand.py has the expansion's).
    d = make_daemon(llm, EMBEDDER % llm.fake.url +
                    'query_expansion = "off"\n')
    d.fake = llm.fake
    d.start()
    yield d
    d.stop_clean()


def llm_calls(ox):
    db = sqlite3.connect(ox.path('oxios.db'))
    try:
        return db.execute(
            'SELECT kind, provider, model, status, input_tokens, attempts, '
            'error FROM llm_calls ORDER BY id').fetchall()
    finally:
        db.close()


def memory_rows(ox):
    db = sqlite3.connect(ox.path('oxios.db'))
    try:
        return db.execute('SELECT COUNT(*) FROM memories').fetchone()[0]
    finally:
        db.close()


def embed_requests(fake):
    return [r for r in fake.requests() if r['path'] == '/v1/embeddings']


def test_api_memory_embeds_through_the_gate(edaemon):
    d = edaemon
    st, _, m = d.post('/api/memory',
                      {'content': 'the build uses meson and ninja'})
    assert st == 201, m
    assert m['content'] == 'the build uses meson and ninja'
    reqs = embed_requests(d.fake)
    assert len(reqs) == 1 and reqs[0]['body'] == {
        'model': 'fake-embed', 'input': 'the build uses meson and ninja'}
    assert reqs[0]['headers']['authorization'] == 'Bearer ' + OPENAI_KEY
    # The gate's row: kind, provider, model, the usage the fake counted.
    assert llm_calls(d.ox) == [
        ('embedding', 'embeddings', 'fake-embed', 'ok', 6, 1, None)]
    # Searches that embed the query do so through the gate too; a
    # keyword search does not embed.
    st, _, r = d.post('/api/memory/semantic', {'query': 'meson ninja'})
    assert st == 200 and r['results'][0]['id'] == m['id'], r
    st, _, r = d.post('/api/memory/search',
                      {'query': 'meson', 'mode': 'hybrid'})
    assert st == 200 and r['results'][0]['id'] == m['id'], r
    st, _, r = d.post('/api/memory/search', {'query': 'meson'})
    assert st == 200 and r['results'][0]['id'] == m['id'], r
    rows = llm_calls(d.ox)
    assert [(k, s, n) for k, _, _, s, n, _, _ in rows] == [
        ('embedding', 'ok', 6), ('embedding', 'ok', 2),
        ('embedding', 'ok', 1)]
    assert len(embed_requests(d.fake)) == 3
    # Metrics count them with the other LLM calls, kind apart.
    st, _, j = d.get('/api/metrics?format=json')
    assert [(c['provider'], c['model'], c['kind'], c['status'], c['calls'],
             c['input_tokens']) for c in j['llm']] == [
        ('embeddings', 'fake-embed', 'embedding', 'ok', 3, 9)], j['llm']
    # Each was admitted by the scheduler, as background work.
    st, _, j = d.get('/api/scheduler/stats')
    p = [x for x in j['providers'] if x['provider'] == 'embeddings']
    assert len(p) == 1, j
    assert p[0]['classes']['background']['admitted'] == 3, p
    assert p[0]['classes']['interactive']['admitted'] == 0, p
    assert [m['model'] for m in p[0]['models']] == ['fake-embed']
    st, _, text = d.get('/metrics', auth=False)
    assert ('oxios_llm_calls_total{provider="embeddings",'
            'model="fake-embed",status="ok"} 3') in text


def test_api_memory_provider_failure_is_a_502(edaemon):
    d = edaemon
    # Retried (max_retries 4, so 5 attempts), then given up.
    d.fake.load({'embeddings': [{'fault': {'status': 500, 'times': 5}}]})
    st, _, e = d.post('/api/memory', {'content': 'never stored'})
    assert st == 502, e
    assert e['error']['code'] == 'embedding_error'
    assert e['error']['class'] == 'transient'
    assert 'server error (HTTP 500)' in e['error']['message']
    assert '(after 5 attempts)' in e['error']['message']
    assert len(embed_requests(d.fake)) == 5
    # Nothing half-written: no row, nothing listed, nothing indexed.
    assert memory_rows(d.ox) == 0
    assert d.get('/api/memory')[2]['memories'] == []
    assert d.get('/api/memory/stats')[2]['total'] == 0
    assert llm_calls(d.ox)[-1][:4] == (
        'embedding', 'embeddings', 'fake-embed', 'transient')
    assert llm_calls(d.ox)[-1][5] == 5
    # Refused key: not retried, and the key is not in the message.
    d.fake.load({'api_key': 'sk-the-right-key-0123456789'})
    st, _, e = d.post('/api/memory', {'content': 'never stored'})
    assert st == 502 and e['error']['class'] == 'auth', e
    assert OPENAI_KEY not in json.dumps(e)
    assert llm_calls(d.ox)[-1][3:6] == ('auth', 0, 1)
    st, _, e = d.post('/api/memory/semantic', {'query': 'anything'})
    assert st == 502 and e['error']['class'] == 'auth', e
    # A hybrid search goes on with its keywords alone.
    st, _, r = d.post('/api/memory/search',
                      {'query': 'anything', 'mode': 'hybrid'})
    assert st == 200 and r['results'] == [], r
    assert memory_rows(d.ox) == 0
    # A bad request is still told before any provider call.
    n = len(d.fake.requests())
    st, _, e = d.post('/api/memory', {'content': 3})
    assert st == 400 and e['error']['code'] == 'bad_request'
    assert len(d.fake.requests()) == n


def test_health_answers_while_embeddings_hang(edaemon):
    d = edaemon
    d.fake.load({'embeddings': [{'fault': {'hang': True, 'times': 99}}]})
    n = 6   # more than libmicrohttpd's threads (2 to 16, one per CPU)
    results = [None] * n

    def add(i):
        try:
            results[i] = d.post('/api/memory',
                                {'content': 'hanging %d' % i}, timeout=60)
        except OSError as e:
            results[i] = e

    threads = [threading.Thread(target=add, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    end = time.time() + 20
    while len(embed_requests(d.fake)) < n and time.time() < end:
        time.sleep(0.05)
    assert len(embed_requests(d.fake)) == n
    # Every provider call hangs: the HTTP threads are free all the same.
    t0 = time.time()
    st, _, h = d.get('/health', auth=False)
    assert st == 200 and h['status'] == 'ok'
    st, _, j = d.get('/api/memory')
    assert st == 200 and j['memories'] == []
    assert time.time() - t0 < 3
    assert all(r is None for r in results)
    # Stopping cancels the calls: each request is answered 503.
    t0 = time.time()
    assert d.stop() == 0
    assert time.time() - t0 < 15
    for t in threads:
        t.join(10)
    for r in results:
        assert not isinstance(r, Exception), r
        st, _, e = r
        assert st == 503 and e['error']['code'] == 'stopping', r
    assert memory_rows(d.ox) == 0
    rows = llm_calls(d.ox)
    assert [(k, s) for k, _, _, s, _, _, _ in rows] == \
        [('embedding', 'cancelled')] * n


def test_switching_to_the_local_embedder_re_embeds(oxios):
    """TF-IDF to the local word vectors (the default) and back: the next
    dream re-embeds every memory, and recall by meaning comes with it."""
    oxios.write_config('[memory]\nembedder = "tfidf"\n')
    mem(oxios, 'add', 'The car needs new tyres before winter')
    mem(oxios, 'add', 'My sister lives in Lisbon with her two kids')
    st = json.loads(mem(oxios, 'stats').stdout)
    assert st['embedder'] == 'tfidf:256' and st['index']['vectors'] == 2
    query = ('search', 'vehicle maintenance tires', '--mode', 'semantic',
             '--json')
    assert json.loads(mem(oxios, *query).stdout) == []

    oxios.write_config('')  # the default
    st = json.loads(mem(oxios, 'stats').stdout)
    assert st['embedder'] == 'local:glove100' and st['dim'] == 48
    assert st['index']['vectors'] == 0
    assert json.loads(mem(oxios, *query).stdout) == []
    report = json.loads(mem(oxios, 'dream').stdout)
    assert report['index']['reembedded'] == 2
    st = json.loads(mem(oxios, 'stats').stdout)
    assert st['index']['vectors'] == 2
    hits = json.loads(mem(oxios, *query).stdout)
    assert [h['content'] for h in hits] == [
        'The car needs new tyres before winter']
    # Nothing left to redo.
    report = json.loads(mem(oxios, 'dream').stdout)
    assert report['index']['reembedded'] == 0

    oxios.write_config('[memory]\nembedder = "tfidf"\n')
    report = json.loads(mem(oxios, 'dream').stdout)
    assert report['index']['reembedded'] == 2
    assert json.loads(mem(oxios, *query).stdout) == []
    c = sqlite3.connect(os.path.join(oxios.home, 'oxios.db'))
    try:
        rows = c.execute('SELECT DISTINCT embedder FROM memories').fetchall()
    finally:
        c.close()
    assert rows == [('tfidf:256',)]
