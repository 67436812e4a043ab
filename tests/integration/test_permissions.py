"""Agent permissions: templates and grants per agent profile narrow
what the model is offered and what each call may do (docs/security.md,
"Agent permissions").

The commands the scripted model asks for are harmless even if the policy
had a bug (`git status` in an empty workspace, `ls`).
"""
import json
import os

import pytest


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def model_requests(ox):
    return [q for q in ox.fake.requests()
            if q['path'].endswith(('/v1/messages', '/chat/completions'))]


def offered(req):
    return {t['function']['name'] for t in req['body']['tools']}


def tool_results(req):
    return {m['tool_call_id']: m['content'] for m in req['body']['messages']
            if m['role'] == 'tool'}


def audit(ox, *args):
    r = ox.run('audit', 'list', '--json', '--limit', '100000', *args,
               check=0)
    return json.loads(r.stdout)


@pytest.fixture
def pdaemon(llm):
    from conftest import make_daemon
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    d = make_daemon(llm, '[exec]\nallowlist = ["ls", "git"]\n')
    d.fake = llm.fake
    d.start()
    yield d
    d.stop_clean()


def run(d, agent, prompt='go'):
    args = ['run', '--json']
    if agent is not None:
        args += ['--agent', agent]
    r = d.ox.run(*args, prompt, timeout=90)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def test_default_template_is_trusted(pdaemon):
    d = pdaemon
    d.fake.load({'turns': [{'text': 'Hi.'}]})
    run(d, None)
    names = offered(model_requests(d)[0])
    assert {'read', 'write', 'edit', 'ls', 'find', 'grep', 'exec',
            'memory_write', 'memory_search', 'memory_read',
            'agent'} <= names
    st, _, j = d.get('/api/permissions/default')
    assert st == 200, j
    assert j['template'] == 'trusted' and j['default'] is True
    assert j['grants'] == [] and j['rules'] == []
    assert {'resource': 'tool:agent', 'rights': 'd',
            'from': 'trusted'} in j['effective']


def test_worker_profile_offers_no_memory_or_agent(pdaemon):
    d = pdaemon
    st, _, j = d.request('PUT', '/api/permissions/bob',
                         body={'template': 'worker'})
    assert st == 200, j
    assert j['agent'] == 'bob' and j['template'] == 'worker'
    assert j['default'] is False
    d.fake.load({'turns': [{'text': 'Hi.'}]})
    run(d, 'bob')
    names = offered(model_requests(d)[0])
    assert {'read', 'write', 'edit', 'ls', 'find', 'grep', 'exec'} <= names
    assert not {n for n in names if n.startswith('memory_')}, names
    assert 'agent' not in names
    # Another profile keeps the default.
    d.fake.reset()
    d.fake.load({'turns': [{'text': 'Hi.'}]})
    run(d, 'carol')
    assert 'memory_write' in offered(model_requests(d)[0])
    # The write was audited, by the API's actor.
    ent = audit(d.ox, '--action', 'permission_change')
    assert [(e['actor'], e['resource'], e['detail']['op'],
             e['detail']['template']) for e in ent] == [
        ('token:admin', 'permissions:bob', 'set', 'worker')]


def test_exec_ls_only_refuses_git_with_the_missing_right(pdaemon):
    d = pdaemon
    st, _, j = d.request('PUT', '/api/permissions/dave', body={
        'template': 'minimal',
        'grants': [{'resource': 'exec:ls', 'rights': 'x'}]})
    assert st == 200, j
    d.fake.load({'turns': [
        {'tool_calls': [call('exec', 'e1', binary='git', args=['status'])]},
        {'tool_calls': [call('exec', 'e2', binary='ls', args=['-a'])]},
        {'text': 'Done.'}]})
    out = run(d, 'dave')
    reqs = model_requests(d)
    names = offered(reqs[0])
    assert 'write' not in names and 'memory_read' not in names
    exec_desc = [t['function']['description'] for t in reqs[0]['body']['tools']
                 if t['function']['name'] == 'exec'][0]
    assert 'Allowed programs: ls.' in exec_desc
    assert 'git' not in exec_desc.split('Allowed programs:')[1]
    why = ("permission denied: agent profile 'dave' (template minimal) has "
           "no execute right on exec:git")
    res = tool_results(reqs[1])['e1']
    assert why in res, res
    res = tool_results(reqs[2])['e2']
    assert 'permission denied' not in res and 'error' not in res, res
    denied = audit(d.ox, '--action', 'access_denied')
    assert [(e['actor'], e['resource'], e['detail']) for e in denied] == [
        ('agent:' + out['agent_id'], 'exec', {'why': why})]


def test_sub_agent_runs_under_its_parents_chain(pdaemon):
    d = pdaemon
    # A trusted profile may delegate; its child's chain is [erin, erin],
    # so it keeps what both grant (test_policy.c covers a narrower
    # parent: the child never exceeds it).
    st, _, j = d.request('PUT', '/api/permissions/erin', body={
        'template': 'trusted'})
    assert st == 200, j
    d.fake.load({'turns': [
        {'tool_calls': [call('agent', 'a1', task='list the files')]},
        {'tool_calls': [call('ls', 'k1', path='.')]},
        {'text': 'Nothing here.'},
        {'text': 'The sub-agent found nothing.'}]})
    run(d, 'erin')
    reqs = model_requests(d)
    assert 'agent' in offered(reqs[0])
    assert 'memory_write' in offered(reqs[1])  # the child's request


