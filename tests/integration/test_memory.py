"""Memory: the `oxios memory` commands, the /api/memory routes, the agent
tools (memory_write, memory_search) and recall into the system prompt, and
persistence across a restart and a kill -9.  The real binary, the fake LLM
(OpenAI wire format), a temporary OXIOS_HOME."""
import json
import os
import socket
import sqlite3
import threading

import pytest

from conftest import BIN, make_daemon


def _sanitized():
    """Whether the binary was built with the sanitizers (-Db_sanitize)."""
    try:
        with open(BIN, 'rb') as f:
            return b'__ubsan_handle' in f.read()
    except OSError:
        return False


SANITIZED = _sanitized()


def mem(ox, *args, check=None, **kw):
    return ox.run('memory', *args, check=check, **kw)


def mem_json(ox, *args):
    r = mem(ox, *args, '--json')
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout)


def add(ox, text, *opts):
    """`oxios memory add TEXT ... --json`: the new memory."""
    return mem_json(ox, 'add', text, *opts)


def ids(rows):
    return [m['id'] for m in rows]


def db(ox):
    return sqlite3.connect(ox.path('oxios.db'))


def count(ox):
    c = db(ox)
    try:
        return c.execute('SELECT COUNT(*) FROM memories').fetchone()[0]
    finally:
        c.close()


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def model_requests(ox):
    return [q for q in ox.fake.requests()
            if q['path'].endswith('/chat/completions')]


def tool_results(req):
    return {m['tool_call_id']: m['content'] for m in req['body']['messages']
            if m['role'] == 'tool'}


def system_prompt(req):
    m = req['body']['messages'][0]
    assert m['role'] == 'system', m
    return m['content'] if isinstance(m['content'], str) else \
        ''.join(p.get('text', '') for p in m['content'])


@pytest.fixture
def agent(llm):
    """oxios with the fake LLM (OpenAI format) as its default model."""
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    return llm


# ---- the CLI ----

def test_cli_add_search_list_show_forget(oxios):
    m = add(oxios, 'The staging database lives on host db7', '--type',
            'fact', '--tags', 'ops,db')
    assert m['type'] == 'fact' and m['tags'] == ['ops', 'db']
    assert m['content'] == 'The staging database lives on host db7'
    assert isinstance(m['id'], int) and m['tier'] in ('hot', 'warm')
    r = mem(oxios, 'add', 'I prefer answers in French', check=0)
    assert r.stdout.startswith('remembered #') and '(preference)' in r.stdout
    other = add(oxios, 'Coffee beans are bought on Fridays')

    found = mem_json(oxios, 'search', 'staging database host', '--limit', '5')
    assert isinstance(found, list) and found
    for row in found:
        assert {'id', 'content', 'score'} <= set(row)
        assert isinstance(row['score'], float) and row['score'] > 0
    assert found[0]['id'] == m['id']
    assert [x['score'] for x in found] == sorted(
        (x['score'] for x in found), reverse=True)
    assert len(mem_json(oxios, 'search', 'staging coffee French',
                        '--limit', '1')) == 1
    kw = mem_json(oxios, 'search', 'coffee', '--mode', 'keyword')
    assert ids(kw) == [other['id']]
    assert all('vector_rank' not in x for x in kw)
    r = mem(oxios, 'search', 'staging', check=0)
    assert '#%d' % m['id'] in r.stdout and 'score' in r.stdout

    listed = mem_json(oxios, 'list')
    assert len(listed) == 3
    assert listed[0]['id'] == other['id']  # newest first
    r = mem(oxios, 'list', check=0)
    assert 'The staging database lives on host db7' in r.stdout
    assert ids(mem_json(oxios, 'list', '--type', 'preference')) != []

    shown = mem_json(oxios, 'show', str(m['id']))
    assert shown['content'] == m['content']
    assert shown['access_count'] >= 1  # the search and the show
    r = mem(oxios, 'show', '#%d' % m['id'], check=0)
    assert 'db7' in r.stdout

    r = mem(oxios, 'forget', str(m['id']), check=0)
    assert 'forgot #%d' % m['id'] in r.stdout
    assert m['id'] not in ids(mem_json(oxios, 'list'))
    assert m['id'] not in ids(mem_json(oxios, 'search', 'staging coffee'))
    r = mem(oxios, 'show', str(m['id']))
    assert r.returncode == 1 and 'no memory' in r.stderr
    r = mem(oxios, 'forget', str(m['id']))
    assert r.returncode == 1 and 'no memory' in r.stderr
    r = mem(oxios, 'show', 'abc')
    assert r.returncode == 2 and 'not a memory id' in r.stderr


