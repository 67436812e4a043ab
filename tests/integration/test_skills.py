"""Skills (docs/skills.md) with the real binary and the fake LLM: the
index in the first request lists ready, enabled skills only; the model
calls `skill` and the body (and a file beside it) reaches it in the next
request; REST and the CLI agree; install, enable, disable and delete."""
import json
import os

import pytest

from conftest import make_daemon


def mint(d, role):
    st, _, j = d.post('/api/tokens', {'name': role, 'role': role})
    assert st == 201, (st, j)
    return j['token']

READY = """---
name: deploy
description: Deploy the site to the staging host.
metadata: {"openclaw": {"requires": {"anyBins": ["sh", "bash"],},},}
---
# Deploy
Run the DEPLOY-BODY-MARKER steps; read notes.md first.
"""

NEEDS = """---
name: needs-tool
description: Needs a program nobody has.
requires:
  bins: [oxios-no-such-program]
install:
  - kind: apt
    package: oxios-no-such-program
---
NEEDS-BODY-MARKER
"""

OFF = """---
description: Turned off by the user.
---
OFF-BODY-MARKER
"""


def put(root, name, text, files=None):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'SKILL.md'), 'w') as f:
        f.write(text)
    for rel, body in (files or {}).items():
        with open(os.path.join(d, rel), 'w') as f:
            f.write(body)


@pytest.fixture
def agent(llm):
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n')
    put(os.path.join(llm.ws, 'skills'), 'deploy', READY,
        {'notes.md': 'NOTES-FILE-MARKER\n'})
    put(llm.path('skills'), 'needs-tool', NEEDS)
    put(llm.path('skills'), 'off-skill', OFF)
    put(llm.path('skills'), 'broken', '---\nname: [unclosed\n---\n')
    llm.run('skill', 'disable', 'off-skill', check=0)
    return llm


def call(tool, cid, **args):
    return {'id': cid, 'name': tool, 'arguments': args}


def model_requests(ox):
    return [q for q in ox.fake.requests()
            if q['path'].endswith('/chat/completions')]


def tool_results(req):
    return {m['tool_call_id']: m['content'] for m in req['body']['messages']
            if m['role'] == 'tool'}


def system_of(req):
    return '\n'.join(m['content'] for m in req['body']['messages']
                     if m['role'] == 'system')


def test_index_and_the_skill_tool(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('skill', 'c1', name='deploy')]},
        {'tool_calls': [call('skill', 'c2', name='deploy', file='notes.md'),
                        call('skill', 'c3', name='deploy',
                             file='../needs-tool/SKILL.md'),
                        call('skill', 'c4', name='needs-tool'),
                        call('skill', 'c5', name='off-skill')]},
        {'text': 'Deployed.'}]})
    r = agent.run('run', '--json', 'deploy the site')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['response'] == 'Deployed.'
    reqs = model_requests(agent)
    assert len(reqs) == 3
    system = system_of(reqs[0])
    assert '# Skills' in system
    assert '- deploy: Deploy the site to the staging host.' in system
    assert '- debug: ' in system  # a bundled one
    assert 'needs-tool' not in system
    assert 'off-skill' not in system
    assert 'broken' not in system
    assert 'skill' in {t['function']['name'] for t in reqs[0]['body']['tools']}
    assert 'DEPLOY-BODY-MARKER' in tool_results(reqs[1])['c1']
    res = tool_results(reqs[2])
    assert 'NOTES-FILE-MARKER' in res['c2']
    assert 'NEEDS-BODY-MARKER' not in res['c3']
    assert "no skill 'needs-tool' is available" in res['c4']
    assert 'OFF-BODY-MARKER' not in res['c5']


def test_cli_lists_every_skill(agent):
    r = agent.run('skills', check=0)
    assert 'broken/SKILL.md:3: ' in r.stderr
    assert 'flow sequence started at line 2' in r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()
             if not ln.startswith(' ')}
    assert 'ready' in lines['deploy'] and 'workspace' in lines['deploy']
    assert 'needs-setup' in lines['needs-tool']
    assert 'disabled' in lines['off-skill']
    assert 'bundled' in lines['code-review']
    assert "the program 'oxios-no-such-program' is not on PATH" in r.stdout
    assert 'apt install oxios-no-such-program' in r.stdout
    out = json.loads(agent.run('skills', '--json', check=0).stdout)
    assert out['errors'][0]['path'].endswith('broken/SKILL.md')
    r = agent.run('skill', 'deploy', check=0)
    assert 'source:      workspace' in r.stdout
    assert 'DEPLOY-BODY-MARKER' in r.stdout
    assert agent.run('skill', 'nope').returncode == 1
    assert agent.run('skill').returncode == 2


