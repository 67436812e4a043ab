"""Personas (docs/agents.md, "Personas"): the persona's prompt reaches the
provider as the system message for run and chat, --persona and
/persona, the persona's model, its tools allow-list narrowing what the
model is offered, the session keeping its persona, REST and CLI
agreeing, roles and the audit."""
import asyncio
import json
import os

import pytest

from conftest import make_daemon
from test_daemon import ws_chat


PIRATE = 'Talk like a pirate, always.'


def model_requests(fake):
    return [q for q in fake.requests()
            if q['path'].endswith(('/v1/messages', '/chat/completions'))]


def system(req):
    msgs = req['body']['messages']
    assert msgs[0]['role'] == 'system', msgs[0]
    return msgs[0]['content']


def offered(req):
    return {t['function']['name'] for t in req['body'].get('tools', [])}


@pytest.fixture
def pllm(llm):
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    return llm


def create_pirate(ox, *extra):
    r = ox.run('persona', 'create', 'Pirate', '--prompt', PIRATE,
               '--role', 'sea dog', '--trait', 'salty', *extra)
    assert r.returncode == 0, r.stderr
    assert 'persona Pirate created' in r.stdout


def run(ox, *args):
    r = ox.run('run', '--local', '--json', *args, timeout=90)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def test_run_persona_prompt_model_tools(pllm):
    ox = pllm
    create_pirate(ox, '--model', 'openai/gpt-pirate', '--tool', 'read',
                  '--tool', 'ls')
    ox.fake.load({'turns': [{'text': 'Arr.'}, {'text': 'Aye.'},
                            {'text': 'Done.'}]})
    j = run(ox, '--persona', 'pirate', 'hello')
    assert j['persona'] == 'Pirate', j
    req = model_requests(ox.fake)[-1]
    s = system(req)
    assert s.startswith(PIRATE + '\nYour role: sea dog.'), s
    assert 'Your workspace is' in s
    assert 'You are an Oxios agent' not in s
    assert req['body']['model'] == 'gpt-pirate'
    assert offered(req) == {'read', 'ls'}
    # The session keeps its persona: the next run of it takes it again.
    run(ox, '--session', j['session_id'], 'again')
    req = model_requests(ox.fake)[-1]
    assert system(req).startswith(PIRATE)
    r = ox.run('persona', 'show', '--session', j['session_id'], '--json')
    assert json.loads(r.stdout)['name'] == 'Pirate'
    # A new run without one: the default, Dev, all tools, the default
    # model; a model named on the command line beats the persona's.
    run(ox, 'plain')
    req = model_requests(ox.fake)[-1]
    assert system(req).startswith('You are Dev, an Oxios agent')
    assert req['body']['model'] == 'gpt-4.1'
    assert {'read', 'write', 'edit', 'exec'} <= offered(req)


def test_run_persona_model_yields_to_model_flag(pllm):
    ox = pllm
    create_pirate(ox, '--model', 'openai/gpt-pirate')
    ox.fake.load({'turns': [{'text': 'Arr.'}]})
    run(ox, '--persona', 'Pirate', '--model', 'openai/gpt-4.1-mini', 'hi')
    req = model_requests(ox.fake)[-1]
    assert req['body']['model'] == 'gpt-4.1-mini'
    assert system(req).startswith(PIRATE)


def test_default_persona_and_unknown(pllm):
    ox = pllm
    r = ox.run('persona', 'use', 'review')
    assert r.returncode == 0 and 'Review is now the default' in r.stdout
    ox.fake.load({'turns': [{'text': 'Looks fine.'}]})
    run(ox, 'check it')
    req = model_requests(ox.fake)[-1]
    assert system(req).startswith('You are Review')
    # Review may not write: the allow-list narrows the offer.
    assert 'write' not in offered(req) and 'edit' not in offered(req)
    assert 'read' in offered(req)
    r = ox.run('run', '--local', '--persona', 'ghost', 'hi', timeout=60)
    assert r.returncode == 1
    assert "no persona 'ghost'" in r.stderr
    r = ox.run('run', '--persona', 'bad name', 'hi', timeout=60)
    assert r.returncode == 2 and 'letters, digits' in r.stderr