def test_cli_dream_and_stats(oxios):
    a = add(oxios, 'Deploys go out with make deploy from the main branch',
            '--type', 'skill', '--tags', 'ops')
    b = add(oxios, 'deploys go out with MAKE DEPLOY from the main branch!',
            '--type', 'skill', '--tags', 'release')
    c = add(oxios, 'The office plants are watered on Tuesdays', '--type',
            'fact')
    st = mem_json(oxios, 'stats')
    assert st['total'] == 3
    assert st['types'] == {'skill': 2, 'fact': 1}
    assert sum(st['tiers'].values()) == 3
    assert st['index']['vectors'] == 3
    # The default embedder: the built-in word vectors.
    assert st['embedder'] == 'local:glove100' and st['dim'] == 48

    r = mem(oxios, 'dream', check=0)
    rep = json.loads(r.stdout)
    assert rep['reason'] == 'cli'
    assert rep['consolidate']['merged'] == 1
    pair = rep['consolidate']['pairs'][0]
    assert {pair['kept'], pair['merged']} == {a['id'], b['id']}
    assert rep['orient']['total'] == 3 and rep['after']['total'] == 2
    left = {m['id']: m for m in mem_json(oxios, 'list')}
    assert set(left) == {pair['kept'], c['id']}
    kept = left[pair['kept']]
    assert kept['sources'] == [pair['merged']]
    assert sorted(kept['tags']) == ['ops', 'release']
    c2 = db(oxios)
    row = c2.execute('SELECT into_id, content FROM memory_merged WHERE '
                     'id = ?', (pair['merged'],)).fetchone()
    c2.close()
    assert row[0] == pair['kept']
    assert row[1] in (a['content'], b['content'])

    st = mem_json(oxios, 'stats')
    assert st['total'] == 2 and st['merged'] == 1
    assert st['index']['vectors'] == 2


def test_cli_bad_input_stores_nothing(oxios):
    add(oxios, 'one memory that is fine')
    before = mem_json(oxios, 'list')

    r = mem(oxios, 'add', '')
    assert r.returncode == 1 and 'needs content' in r.stderr
    r = mem(oxios, 'add', 'x', '--type', 'bogus')
    assert r.returncode == 2 and "unknown type 'bogus'" in r.stderr
    r = mem(oxios, 'add', 'x', '--protect', 'forever')
    assert r.returncode == 2
    r = mem(oxios, 'add', 'word ' * 20000)  # 100 KB > 64 KiB
    assert r.returncode == 1
    assert '100000 bytes' in r.stderr and '65536' in r.stderr
    r = mem(oxios, 'add', 'x', '--tags', ','.join('t%d' % i
                                                 for i in range(40)))
    assert r.returncode == 1 and 'at most 32 tags' in r.stderr
    r = mem(oxios, 'add', 'x', '--tags', 'a' * 65)
    assert r.returncode == 1 and 'tag' in r.stderr
    r = mem(oxios, 'add')
    assert r.returncode == 2
    r = mem(oxios, 'search', 'x', '--limit', '0')
    assert r.returncode == 2
    r = mem(oxios, 'frobnicate')
    assert r.returncode == 2
    assert "unknown subcommand 'frobnicate' (try: add, search, " in r.stderr

    after = mem_json(oxios, 'list')
    assert [(m['id'], m['content'], m['tags']) for m in after] == \
        [(m['id'], m['content'], m['tags']) for m in before]
    c = db(oxios)
    assert c.execute("SELECT value FROM memory_meta WHERE key = 'docs'"
                     ).fetchone()[0] == 1
    assert c.execute('SELECT COUNT(*) FROM memory_terms WHERE term = '
                     "'word'").fetchone()[0] == 0
    c.close()


def test_dream_with_a_memory_without_terms(oxios):
    add(oxios, 'the of and')
    add(oxios, 'a real memory about tulips')
    r = mem(oxios, 'dream', timeout=60)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout)['after']['total'] == 2


