"""Query expansion (memory.query_expansion, src/memory/expand.c): a short
search query is rewritten by the chat model, through the gate (phase
'expand', background class, budgeted, recorded like every call), into
related words; the answer is cached per query and model, so the same
search again asks nothing; a refusal, a fault or a bad answer searches
without and says so.  `memory search` says which recall it used, in
text and in the REST answer."""
import json
import os
import re
import sqlite3

from conftest import make_daemon

EXPANSION = {'text': '["tabs", "spaces", "indent"]'}
LINE = 'recall: fts+vector (embedder local:glove100), expanded: tabs spaces indent'


def mem(ox, *args, check=0):
    return ox.run('memory', *args, check=check)


def model_requests(fake):
    return [r for r in fake.requests()
            if r['path'] in ('/v1/messages', '/v1/chat/completions')]


def calls(ox):
    db = sqlite3.connect(ox.path('oxios.db'))
    try:
        return db.execute('SELECT phase, class, status FROM llm_calls '
                          'ORDER BY id').fetchall()
    finally:
        db.close()


def test_expansion_finds_what_the_words_miss_and_is_cached(llm):
    fake = llm.fake
    mem(llm, 'add', 'I prefer tabs in C code')
    fake.load({'turns': [EXPANSION]})
    r = mem(llm, 'search', 'indentation')
    assert 'I prefer tabs in C code' in r.stdout
    assert r.stdout.splitlines()[-1] == LINE
    assert 'note:' not in r.stderr, r.stderr
    reqs = model_requests(fake)
    assert len(reqs) == 1
    # Through the gate: its phase, the query (normalised) as the message.
    assert reqs[0]['headers'].get('x-oxios-phase') == 'expand'
    assert reqs[0]['body']['messages'] == [
        {'role': 'user', 'content': [{'type': 'text',
                                      'text': 'indentation'}]}]
    assert reqs[0]['body']['max_tokens'] == 100
    assert calls(llm) == [('expand', 'background', 'ok')]
    # Like every call, in the usage.
    u = llm.run('usage', '--json', check=0)
    assert 'expand' in u.stdout, u.stdout
    # The same query (its case and spaces aside): from the cache, no call.
    r = mem(llm, 'search', '  Indentation ')
    assert 'I prefer tabs in C code' in r.stdout
    assert r.stdout.splitlines()[-1] == (
        'recall: fts+vector (embedder local:glove100), expanded (cached): tabs '
        'spaces indent')
    assert len(model_requests(fake)) == 1
    # By keywords too (no embedder then).
    r = mem(llm, 'search', 'indentation', '--mode', 'keyword')
    assert r.stdout.splitlines()[-1] == \
        'recall: fts, expanded (cached): tabs spaces indent'
    assert len(model_requests(fake)) == 1
    # --json stays the array it was.
    r = mem(llm, 'search', 'indentation', '--json')
    assert json.loads(r.stdout)[0]['content'] == 'I prefer tabs in C code'
    assert r.stderr == ''


def test_off_says_so_and_tfidf_alone_misses(llm):
    llm.write_config('[memory]\nquery_expansion = "off"\n'
                     'embedder = "tfidf"\n')
    mem(llm, 'add', 'I prefer tabs in C code')
    r = mem(llm, 'search', 'indentation')
    assert r.stdout == (
        'nothing found\n'
        'recall: fts+vector (embedder tfidf:256), not expanded: '
        'memory.query_expansion is off\n')
    assert 'note: recall by keywords and TF-IDF' in r.stderr
    assert model_requests(llm.fake) == []


def test_auto_without_a_key(oxios):
    # auto: no key for the default model's provider, no call.
    mem(oxios, 'add', 'I prefer tabs in C code')
    r = mem(oxios, 'search', 'indentation')
    assert r.stdout.splitlines()[-1] == (
        'recall: fts+vector (embedder local:glove100), not expanded: no chat '
        'model: the provider of engine.default_model has no key')


def test_long_queries_are_not_expanded(llm):
    llm.fake.load({'turns': [EXPANSION]})
    r = mem(llm, 'search', 'one two three four five six seven')
    assert r.stdout.splitlines()[-1].endswith(
        'not expanded: only queries of 1 to 6 words are expanded')
    assert model_requests(llm.fake) == []


def test_a_budget_refusal_searches_without(llm):
    # claude-sonnet-4-5: 16000 tokens in and 100 out cost $0.0495; the
    # next call's estimate does not fit in $0.05.
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     '[budget]\ndaily_usd = 0.05\n')
    mem(llm, 'add', 'I prefer tabs in C code')
    llm.fake.load({'turns': [
        dict(EXPANSION, usage={'input_tokens': 16000, 'output_tokens': 100}),
        {'text': '["never"]'}]})
    r = mem(llm, 'search', 'indentation')
    assert r.stdout.splitlines()[-1] == LINE
    r = mem(llm, 'search', 'tabs')
    assert r.returncode == 0
    assert 'I prefer tabs in C code' in r.stdout
    last = r.stdout.splitlines()[-1]
    assert last.startswith('recall: fts+vector (embedder local:glove100), not '
                           'expanded: budget: the daily USD budget '
                           '(budget.daily_usd = $0.0500) would be '
                           'exceeded'), last
    assert len(model_requests(llm.fake)) == 1
    assert llm.fake.state()['remaining_turns'] == 1
    # Not cached: a refusal is asked again next time.
    r = mem(llm, 'search', 'tabs')
    assert 'not expanded: budget:' in r.stdout


