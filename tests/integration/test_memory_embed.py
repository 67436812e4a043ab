"""Memory with the API embedder (an OpenAI-compatible /v1/embeddings, here
the fake's), and what changing the embedder does: the next dream re-embeds
every memory with the new one."""
import json


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
    # The provider's error, as the gate gives it (after its retries).
    assert 'embeddings: connection failed: cannot reach ' \
        'http://127.0.0.1:9/v1/embeddings' in r.stderr
    r = mem(llm, 'list', '--json')
    assert json.loads(r.stdout) == []


def test_api_embedder_needs_url_and_model(llm):
    llm.write_config('[memory]\nembedder = "api"\n')
    r = mem(llm, 'add', 'x', check=1)
    assert 'memory.embedding_url' in r.stderr


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