def test_long_terms_stay_utf8(oxios):
    add(oxios, 'a' * 45 + '\u20ac')          # 48 bytes, whole: cut anyway
    add(oxios, 'b' * 46 + '\u20ac')          # cut after 2 of 3 bytes
    add(oxios, '\u559c' * 40)                # CJK has no spaces
    add(oxios, 'c' * 45 + '\U0001F642')      # cut after 3 of 4 bytes
    c = db(oxios)
    c.text_factory = bytes
    bad = []
    for (term,) in c.execute('SELECT term FROM memory_terms'):
        try:
            term.decode('utf-8')
        except UnicodeDecodeError:
            bad.append(term)
    c.close()
    assert bad == []


def test_search_without_any_hit(oxios):
    r = mem(oxios, 'search', 'nothing', '--json')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    add(oxios, 'a memory about tulips')
    r = mem(oxios, 'search', 'walrus', '--json')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_keyword_search_finds_tags(oxios):
    m = add(oxios, 'Quarterly report draft is due', '--tags', 'finance')
    n = add(oxios, 'Lunch is at noon')
    r = mem(oxios, 'search', 'finance lunch', '--mode', 'keyword', '--json')
    assert r.returncode == 0, r.stderr
    assert sorted(ids(json.loads(r.stdout))) == [m['id'], n['id']]


# ---- the REST API ----

def test_rest_memory_crud_search_tiers_stats_dream(daemon):
    st, _, m = daemon.post('/api/memory', {
        'content': 'The VPN certificate expires in March',
        'type': 'fact', 'tags': ['ops', 'vpn'], 'importance': 0.5})
    assert st == 201, m
    assert m['content'] == 'The VPN certificate expires in March'
    assert m['type'] == 'fact' and m['tags'] == ['ops', 'vpn']
    assert m['tier'] == 'warm' and m['importance'] == 0.5
    st, _, p = daemon.post('/api/memory', {
        'content': 'I prefer dark roast coffee', 'protection': 'high'})
    assert st == 201 and p['type'] == 'preference', p
    assert p['protection'] == 'high' and p['tier'] == 'hot'
    st, _, q = daemon.post('/api/memory', {
        'content': 'The certificate authority is run by the infra team',
        'type': 'knowledge', 'session_id': 's-1', 'space': 'work'})
    assert st == 201 and q['session_id'] == 's-1' and q['space'] == 'work'

    st, _, j = daemon.get('/api/memory')
    assert st == 200
    assert ids(j['memories']) == [q['id'], p['id'], m['id']]
    st, _, j = daemon.get('/api/memory?type=preference')
    assert ids(j['memories']) == [p['id']]
    st, _, j = daemon.get('/api/memory?tier=warm&limit=1')
    assert len(j['memories']) == 1
    st, _, j = daemon.get('/api/memory/%d' % m['id'])
    assert st == 200 and j['content'] == m['content']
    assert j['access_count'] == 1  # a read counts

    st, _, j = daemon.post('/api/memory/search', {'query': 'certificate'})
    assert st == 200
    res = j['results']
    assert set(ids(res)) == {m['id'], q['id']}
    for r in res:
        assert {'id', 'content', 'score', 'keyword_rank'} <= set(r)
        assert 'vector_rank' not in r
    st, _, j = daemon.post('/api/memory/search',
                           {'query': 'certificate', 'type': 'knowledge'})
    assert ids(j['results']) == [q['id']]
    st, _, j = daemon.post('/api/memory/search',
                           {'query': 'certificate', 'tag': 'vpn'})
    assert ids(j['results']) == [m['id']]
    st, _, j = daemon.post('/api/memory/search',
                           {'query': 'certificate', 'space': 'work'})
    assert ids(j['results']) == [q['id']]
    st, _, j = daemon.post('/api/memory/search',
                           {'query': 'certificate', 'limit': 1})
    assert len(j['results']) == 1

    st, _, j = daemon.post('/api/memory/semantic',
                           {'query': 'VPN certificate expiry'})
    assert st == 200
    res = j['results']
    assert res[0]['id'] == m['id']
    for r in res:
        assert 'similarity' in r and 'vector_rank' in r
        assert 'keyword_rank' not in r
    assert res[0]['similarity'] > 0.3

    st, _, t = daemon.get('/api/memory/tiers')
    assert st == 200 and set(t) == {'hot', 'warm', 'cold'}
    assert p['id'] in ids(t['hot']) and m['id'] in ids(t['warm'])
    st, _, s = daemon.get('/api/memory/stats')
    assert st == 200
    assert s['total'] == 3 and s['index']['vectors'] == 3
    assert s['types'] == {'fact': 1, 'preference': 1, 'knowledge': 1}

    st, _, rep = daemon.post('/api/memory/dream', timeout=60)
    assert st == 200, rep
    assert rep['reason'] == 'api' and rep['after']['total'] == 3
    assert isinstance(rep['duration_ms'], int)
    st, _, j = daemon.get('/api/memory/dream/reports')
    assert st == 200 and len(j['reports']) == 1
    assert j['reports'][0]['id'] == rep['id']
    assert j['reports'][0]['consolidate'] == rep['consolidate']

    st, _, j = daemon.request('DELETE', '/api/memory/%d' % m['id'])
    assert st == 200 and j == {'deleted': m['id']}
    st, _, j = daemon.get('/api/memory/%d' % m['id'])
    assert st == 404 and j['error']['code'] == 'not_found'
    st, _, j = daemon.request('DELETE', '/api/memory/%d' % m['id'])
    assert st == 404
    st, _, j = daemon.post('/api/memory/search', {'query': 'certificate'})
    assert ids(j['results']) == [q['id']]
    st, _, s = daemon.get('/api/memory/stats')
    assert s['total'] == 2 and s['index']['vectors'] == 2