def test_a_fault_or_a_bad_answer_searches_without(llm):
    llm.write_config('[engine]\nretry_base_ms = 20\nmax_retries = 0\n')
    mem(llm, 'add', 'I prefer tabs in C code')
    llm.fake.load({'turns': [
        {'text': 'Sure! Related words:\n["tabs"]',
         'fault': {'status': 500}},
        {'text': '["rm -rf /"]'},
        EXPANSION]})
    r = mem(llm, 'search', 'indentation')
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == 'nothing found'
    assert lines[-1].startswith('recall: fts+vector (embedder local:glove100), '
                                'not expanded: '), lines[-1]
    assert '500' in lines[-1] or 'server' in lines[-1], lines[-1]
    r = mem(llm, 'search', 'indentation')
    assert r.stdout.splitlines()[-1].endswith(
        'not expanded: the answer is not one line of words')
    r = mem(llm, 'search', 'indentation')
    assert r.stdout.splitlines()[-1].endswith(
        'not expanded: the answer holds something other than words')
    # Failures are not cached: the fourth asks and finds.
    r = mem(llm, 'search', 'indentation')
    assert r.stdout.splitlines()[-1] == LINE
    assert [s for _, _, s in calls(llm)][-1] == 'ok'
    assert len(calls(llm)) == 4


def test_on_without_a_key_is_a_failure_said(oxios):
    oxios.write_config('[memory]\nquery_expansion = "on"\n')
    mem(oxios, 'add', 'I prefer tabs in C code')
    r = mem(oxios, 'search', 'indentation')
    assert r.returncode == 0
    last = r.stdout.splitlines()[-1]
    assert last.startswith('recall: fts+vector (embedder local:glove100), not '
                           'expanded: '), last
    assert 'ANTHROPIC_API_KEY' in last or 'key' in last, last


def test_rest_search_says_its_recall(llm):
    d = make_daemon(llm)
    d.start()
    try:
        llm.fake.load({'turns': [EXPANSION]})
        st, _, body = d.request('POST', '/api/memory', {
            'content': 'I prefer tabs in C code'})
        assert st in (200, 201), body
        st, _, j = d.request('POST', '/api/memory/search', {
            'query': 'indentation', 'mode': 'hybrid'})
        assert st == 200, j
        assert j['results'][0]['content'] == 'I prefer tabs in C code'
        assert j['recall'] == {
            'how': 'fts+vector', 'embedder': 'local:glove100',
            'vector_failed': False, 'expansion': 'expanded',
            'terms': ['tabs', 'spaces', 'indent']}
        reqs = model_requests(llm.fake)
        assert len(reqs) == 1
        assert reqs[0]['headers'].get('x-oxios-phase') == 'expand'
        # Keyword mode (the route's default), from the cache.
        st, _, j = d.request('POST', '/api/memory/search', {
            'query': 'Indentation'})
        assert j['results'][0]['content'] == 'I prefer tabs in C code'
        assert j['recall']['how'] == 'fts'
        assert j['recall']['expansion'] == 'cached'
        assert len(model_requests(llm.fake)) == 1
        # A long query: no expansion, said why.
        st, _, j = d.request('POST', '/api/memory/search', {
            'query': 'one two three four five six seven'})
        assert j['recall']['expansion'] == 'skipped'
        assert j['recall']['terms'] == [] and 'why' in j['recall']
    finally:
        d.stop_clean()


def readme_memory_example(root):
    """The README's `memory add` / `memory search "indentation"` lines:
    (commands, output lines)."""
    with open(os.path.join(root, 'README.md')) as f:
        text = f.read()
    start = text.index('$ oxios memory add "I prefer tabs in C code"')
    block = text[start:].split('\n$ oxios memory topics')[0]
    cmds, out = [], []
    for ln in block.splitlines():
        if ln.startswith('$ '):
            cmds.append(re.split(r'\s+# ', ln[2:])[0].strip())
        elif not ln.startswith(' ' * 20):  # comment continuation lines
            out.append(ln)
    return cmds, out


def test_readme_example_runs_as_written(root, llm):
    """The README's tour after onboard (a key for the default model's
    provider; here the fake answers as the model)."""
    cmds, want = readme_memory_example(root)
    assert cmds == [
        'oxios memory add "I prefer tabs in C code" --tags style',
        'oxios memory search "indentation"'], cmds
    llm.fake.load({'turns': [EXPANSION]})
    got = []
    for c in cmds:
        args = re.findall(r'"[^"]*"|\S+', c)[1:]
        r = llm.run(*[a.strip('"') for a in args], check=0)
        got += r.stdout.splitlines() + r.stderr.splitlines()
    norm = [re.sub(r'score [0-9.]+', 'score', ln) for ln in got]
    assert norm == [re.sub(r'score [0-9.]+', 'score', ln) for ln in want]