def test_rest_agrees_with_the_cli_and_installs(agent):
    d = make_daemon(agent)
    d.fake = agent.fake
    d.start()
    try:
        st, _, body = d.get('/api/skills')
        assert st == 200
        cli = json.loads(agent.run('skills', '--json', check=0).stdout)
        assert [(s['name'], s['status'], s['source'])
                for s in body['skills']] == \
            [(s['name'], s['status'], s['source']) for s in cli['skills']]
        st, _, one = d.get('/api/skills/needs-tool')
        assert st == 200 and one['status'] == 'needs-setup'
        assert 'oxios-no-such-program' in one['reason']
        assert 'body' not in one
        st, _, c = d.get('/api/skills/deploy/content')
        assert st == 200 and 'DEPLOY-BODY-MARKER' in c['body']
        assert d.get('/api/skills/nope')[0] == 404

        # install into the user source, with a file
        new = '---\nname: fresh\ndescription: Brand new.\n---\nFRESH\n'
        st, _, s = d.post('/api/skills', {'name': 'fresh', 'content': new,
                                          'files': {'ref/a.md': 'A'}})
        assert st == 201, s
        assert s['source'] == 'user' and s['status'] == 'ready'
        with open(agent.path('skills', 'fresh', 'ref', 'a.md')) as f:
            assert f.read() == 'A'
        st, _, e = d.post('/api/skills', {'name': 'bad',
                                          'content': '---\nx: [\n---\n'})
        assert st == 400 and e['error']['code'] == 'invalid_skill'
        assert 'SKILL.md:3: ' in e['error']['message']
        st, _, e = d.post('/api/skills', {'name': 'x', 'content': '---\n---\n',
                                          'files': {'../out': 'x'}})
        assert st == 400
        assert not os.path.exists(agent.path('skills', 'out'))

        # disable, then enable: the CLI sees it; changed after an edit
        st, _, s = d.post('/api/skills/fresh/disable')
        assert st == 200 and s['status'] == 'disabled'
        r = agent.run('skill', 'fresh', check=0)
        assert 'status:      disabled' in r.stdout
        st, _, s = d.post('/api/skills/fresh/enable')
        assert st == 200 and s['status'] == 'ready' and not s['changed']
        with open(agent.path('skills', 'fresh', 'SKILL.md'), 'a') as f:
            f.write('more\n')
        assert d.get('/api/skills/fresh')[2]['changed'] is True

        # delete: user source only
        assert d.request('DELETE', '/api/skills/deploy')[0] == 404
        st, _, s = d.request('DELETE', '/api/skills/fresh')
        assert st == 200 and s == {'name': 'fresh', 'deleted': True}
        assert d.get('/api/skills/fresh')[0] == 404

        # audited (action other, resource skill:NAME, detail op)
        st, _, j = d.get('/api/audit/entries?limit=500')
        assert st == 200
        ops = [(e['resource'], e['detail']['op']) for e in j['entries']
               if e['resource'].startswith('skill:')]
        assert ops == [('skill:off-skill', 'disable'),
                       ('skill:fresh', 'install'),
                       ('skill:fresh', 'disable'), ('skill:fresh', 'enable'),
                       ('skill:fresh', 'delete')]

        # roles: a viewer reads, an operator enables, only an admin installs
        viewer = mint(d, 'viewer')
        operator = mint(d, 'operator')
        assert d.get('/api/skills', token=viewer)[0] == 200
        assert d.get('/api/skills/debug/content', token=viewer)[0] == 200
        assert d.post('/api/skills/debug/disable', token=viewer)[0] == 403
        assert d.post('/api/skills/debug/disable', token=operator)[0] == 200
        assert d.post('/api/skills/debug/enable', token=operator)[0] == 200
        assert d.post('/api/skills', {'name': 'x', 'content': '---\n---\n'},
                      token=operator)[0] == 403
        assert d.request('DELETE', '/api/skills/x', token=operator)[0] == 403
    finally:
        d.stop_clean()