def sock_request(d, head, body, timeout=15):
    """Send a request whose body the server may refuse half-way; (status,
    json) of the answer."""
    s = socket.create_connection(('127.0.0.1', d.port), timeout=timeout)
    s.sendall(head.encode())

    def send():
        try:
            for i in range(0, len(body), 256 * 1024):
                s.sendall(body[i:i + 256 * 1024])
        except OSError:
            pass
    t = threading.Thread(target=send)
    t.start()
    data = b''
    while b'\r\n\r\n' not in data:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b''
        if not chunk:
            break
        data += chunk
    head_, _, rest = data.partition(b'\r\n\r\n')
    lines = head_.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1]) if lines and lines[0] else None
    hdr = {k.strip().lower(): v.strip() for k, _, v in
           (x.partition(':') for x in lines[1:])}
    n = int(hdr.get('content-length', '0'))
    while len(rest) < n:
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    t.join(timeout)
    s.close()
    try:
        j = json.loads(rest[:n]) if n else None
    except ValueError:
        j = rest[:n]
    return status, j


def test_rest_errors_store_nothing(daemon):
    st, _, keep = daemon.post('/api/memory', {'content': 'a fine memory'})
    assert st == 201

    def refused(body, status=400, raw=None):
        if raw is not None:
            st, _, j = daemon.request(
                'POST', '/api/memory', raw=raw,
                headers={'Content-Type': 'application/json'})
        else:
            st, _, j = daemon.post('/api/memory', body)
        assert st == status, (st, j)
        assert isinstance(j, dict) and j['error']['message'], j
        return j

    refused({'content': ''})
    refused({})
    refused({'content': 42})
    refused({'content': 'x', 'type': 'bogus'})
    refused({'content': 'x', 'type': 7})
    refused({'content': 'x', 'protection': 'forever'})
    refused({'content': 'x', 'importance': 2})
    refused({'content': 'x', 'tags': 'ops'})
    refused({'content': 'x', 'tags': [1, 2]})
    refused({'content': 'x', 'tags': ['t%d' % i for i in range(33)]})
    refused({'content': 'x', 'tags': ['a' * 65]})
    j = refused({'content': 'y' * 100_000})   # > 64 KiB, < the body cap
    assert '65536' in j['error']['message']
    refused(None, raw=b'{"content": "caf\xc3"}')         # invalid UTF-8
    refused(None, raw=b'{"content": "\xff\xfe"}')
    refused(None, raw=b'{"content": "a\\u0000b"}')        # NUL
    refused(None, raw=b'not json')
    refused(None, raw=b'["content"]')
    # 10 MB: refused by the body cap before anything is read.
    size = 10 * 1024 * 1024
    body = b'{"content": "' + b'z' * (size - 15) + b'"}'
    st, j = sock_request(daemon, (
        'POST /api/memory HTTP/1.1\r\nHost: x\r\n'
        'Authorization: Bearer %s\r\nContent-Type: application/json\r\n'
        'Content-Length: %d\r\n\r\n' % (daemon.token, len(body))), body)
    assert st == 413, (st, j)

    st, _, j = daemon.get('/api/memory')
    assert ids(j['memories']) == [keep['id']]
    st, _, s = daemon.get('/api/memory/stats')
    assert s['total'] == 1 and s['documents'] == 1

    # Ids.
    for path in ('/api/memory/999999', '/api/memory/abc', '/api/memory/1x',
                 '/api/memory/0', '/api/memory/-1'):
        st, _, j = daemon.get(path)
        assert st == 404, (path, st, j)
    st, _, j = daemon.request('DELETE', '/api/memory/abc')
    assert st == 404
    # Searches.
    for body in ({}, {'query': ''}, {'query': 7},
                 {'query': 'x', 'limit': 0}, {'query': 'x', 'mode': 'magic'},
                 {'query': 'x', 'type': 'bogus'}):
        st, _, j = daemon.post('/api/memory/search', body)
        assert st == 400, (body, st, j)
    st, _, j = daemon.post('/api/memory/semantic', {'query': 'q' * 70000})
    assert st == 400
    st, _, j = daemon.get('/api/memory?tier=lukewarm')
    assert st == 400
    st, _, j = daemon.get('/api/memory?type=bogus')
    assert st == 400
    # Without the token: nothing.
    st, _, j = daemon.get('/api/memory', auth=False)
    assert st == 401
    st, _, j = daemon.post('/api/memory', {'content': 'sneaky'}, auth=False)
    assert st == 401
    st, _, s = daemon.get('/api/memory/stats')
    assert s['total'] == 1


