"""Spaces (docs/agents.md, "Spaces"): detection routes a message to a
space, a space's runs continue its conversation and two spaces keep
separate histories (the recorded provider requests say so), run --json
reports space_id and space_tag, the conversation buffer summarises older
turns through the gate and the next request carries the summary; the
CLI and the REST routes."""
import json
import os
import sqlite3

import pytest

from conftest import make_daemon


@pytest.fixture
def agent(llm):
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n')
    return llm


def chat_requests(agent):
    return [q for q in agent.fake.requests()
            if q['path'].endswith('/chat/completions')]


def texts(req):
    """Every message's text of one recorded request, system included."""
    out = []
    for m in req['body']['messages']:
        c = m.get('content')
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, list):
            out += [b.get('text', '') for b in c if isinstance(b, dict)]
    return '\n'.join(out)


def system_of(req):
    return '\n'.join(m['content'] for m in req['body']['messages']
                     if m['role'] == 'system')


def create(agent, *args):
    r = agent.run('space', 'create', *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def run_json(agent, *args, code=0):
    r = agent.run('run', '--json', *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def test_two_spaces_keep_separate_histories(agent):
    garden = create(agent, 'Garden', '--emoji', '\U0001F331', '--path',
                    'garden/', '--tag', 'plants', '--description',
                    'The vegetable garden')
    infra = create(agent, 'Infra', '--tag', 'k8s')
    agent.fake.load({'turns': [{'text': 'g1'}, {'text': 'i1'},
                               {'text': 'g2'}, {'text': 'i2'}]})
    a = run_json(agent, 'water the plants on Sunday')
    b = run_json(agent, 'scale the K8s deployment')
    c = run_json(agent, 'and the plants on Monday?')
    d = run_json(agent, 'k8s: what did I ask?')
    assert (a['space_id'], a['space_tag']) == (garden, '\U0001F331')
    assert (b['space_id'], b['space_tag']) == (infra, 'Infra')
    assert c['space_id'] == garden and d['space_id'] == infra
    # A space's runs continue its conversation.
    assert a['session_id'] == c['session_id']
    assert b['session_id'] == d['session_id'] != a['session_id']
    reqs = chat_requests(agent)
    assert len(reqs) == 4
    third, fourth = texts(reqs[2]), texts(reqs[3])
    assert 'water the plants on Sunday' in third and 'g1' in third
    assert 'K8s' not in third and 'i1' not in third
    assert 'scale the K8s deployment' in fourth and 'i1' in fourth
    assert 'plants' not in fourth and 'g1' not in fourth
    # The space section of the system prompt.
    assert 'You are in the space "Garden"' in system_of(reqs[0])
    assert 'The vegetable garden' in system_of(reqs[0])
    assert 'space "Infra"' in system_of(reqs[1])
    # The sessions keep their spaces.
    db = sqlite3.connect(os.path.join(agent.home, 'oxios.db'))
    rows = dict(db.execute('SELECT id, space_id FROM sessions'))
    assert rows == {a['session_id']: garden, b['session_id']: infra}


def test_a_path_in_the_message_chooses_the_space(agent):
    create(agent, 'Notes', '--tag', 'beds')
    deploy = create(agent, 'Deploy', '--path', 'deploy/*.yml')
    agent.fake.load({'turns': [{'text': 'ok'}, {'text': 'ok'},
                               {'text': 'ok'}]})
    # The path wins over a tag of another space.
    out = run_json(agent, 'check ./deploy/web.yml: beds are fine')
    assert out['space_id'] == deploy and out['space_tag'] == 'Deploy'
    # No path, tag or name: no space.
    out = run_json(agent, 'hello there')
    assert out['space_id'] is None and out['space_tag'] is None
    # Another file is no match of deploy/*.yml; a word inside another
    # is no tag.
    out = run_json(agent, 'look at ops/web.yml and the flowerbeds')
    assert out['space_id'] is None


def test_explicit_space_and_use(agent):
    create(agent, 'Alpha')
    beta = create(agent, 'Beta')
    agent.fake.load({'turns': [{'text': 'ok'}, {'text': 'ok'},
                               {'text': 'chatted'}]})
    out = run_json(agent, '--space', 'beta', 'something alpha')
    assert out['space_id'] == beta
    r = agent.run('run', '--json', '--space', 'Gamma', 'x')
    assert r.returncode == 1
    assert 'no space' in json.loads(r.stdout)['error']
    agent.run('space', 'use', 'Beta', check=0)
    out = run_json(agent, 'alpha, again')
    assert out['space_id'] == beta
    agent.run('space', 'use', '--none', check=0)
    assert not os.path.exists(os.path.join(agent.home, 'space'))
    # oxios chat --space: the chat's session is the space's.
    r = agent.run('chat', '--space', 'Alpha', stdin='hello\n')
    assert r.returncode == 0 and 'chatted' in r.stdout, r.stderr
    db = sqlite3.connect(os.path.join(agent.home, 'oxios.db'))
    (title, space), = db.execute(
        "SELECT s.title, p.name FROM sessions s JOIN spaces p "
        "ON p.id = s.space_id WHERE s.title = 'hello'")
    assert space == 'Alpha'


def test_the_buffer_summarises_older_turns(agent):
    with open(agent.path('config.toml'), 'a') as f:
        f.write('[spaces]\nbuffer_tokens = 1000\nkeep_turns = 1\n')
    big = 'x' * 5000 + ' BIGFACT'
    agent.fake.load({'turns': [
        {'text': 'first answer'}, {'text': 'second answer'},
        {'text': 'SUMMARY: the user sent a big fact'},
        {'text': 'third answer'}]})
    s = run_json(agent, big)['session_id']
    run_json(agent, '--session', s, 'second question')
    out = run_json(agent, '--session', s, 'third question')
    assert out['response'] == 'third answer'
    reqs = chat_requests(agent)
    assert len(reqs) == 4
    summ, last = reqs[2], reqs[3]
    assert summ['headers'].get('x-oxios-phase') == 'summary'
    assert 'BIGFACT' in texts(summ) and 'second question' not in texts(summ)
    assert last['headers'].get('x-oxios-phase') == 'chat'
    assert 'SUMMARY: the user sent a big fact' in system_of(last)
    assert 'BIGFACT' not in texts(last)
    assert 'second question' in texts(last) and 'third question' in texts(
        last)
    db = sqlite3.connect(os.path.join(agent.home, 'oxios.db'))
    summary, upto, n = db.execute(
        'SELECT summary, summary_upto, (SELECT count(*) FROM messages '
        'WHERE session_id = sessions.id) FROM sessions').fetchone()
    assert summary.startswith('SUMMARY') and upto == 2 and n == 6
    phases = [p for (p,) in db.execute(
        'SELECT phase FROM llm_calls ORDER BY id')]
    assert phases == ['chat', 'chat', 'summary', 'chat']


def test_cli_checks_bodies(agent):
    for args, why in [(['bad/name'], "'name'"),
                      (['X', '--path', '/etc'], 'workspace-relative'),
                      (['X', '--path', 'a/../../b'], 'workspace-relative'),
                      (['X', '--tag', 'two words'], 'tag')]:
        r = agent.run('space', 'create', *args)
        assert r.returncode == 2 and why in r.stderr, (args, r.stderr)
    create(agent, 'Once')
    r = agent.run('space', 'create', 'once')
    assert r.returncode == 1 and 'exists' in r.stderr
    r = agent.run('space', 'list', '--json', check=0)
    assert [s['name'] for s in json.loads(r.stdout)] == ['Once']
    agent.run('space', 'delete', 'Once', check=0)
    r = agent.run('space', 'list', '--json', check=0)
    assert json.loads(r.stdout) == []
    r = agent.run('audit', '--action', 'space_change', '--json', check=0)
    ops = [e['detail']['op'] for e in json.loads(r.stdout)]
    assert sorted(ops) == ['create', 'delete']


def token(ox, role, name):
    r = ox.run('token', 'create', '--role', role, '--name', name, '--json')
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)['token']


def test_rest_spaces_and_chat(llm):
    d = make_daemon(llm)
    d.fake = llm.fake
    viewer = token(llm, 'viewer', 'v')
    d.start()
    try:
        st, _, j = d.post('/api/spaces', {'name': 'Docs', 'emoji': 'D',
                                          'paths': ['docs/'],
                                          'tags': ['manual']})
        assert st == 201, j
        sid = j['id']
        assert (j['name'], j['paths'], j['tags']) == ('Docs', ['docs/'],
                                                       ['manual'])
        for body, code in [({'name': 'x', 'oops': 1}, 400),
                           ({'name': 'x', 'paths': ['/abs']}, 400),
                           ({'emoji': 'x'}, 400),
                           ({'name': 'docs'}, 409)]:
            st, _, j = d.post('/api/spaces', body)
            assert st == code, (body, st, j)
        st, _, j = d.request('PUT', '/api/spaces/Docs',
                             body={'description': 'The manuals'})
        assert st == 200 and j['description'] == 'The manuals'
        assert j['paths'] == ['docs/']
        st, _, j = d.get('/api/spaces/' + sid, token=viewer)
        assert st == 200 and j['name'] == 'Docs'
        st, _, j = d.get('/api/spaces', token=viewer)
        assert st == 200 and [s['id'] for s in j] == [sid]
        st, _, _ = d.post('/api/spaces', {'name': 'V'}, token=viewer)
        assert st == 403
        st, _, _ = d.request('DELETE', '/api/spaces/' + sid, token=viewer)
        assert st == 403
        # A chat naming a path of the space lands in it; "space" chooses.
        d.fake.load({'turns': [{'text': 'one'}, {'text': 'two'}]})
        st, _, j = d.post('/api/chat', {'content': 'fix docs/intro.md'})
        assert st == 200, j
        assert (j['space_id'], j['space_tag']) == (sid, 'D')
        st, _, j = d.post('/api/chat', {'content': 'hi', 'space': 'nope'})
        assert st == 404 and 'no space' in j['error']['message'], j
        st, _, j = d.post('/api/chat', {'content': 'hi', 'space': 7})
        assert st == 400
        st, _, j = d.post('/api/chat', {'content': 'hi', 'space': 'docs'})
        assert st == 200 and j['space_id'] == sid
        st, _, j = d.request('DELETE', '/api/spaces/' + sid)
        assert st == 200 and j == {'deleted': True}
        st, _, j = d.get('/api/spaces/' + sid)
        assert st == 404 and j['error']['code'] == 'no_space', j
    finally:
        d.stop_clean()


def test_the_knowledge_bridge(agent):
    with open(agent.path('config.toml'), 'a') as f:
        f.write('[spaces]\nbridge = true\n')
    garden = create(agent, 'Garden', '--tag', 'plants')
    create(agent, 'Infra', '--tag', 'k8s')
    agent.fake.load({'turns': [
        {'text': 'noted'},
        {'text': '- The user grows tomatoes in bed 3\n'
                 'not a fact line\n- \n- Watering is on Sundays'},
        {'text': 'ok'}, {'text': 'NONE'}]})
    out = run_json(agent, 'my plants: tomatoes in bed 3, watered Sundays')
    assert out['space_id'] == garden
    run_json(agent, 'the k8s cluster has three nodes')
    reqs = chat_requests(agent)
    assert [q['headers'].get('x-oxios-phase') for q in reqs] == [
        'chat', 'space', 'chat', 'space']
    assert 'tomatoes in bed 3' in texts(reqs[1])
    assert 'k8s' not in texts(reqs[1])

    def search(*args):
        r = agent.run('memory', 'search', '--json', *args)
        assert r.returncode == 0, r.stderr
        return [m['content'] for m in json.loads(r.stdout)]

    assert search('tomatoes', '--space', 'garden') == [
        'The user grows tomatoes in bed 3']
    assert search('tomatoes', '--space', 'Infra') == []
    assert 'Watering is on Sundays' in search('Watering', '--space',
                                              garden)
    r = agent.run('memory', 'search', 'x', '--space', 'Nope')
    assert r.returncode == 1 and 'no space' in r.stderr
    db = sqlite3.connect(os.path.join(agent.home, 'oxios.db'))
    assert db.execute('SELECT count(*) FROM memories WHERE space = ?',
                      (garden,)).fetchone() == (2,)
    # The next run of the space extracts from its new turns only.
    agent.fake.load({'turns': [{'text': 'again'}, {'text': 'NONE'}]})
    run_json(agent, 'plants: what now?')
    last = chat_requests(agent)[-1]
    assert 'what now' in texts(last) and 'bed 3' not in texts(last)


def test_the_model_classifies_when_configured(agent):
    garden = create(agent, 'Garden', '--description', 'growing vegetables')
    agent.fake.load({'turns': [{'text': 'ok'}, {'text': '"garden".'},
                               {'text': 'ok'}, {'text': 'none'},
                               {'text': 'ok'}]})
    # Off (the default): no call, no space.
    out = run_json(agent, 'when do tomatoes ripen?')
    assert out['space_id'] is None
    with open(agent.path('config.toml'), 'a') as f:
        f.write('[spaces]\nclassify = true\n')
    out = run_json(agent, 'when do tomatoes ripen?')
    assert out['space_id'] == garden
    out = run_json(agent, 'what is a monad?')
    assert out['space_id'] is None
    reqs = chat_requests(agent)
    assert [q['headers'].get('x-oxios-phase') for q in reqs] == [
        'chat', 'space', 'chat', 'space', 'chat']
    ask = texts(reqs[1])
    assert 'Garden: growing vegetables' in ask and 'tomatoes' in ask