def test_persona_template_for_profiles_without_permissions(pllm):
    """A persona's capability template applies to a profile without
    permissions of its own; a profile with its own keeps them."""
    ox = pllm
    r = ox.run('persona', 'create', 'Sandy', '--prompt', 'Work carefully.',
               '--template', 'worker')
    assert r.returncode == 0, r.stderr
    r = ox.run('persona', 'show', 'sandy')
    assert 'capability template: worker' in r.stdout, r.stdout
    r = ox.run('persona', 'create', 'Bad', '--prompt', 'x', '--template',
               'root')
    assert r.returncode != 0 and 'capability template' in r.stderr
    ox.fake.load({'turns': [{'text': 'a'}, {'text': 'b'}, {'text': 'c'}]})
    run(ox, '--persona', 'sandy', 'hello')
    got = offered(model_requests(ox.fake)[-1])
    assert 'write' in got, got
    assert not {t for t in got if t.startswith('memory_')}, got
    assert 'agent' not in got, got
    # Without the persona: the default template (trusted) again.
    run(ox, 'hello')
    assert 'memory_write' in offered(model_requests(ox.fake)[-1])
    # A profile with permissions of its own keeps them.
    r = ox.run('permissions', 'set', 'ops', '--template', 'trusted')
    assert r.returncode == 0, r.stderr
    run(ox, '--agent', 'ops', '--persona', 'sandy', 'hello')
    assert 'memory_write' in offered(model_requests(ox.fake)[-1])


def test_chat_persona_flag_and_command(pllm):
    ox = pllm
    create_pirate(ox)
    ox.fake.load({'turns': [{'text': 'one'}, {'text': 'two'},
                            {'text': 'three'}]})
    r = ox.run('chat', '--local', '--persona', 'Pirate',
               stdin='first\n/persona\n/persona Research\nsecond\n'
                     '.persona review\nthird\n/persona ghost\n/bogus\n'
                     '/etc/hosts is a file\n/quit\n', timeout=90)
    assert r.returncode == 0, r.stderr
    reqs = model_requests(ox.fake)
    assert system(reqs[0]).startswith(PIRATE)
    assert 'persona Pirate\n' in r.stdout
    assert 'persona Research\n' in r.stdout
    assert system(reqs[1]).startswith('You are Research')
    assert system(reqs[2]).startswith('You are Review')
    assert 'no persona ghost' in r.stdout
    assert 'unknown command /bogus' in r.stdout
    # A line starting with a path is a message, not a command.
    assert len(reqs) == 4
    assert [m['content'] for m in reqs[3]['body']['messages']
            if m['role'] == 'user'][-1] == '/etc/hosts is a file'
    # The old . forms still work.
    r = ox.run('chat', '--local', stdin='.help\n/help\n')
    assert r.stdout.count('/persona [NAME]') == 2


@pytest.fixture
def pdaemon(pllm):
    d = make_daemon(pllm)
    d.fake = pllm.fake
    d.start()
    yield d
    d.stop_clean()


def test_daemon_run_chat_and_rest(pdaemon):
    d = pdaemon
    ox = d.ox
    d.fake.load({'turns': [{'text': 'Arr.'}, {'text': 'Aye.'},
                           {'text': 'Hm.'}, {'text': 'Ho.'}]})
    # REST: create, then run through the daemon with --persona.
    st, _, p = d.post('/api/personas', {'name': 'Pirate', 'prompt': PIRATE,
                                        'tools': ['read'],
                                        'traits': ['salty']})
    assert st == 201, p
    assert p['id'] == 'pirate' and p['builtin'] is False
    r = ox.run('run', '--json', '--persona', 'Pirate', 'hi', timeout=90)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['persona'] == 'Pirate', r.stdout
    req = model_requests(d.fake)[-1]
    assert system(req).startswith(PIRATE)
    assert offered(req) == {'read'}
    # oxios chat through the daemon: /persona reaches the run.
    r = ox.run('chat', stdin='/persona pirate\nahoy\n', timeout=90)
    assert r.returncode == 0, r.stderr
    assert system(model_requests(d.fake)[-1]).startswith(PIRATE)
    # POST /api/chat with "persona".
    st, _, j = d.post('/api/chat', {'content': 'hello', 'persona': 'research'},
                      timeout=60)
    assert st == 200, j
    assert system(model_requests(d.fake)[-1]).startswith('You are Research')
    st, _, a = d.get('/api/personas/active?session_id=' + j['session_id'])
    assert st == 200 and a['persona'] == 'Research'
    st, _, sess = d.get('/api/sessions/' + j['session_id'])
    assert st == 200 and sess['persona'] == 'Research'
    # The WebSocket chat takes "persona" too.
    got = asyncio.run(ws_chat(d, [{'type': 'message', 'content': 'hey',
                                   'persona': 'Review'}]))
    assert got[-1]['type'] == 'done', got[-1]
    assert system(model_requests(d.fake)[-1]).startswith('You are Review')
    got = asyncio.run(ws_chat(d, [{'type': 'message', 'content': 'hey',
                                   'persona': 'ghost'}]))
    assert got[-1]['type'] == 'error' and 'no persona ghost' in json.dumps(
        got[-1])
    st, _, e = d.post('/api/chat', {'content': 'x', 'persona': 'ghost'})
    assert st == 404 and 'no persona ghost' in json.dumps(e)
    st, _, e = d.post('/api/chat', {'content': 'x', 'persona': 'a b'})
    assert st == 400