# ---- the agent's tools and recall ----

def test_agent_memory_write_then_search(agent):
    text = 'The deploy key is kept in vault path secret/deploy'
    # (a memory the prompt calls up: see test_search_without_any_hit)
    seed = add(agent, 'The deploy key rotation is yearly', '--type', 'fact')
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_write', 'w1', content=text,
                             type='fact', tags=['ops', 'keys'])]},
        {'text': 'I will remember that.'}]})
    r = agent.run('run', '--json', 'remember where the deploy key is',
                  timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['response'] == 'I will remember that.'
    reqs = model_requests(agent)
    names = {t['function']['name'] for t in reqs[0]['body']['tools']}
    assert {'memory_write', 'memory_search', 'memory_read'} <= names
    res = json.loads(tool_results(reqs[1])['w1'])
    assert res['as'] == 'fact' and isinstance(res['remembered'], int)

    found = mem_json(agent, 'search', 'deploy key vault')
    assert found and found[0]['content'] == text
    assert seed['id'] in ids(found)
    assert found[0]['id'] == res['remembered']
    assert found[0]['session_id'] == out['session_id']
    assert found[0]['agent_id'] == out['agent_id']
    assert found[0]['tags'] == ['ops', 'keys']

    # Another run searches and gets it back in the tool result.
    agent.fake.reset()
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_search', 's1', query='deploy key')]},
        {'tool_calls': [call('memory_read', 'r1',
                             id=res['remembered'])]},
        {'text': 'It is in vault.'}]})
    r = agent.run('run', '--json', 'where was that key again?', timeout=60)
    assert r.returncode == 0, r.stderr
    reqs = model_requests(agent)
    assert len(reqs) == 3
    got = tool_results(reqs[1])['s1']
    assert text in got
    answer = json.loads(got)
    hits = answer['memories']
    assert res['remembered'] in ids(hits)
    assert all({'id', 'content', 'score'} <= set(h) for h in hits)
    # It says how it searched: keywords and the built-in word vectors.
    assert answer['recall'] == 'fts+vector (embedder local:glove100)'
    assert 'note' not in answer
    got = tool_results(reqs[2])['r1']
    assert text in got and json.loads(got)['id'] == res['remembered']


def test_agent_memory_search_says_when_only_words_match(agent):
    # With TF-IDF vectors only matching words are found: the tool says so,
    # and that other words are worth a try.
    agent.write_config('[engine]\nretry_base_ms = 20\n'
                       'default_model = "openai/gpt-4.1"\n'
                       '[memory]\nembedder = "tfidf"\n')
    seed = add(agent, 'The release train leaves on Thursdays')
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_search', 's1', query='release')]},
        {'text': 'Thursdays.'}]})
    r = agent.run('run', 'when do releases go out?', timeout=60)
    assert r.returncode == 0, r.stderr
    answer = json.loads(tool_results(model_requests(agent)[1])['s1'])
    assert seed['id'] in ids(answer['memories'])
    assert answer['recall'].startswith('fts+vector (embedder tfidf:')
    assert 'other words' in answer['note']