def test_cli_and_rest_agree(pdaemon):
    d = pdaemon
    ox = d.ox
    r = ox.run('permissions', 'set', 'fay', '--template', 'standard',
               '--grant', 'exec:git=x', '--grant', 'path:./docs//**=rw',
               timeout=30)
    assert r.returncode == 0, r.stderr
    assert "permissions of agent profile 'fay' set" in r.stdout
    st, _, rest = d.get('/api/permissions/fay')
    assert st == 200
    r = ox.run('permissions', 'show', 'fay', '--json', timeout=30)
    assert json.loads(r.stdout) == rest
    assert rest['grants'] == [{'resource': 'exec:git', 'rights': 'x'},
                              {'resource': 'path:docs/**', 'rights': 'rw'}]
    assert rest['effective'][-1] == {'resource': 'path:docs/**',
                                     'rights': 'rw', 'from': 'grant'}
    st, _, ov = d.get('/api/security/permissions')
    assert st == 200
    assert ov['default_template'] == 'trusted'
    assert [t['name'] for t in ov['templates']] == [
        'minimal', 'worker', 'standard', 'trusted', 'supervisor']
    assert [p['agent'] for p in ov['principals']] == ['fay']
    r = ox.run('permissions', 'show', '--json', timeout=30)
    assert json.loads(r.stdout)['principals'] == ov['principals']
    r = ox.run('permissions', 'templates', '--json', timeout=30)
    assert json.loads(r.stdout) == ov['templates']

    # Refusals: clear, nothing written.
    for body, err in (
            ({'template': 'root'}, "unknown template 'root'"),
            ({'template': 'worker', 'grants': [{'resource': 'exec:/bin/sh',
                                                'rights': 'x'}]},
             'grants[0]: resource'),
            ({'template': 'worker', 'grants': {}}, 'grants: an array'),
            ({'template': 'worker', 'extra': 1}, "unknown member 'extra'"),
            ({}, 'template must be a string')):
        st, _, j = d.request('PUT', '/api/permissions/fay', body=body)
        assert st == 400, (body, j)
        assert err in json.dumps(j), (body, j)
    st, _, j = d.request('PUT', '/api/permissions/bad%20name',
                         body={'template': 'worker'})
    assert st == 400
    r = ox.run('permissions', 'set', 'fay', '--template', 'worker',
               '--grant', 'exec:git=q', timeout=30)
    assert r.returncode == 1
    assert 'rights must be a string of distinct letters' in r.stderr

    # Reset over REST, then the CLI finds nothing to reset.
    st, _, j = d.request('DELETE', '/api/permissions/fay')
    assert st == 200 and j['default'] is True and j['template'] == 'trusted'
    st, _, j = d.request('DELETE', '/api/permissions/fay')
    assert st == 404 and 'no_permissions' in json.dumps(j)
    r = ox.run('permissions', 'reset', 'fay', timeout=30)
    assert r.returncode == 1 and 'no permissions of its own' in r.stderr
    ops = [e['detail']['op'] for e in
           audit(ox, '--action', 'permission_change')]
    assert ops == ['set', 'reset']


def test_default_template_from_config(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n'
                     '[security]\ndefault_template = "worker"\n')
    llm.fake.load({'turns': [{'text': 'Hi.'}]})
    r = llm.run('run', '--json', 'go', timeout=90)
    assert r.returncode == 0, r.stderr
    names = offered(model_requests(llm)[0])
    assert 'exec' in names and 'memory_write' not in names
    assert 'agent' not in names
    r = llm.run('permissions', 'show', 'x', '--json', timeout=30)
    assert json.loads(r.stdout)['template'] == 'worker'


def test_shell_mode_needs_exec_shell(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n'
                     '[exec]\nallowlist = ["ls"]\nallow_shell = true\n')

    def exec_schema(agent):
        llm.fake.reset()
        llm.fake.load({'turns': [{'text': 'Hi.'}]})
        r = llm.run('run', '--json', '--agent', agent, 'go', timeout=90)
        assert r.returncode == 0, r.stderr
        tools = model_requests(llm)[0]['body']['tools']
        return [t['function'] for t in tools
                if t['function']['name'] == 'exec'][0]

    r = llm.run('permissions', 'set', 'nosh', '--template', 'minimal',
                '--grant', 'exec:ls=x', timeout=30)
    assert r.returncode == 0, r.stderr
    f = exec_schema('nosh')
    assert 'command' not in f['parameters']['properties']
    assert 'Shell mode is allowed' not in f['description']
    # The default template (trusted) keeps the shell mode.
    f = exec_schema('withsh')
    assert 'command' in f['parameters']['properties']
    assert 'Shell mode is allowed' in f['description']