def test_rest_and_cli_agree(pdaemon):
    d = pdaemon
    ox = d.ox
    st, _, l = d.get('/api/personas')
    assert st == 200
    assert [p['name'] for p in l['personas']] == ['Dev', 'Review',
                                                  'Research']
    r = ox.run('persona', 'list', '--json')
    assert json.loads(r.stdout) == l['personas']
    st, _, p = d.get('/api/personas/REVIEW')
    assert st == 200 and p['name'] == 'Review'
    r = ox.run('persona', 'show', 'review', '--json')
    assert json.loads(r.stdout) == dict(p, default=False)
    # Edit a shipped one, then take the edits back.
    st, _, p = d.request('PUT', '/api/personas/dev',
                         body={'prompt': 'Other words.'})
    assert st == 200 and p['prompt'] == 'Other words.'
    assert p['name'] == 'Dev'  # its spelling kept
    r = ox.run('persona', 'show', 'dev', '--json')
    assert json.loads(r.stdout)['prompt'] == 'Other words.'
    assert json.loads(r.stdout)['edited'] is True
    st, _, j = d.request('DELETE', '/api/personas/dev')
    assert st == 200
    st, _, j = d.request('DELETE', '/api/personas/dev')
    assert st == 409 and 'persona_builtin' in json.dumps(j)
    # The default: PUT active, seen by the CLI; and back by the CLI.
    st, _, a = d.request('PUT', '/api/personas/active',
                         body={'persona': 'research'})
    assert st == 200 and a['persona'] == 'Research'
    r = ox.run('persona', 'list')
    assert '* Research' in r.stdout
    ox.run('persona', 'use', 'Dev', check=0)
    st, _, a = d.get('/api/personas/active')
    assert a == {'persona': 'Dev', 'default': 'Dev'}
    # Refusals.
    for body, code, err in (
            ({'name': 'x'}, 400, "'prompt' is missing"),
            ({'name': 'x y', 'prompt': 'p'}, 400, 'letters, digits'),
            ({'name': 'x', 'prompt': 'p', 'model': 'gpt'}, 400,
             'provider/model'),
            ({'name': 'x', 'prompt': 'p' * 16385}, 400, 'longer than'),
            ({'name': 'x', 'prompt': 'p', 'traits': ['t'] * 33}, 400,
             'more than 32'),
            ({'name': 'Dev', 'prompt': 'p'}, 409, 'persona_exists')):
        st, _, j = d.post('/api/personas', body)
        assert st == code, (body, j)
        assert err in json.dumps(j), (body, j)
    st, _, j = d.request('PUT', '/api/personas/nobody', body={'prompt': 'p'})
    assert st == 404
    st, _, j = d.request('PUT', '/api/personas/active',
                         body={'persona': 'ghost'})
    assert st == 404
    st, _, j = d.get('/api/personas/active?session_id=nope')
    assert st == 404
    # Audited as config_change, with the actors.
    r = ox.run('audit', 'list', '--json', '--action', 'config_change',
               '--limit', '1000')
    entries = [e for e in json.loads(r.stdout)
               if e['resource'].startswith('persona:')]
    assert [e['detail']['op'] for e in entries] == ['edit', 'delete', 'use',
                                                    'use']
    assert entries[0]['actor'].startswith('token:')
    assert entries[-1]['actor'] == 'user'


def test_roles(pdaemon):
    from test_rbac import mint
    d = pdaemon
    viewer, operator = mint(d, 'viewer'), mint(d, 'operator')
    st, _, _ = d.get('/api/personas', token=viewer)
    assert st == 200
    st, _, _ = d.request('PUT', '/api/personas/active',
                         body={'persona': 'review'}, token=viewer)
    assert st == 403
    st, _, _ = d.request('PUT', '/api/personas/active',
                         body={'persona': 'review'}, token=operator)
    assert st == 200
    st, _, _ = d.post('/api/personas', {'name': 'x', 'prompt': 'p'},
                      token=operator)
    assert st == 403
    st, _, _ = d.request('DELETE', '/api/personas/review', token=operator)
    assert st == 403