def test_agent_memory_tool_errors(agent):
    add(agent, 'Notes on trying the memory tools')  # (as above)
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_write', 'w1', content=''),
                        call('memory_write', 'w2', content='x',
                             type='bogus'),
                        call('memory_write', 'w3', content='y' * 70000),
                        call('memory_read', 'r1', id=424242),
                        call('memory_search', 's1')]},
        {'text': 'done'}]})
    r = agent.run('run', 'try the memory tools', timeout=60)
    assert r.returncode == 0, r.stderr
    res = tool_results(model_requests(agent)[1])
    assert 'content' in res['w1']
    assert 'type' in res['w2']
    assert '65536' in res['w3']
    assert 'no such memory' in res['r1']
    assert 'query' in res['s1']
    assert count(agent) == 1


def test_recall_goes_into_the_system_prompt(agent):
    # Recall alone: the topics' table of contents would name every memory
    # (test_memory_topics.py tests it).
    agent.write_config('[engine]\nretry_base_ms = 20\n'
                       'default_model = "openai/gpt-4.1"\n'
                       '[memory]\ntoc_tokens = 0\n')
    add(agent, "The user's favourite editor is vim", '--type', 'preference')
    add(agent, 'The deploy server is called zeus', '--type', 'fact')
    add(agent, 'Rhubarb grows best in cold winters', '--type', 'fact')
    agent.fake.load({'turns': [{'text': 'vim'}, {'text': 'zeus'}]})
    r = agent.run('run', 'which editor do I like?', timeout=60)
    assert r.returncode == 0, r.stderr
    sp = system_prompt(model_requests(agent)[-1])
    assert "The user's favourite editor is vim" in sp  # hot: always
    assert 'zeus' not in sp and 'Rhubarb' not in sp

    r = agent.run('run', 'what is the deploy server called?', timeout=60)
    assert r.returncode == 0, r.stderr
    sp = system_prompt(model_requests(agent)[-1])
    assert 'The deploy server is called zeus' in sp  # warm: on demand
    assert "favourite editor is vim" in sp
    assert 'Rhubarb' not in sp


def test_memory_off(agent):
    agent.write_config('[engine]\nretry_base_ms = 20\n'
                       'default_model = "openai/gpt-4.1"\n'
                       '[memory]\nenabled = false\n')
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', 'hello', timeout=60)
    assert r.returncode == 0, r.stderr
    req = model_requests(agent)[-1]
    names = {t['function']['name'] for t in req['body'].get('tools', [])}
    assert not names & {'memory_write', 'memory_search', 'memory_read'}


def test_every_hot_memory_is_recalled(agent):
    # The hot budget counts bytes (about 4 a token) in both places:
    # re-tiering and recall.  640 bytes are 161 tokens.
    text = '\u6211\u559c\u6b22\u7eff\u8336 ' * 40  # 240 chars, 640 bytes
    agent.write_config('[engine]\nretry_base_ms = 20\n'
                       'default_model = "openai/gpt-4.1"\n'
                       '[memory]\nhot_tokens = 100\n')
    m = add(agent, text.strip(), '--type', 'preference')
    mem(agent, 'dream', check=0)
    assert ids(mem_json(agent, 'list', '--tier', 'hot')) == []
    agent.write_config('[engine]\nretry_base_ms = 20\n'
                       'default_model = "openai/gpt-4.1"\n'
                       '[memory]\nhot_tokens = 200\n')
    mem(agent, 'dream', check=0)
    hot = mem_json(agent, 'list', '--tier', 'hot')
    assert ids(hot) == [m['id']]
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', text.strip(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert text.strip() in system_prompt(model_requests(agent)[-1])


# ---- persistence ----

def test_memories_survive_restart_and_kill9(llm):
    d = make_daemon(llm)
    d.fake = llm.fake
    d.start()
    try:
        st, _, a = d.post('/api/memory', {
            'content': 'The backup window is from two to four at night',
            'type': 'fact'})
        assert st == 201
        assert d.stop() == 0
        assert os.path.exists(llm.path('memory.hnsw'))  # saved at exit
        d.start()
        st, _, j = d.get('/api/memory/%d' % a['id'])
        assert st == 200 and j['content'] == a['content']
        st, _, j = d.post('/api/memory/semantic',
                          {'query': 'backup window at night'})
        assert ids(j['results'])[:1] == [a['id']]

        # kill -9 right after a write: the row is committed, the index
        # file is stale; after the restart both searches find it.
        st, _, b = d.post('/api/memory', {
            'content': 'Invoices are archived under finance/2024',
            'type': 'fact'})
        assert st == 201
        d.proc.kill()
        d.proc.wait()
        d.errlog.close()
        c = db(llm)
        assert c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
        c.close()
        d.start()
        st, _, j = d.get('/api/memory/%d' % b['id'])
        assert st == 200 and j['content'] == b['content']
        st, _, j = d.post('/api/memory/semantic',
                          {'query': 'archived invoices finance'})
        assert ids(j['results'])[:1] == [b['id']]
        st, _, j = d.post('/api/memory/search', {'query': 'invoices'})
        assert ids(j['results']) == [b['id']]
        st, _, s = d.get('/api/memory/stats')
        assert s['total'] == 2 and s['index']['vectors'] == 2
    finally:
        rc = d.stop()
    assert rc == 0
    err = d.stderr()
    assert 'Sanitizer' not in err and 'runtime error' not in err, err


DB_LOCKS = (
    'BUG store/db.c db_open(): it open()s and close()s oxios.db before '
    'sqlite3_open_v2(); close() drops every POSIX advisory lock the process '
    'holds on the file, so each new thread of the daemon (db_get()) '
    'cancels the locks of its other connections.  Another process (the '
    'CLI) then believes it is the last connection: at exit it checkpoints '
    'and deletes oxios.db-wal and -shm under the daemon, whose later '
    'writes go to an unlinked WAL (lost to others) or fail ("disk I/O '
    'error", "database disk image is malformed")')


def test_cli_and_daemon_share_memories(daemon):
    """The daemon and the CLI (another process) at the same time: each
    finds what the other adds, and stops finding what it forgets."""
    for i in range(3):
        st, _, m = daemon.post('/api/memory', {
            'content': 'Lab note number %d about the centrifuge' % i})
        assert st == 201, (i, m)
        listed = mem_json(daemon.ox, 'list')
        assert len(listed) == i + 1, (i, listed)
        # The daemon's connections are open: the CLI leaves the WAL be.
        assert os.path.exists(daemon.ox.path('oxios.db-wal'))
    st, _, j = daemon.get('/api/memory')
    assert st == 200 and len(j['memories']) == 3, j

    st, _, a = daemon.post('/api/memory', {
        'content': 'The lab printer needs A3 paper', 'type': 'fact'})
    b = add(daemon.ox, 'The lab fridge is defrosted monthly', '--type',
            'fact')
    st, _, j = daemon.post('/api/memory/semantic',
                           {'query': 'lab fridge defrosted'})
    assert ids(j['results'])[:1] == [b['id']]
    st, _, s = daemon.get('/api/memory/stats')
    assert s['total'] == 5 and s['index']['vectors'] == 5
    mem(daemon.ox, 'forget', str(a['id']), check=0)
    st, _, j = daemon.post('/api/memory/semantic',
                           {'query': 'lab printer paper fridge'})
    assert a['id'] not in ids(j['results'])
    st, _, s = daemon.get('/api/memory/stats')
    assert s['total'] == 4 and s['index']['vectors'] == 4


def test_deleted_elsewhere_leaves_the_index(oxios):
    a = add(oxios, 'The lab printer needs A3 paper', '--type', 'fact')
    add(oxios, 'it is as it was')   # no term: no vector
    assert mem_json(oxios, 'stats')['index']['vectors'] == 1
    # Another process forgets `a` and dies before saving its index (a
    # kill -9): the file still has the vector, the generation moved on.
    c = db(oxios)
    c.execute('DELETE FROM memories WHERE id = ?', (a['id'],))
    c.execute("UPDATE memory_meta SET value = value + 1 WHERE key = "
              "'generation'")
    c.commit()
    c.close()
    st = mem_json(oxios, 'stats')
    assert st['total'] == 1
    assert st['index']['vectors'] == 0
