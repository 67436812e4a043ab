"""Budgets: a call that would pass one is refused before it is sent.

The gate reserves an estimate before each LLM call (the request's
characters / 4 in, engine.max_tokens out) and settles the real usage
after; the ledger is in SQLite, so a limit holds across processes.  See
docs/governance.md, "Budgets".
"""
import json
import os
import sqlite3

import pytest

# Three calls: two tool calls, then the answer.  Each says it used 5950
# tokens, so a budget of 6000 admits the first and refuses the second.
THREE_CALLS = {'turns': [
    {'tool_calls': [{'id': 'c1', 'name': 'ls', 'arguments': {'path': '.'}}],
     'usage': {'input_tokens': 5900, 'output_tokens': 50}},
    {'tool_calls': [{'id': 'c2', 'name': 'ls', 'arguments': {}}],
     'usage': {'input_tokens': 5900, 'output_tokens': 50}},
    {'text': 'Done.', 'usage': {'input_tokens': 5900, 'output_tokens': 50}},
]}


@pytest.fixture
def agent(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.base_config = ('[engine]\nretry_base_ms = 20\nmax_tokens = 100\n'
                       'default_model = "anthropic/claude-sonnet-4-5"\n')
    llm.write_config(llm.base_config)
    return llm


def model_requests(agent):
    return [q for q in agent.fake.requests()
            if q['path'].endswith(('/v1/messages', '/chat/completions'))]


def test_run_budget_tokens_stops_before_the_second_call(agent):
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', '--budget-tokens', '6000', 'list it',
                  timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'budget', out
    assert out['exit_code'] == 1
    assert out['stop_detail'] == (
        "budget: this run's token budget (6000) would be exceeded: 5950 "
        "used, this call may need %s" % out['stop_detail'].rsplit(' ', 1)[1])
    assert int(out['stop_detail'].rsplit(' ', 1)[1]) > 100
    assert out['iterations'] == 1 and out['tool_calls'] == 1
    assert len(model_requests(agent)) == 1  # the second was never sent

    # Without --json: the error on stderr names the budget.
    agent.fake.reset()
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--budget-tokens', '6000', 'list it', timeout=60)
    assert r.returncode == 1
    assert ("run stopped (budget): budget: this run's token budget (6000) "
            "would be exceeded: 5950 used" in r.stderr), r.stderr
    assert len(model_requests(agent)) == 1

    # A budget large enough lets the run finish.
    agent.fake.reset()
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', '--budget-tokens', '100000', 'list it',
                  timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['stop_reason'] == 'done'
    assert len(model_requests(agent)) == 3


def test_max_tokens_per_run_from_config(agent):
    agent.write_config(agent.base_config +
                       '\n[budget]\nmax_tokens_per_run = 6000\n')
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', 'list it', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'budget'
    assert out['stop_detail'].startswith(
        'budget: the token budget of a run (budget.max_tokens_per_run = '
        '6000) would be exceeded: 5950 used, this call may need ')
    assert len(model_requests(agent)) == 1
    assert 'not yet enforced' not in r.stderr


def test_daily_usd_refuses_once_spent(agent):
    # claude-sonnet-4-5: $3 in, $15 out per million: 15000 in and 100 out
    # cost $0.0465; the next call's estimate does not fit in $0.05.
    agent.write_config(agent.base_config + '\n[budget]\ndaily_usd = 0.05\n')
    agent.fake.load({'turns': [
        {'text': 'First.', 'usage': {'input_tokens': 15000,
                                     'output_tokens': 100}},
        {'text': 'Second.'}]})
    r = agent.run('run', '--json', 'one', timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['response'] == 'First.'
    # Another process, the same ledger.
    r = agent.run('run', '--json', 'two', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'budget'
    assert out['stop_detail'].startswith(
        'budget: the daily USD budget (budget.daily_usd = $0.0500) would be '
        'exceeded: $0.0465 used today (UTC), this call may cost $')
    assert len(model_requests(agent)) == 1
    assert agent.fake.state()['remaining_turns'] == 1


def test_usd_budget_with_an_unpriced_model_fails_closed(agent):
    agent.fake.load({'turns': [{'text': 'never'}]})
    r = agent.run('run', '--json', '--model', 'openai/unpriced-model',
                  '--budget-usd', '1', 'hi', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'budget'
    assert out['stop_detail'] == (
        "budget: openai/unpriced-model has no price, so this run's USD "
        "budget (--budget-usd) cannot be enforced; the call is refused")
    assert model_requests(agent) == []
    # A token budget needs no price.
    r = agent.run('run', '--json', '--model', 'openai/unpriced-model',
                  '--budget-tokens', '100000', 'hi', timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['response'] == 'never'


@pytest.mark.parametrize('flag,value', [
    ('--budget-tokens', '0'), ('--budget-tokens', '12x'),
    ('--budget-usd', '-1'), ('--budget-usd', 'nan'), ('--budget-usd', '')])
def test_bad_budget_flags(agent, flag, value):
    r = agent.run('run', flag, value, 'hi', timeout=30)
    assert r.returncode == 2
    assert 'run: %s wants' % flag in r.stderr
    assert model_requests(agent) == []


# ---- budgets of agent principals (--agent NAME), sessions, calls ----

def budget(agent, *args):
    r = agent.run('budget', *args, timeout=30)
    return r


def test_agent_budget_refuses_before_the_call_other_agent_unaffected(agent):
    r = budget(agent, 'set', 'alice', '--tokens', '6000')
    assert r.returncode == 0, r.stderr
    assert "budget of agent 'alice' set" in r.stdout
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--agent', 'alice', 'list it', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert ("run stopped (budget): budget: the lifetime budget of agent "
            "'alice' (6000 tokens) would be exceeded: 5950 used, this call "
            "may need " in r.stderr), r.stderr
    assert len(model_requests(agent)) == 1  # the second was never sent

    # Another agent (and the default one) is not limited by alice's.
    agent.fake.reset()
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', '--agent', 'bob', 'list it', timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'done' and out['agent'] == 'bob'
    assert len(model_requests(agent)) == 3
    con = sqlite3.connect(agent.path('oxios.db'))
    rows = con.execute('SELECT principal, status, COUNT(*) FROM llm_calls '
                       'GROUP BY principal, status ORDER BY 1, 2').fetchall()
    led = con.execute('SELECT principal, SUM(calls) FROM budget_ledger '
                      'GROUP BY principal ORDER BY 1').fetchall()
    con.close()
    # alice: one call sent, one refused (recorded, status budget).
    assert ('alice', 'budget', 1) in rows and ('bob', 'ok', 3) in rows, rows
    assert len(rows) == 3, rows
    assert led == [('alice', 1), ('bob', 3)], led

    # The spend is the agent's: show and list count it.
    r = budget(agent, 'show', 'alice', '--json')
    assert r.returncode == 0, r.stderr
    a = json.loads(r.stdout)
    assert a['limits'] == {'tokens': 6000, 'calls': 0, 'usd': 0.0,
                           'window': 'lifetime'}
    assert a['spent']['tokens'] == 5950 and a['spent']['calls'] == 1
    assert a['reserved'] == {'tokens': 0, 'calls': 0, 'usd': 0.0}
    r = budget(agent, 'list', '--json')
    lst = json.loads(r.stdout)
    names = {x['agent']: x for x in lst['agents']}
    assert set(names) == {'alice', 'bob'}
    assert names['bob']['limits'] is None
    assert names['bob']['spent'] == {'tokens': 17850, 'calls': 3,
                                     'usd': names['bob']['spent']['usd']}
    r = budget(agent, 'list')
    assert 'alice' in r.stdout and '5950 / 6000' in r.stdout, r.stdout

    # A reset starts the window anew: the next run gets its first call.
    r = budget(agent, 'reset', 'alice')
    assert r.returncode == 0 and 'reset' in r.stdout
    agent.fake.reset()
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', '--agent', 'alice', 'list it', timeout=60)
    assert r.returncode == 1
    assert json.loads(r.stdout)['stop_reason'] == 'budget'
    assert len(model_requests(agent)) == 1
    a = json.loads(budget(agent, 'show', 'alice', '--json').stdout)
    assert a['spent']['tokens'] == 5950 and a['reset_at'] > 0
    assert a['window_start'] == a['reset_at']

    # Unset: no limit any more.
    assert budget(agent, 'unset', 'alice').returncode == 0
    r = budget(agent, 'unset', 'alice')
    assert r.returncode == 1
    assert "agent 'alice' has no budget" in r.stderr
    # Every change is in the audit log.
    r = agent.run('audit', 'list', '--action', 'budget', '--json')
    ops = [e['detail']['op'] for e in json.loads(r.stdout)]
    assert ops == ['set', 'reset', 'unset'], r.stdout


def test_agent_call_budget_per_day(agent):
    assert budget(agent, 'set', 'carol', '--calls', '2', '--window',
                  'day').returncode == 0
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', '--agent', 'carol', 'list it', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'budget'
    assert out['stop_detail'] == (
        "budget: the daily (UTC) budget of agent 'carol' (2 calls) would be "
        "exceeded: 2 calls made")
    assert len(model_requests(agent)) == 2


def test_agent_usd_budget_unpriced_fails_closed(agent):
    assert budget(agent, 'set', 'dave', '--usd', '5').returncode == 0
    agent.fake.load({'turns': [{'text': 'never'}]})
    r = agent.run('run', '--json', '--agent', 'dave', '--model',
                  'openai/unpriced-model', 'hi', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert json.loads(r.stdout)['stop_detail'] == (
        "budget: openai/unpriced-model has no price, so the USD limit of "
        "agent 'dave' cannot be enforced; the call is refused")
    assert model_requests(agent) == []


def test_max_calls_per_run_and_session_budget(agent):
    agent.write_config(agent.base_config +
                       '\n[budget]\nmax_calls_per_run = 2\n')
    agent.fake.load(THREE_CALLS)
    r = agent.run('run', '--json', 'list it', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_detail'] == (
        'budget: the call budget of a run (budget.max_calls_per_run) '
        '(2 calls) would be exceeded: 2 calls made')
    assert len(model_requests(agent)) == 2

    # A session's budget spans its runs.
    agent.write_config(agent.base_config +
                       '\n[budget]\nsession_tokens = 12000\n')
    agent.fake.reset()
    agent.fake.load({'turns': [
        {'text': 'One.', 'usage': {'input_tokens': 5900,
                                   'output_tokens': 50}},
        {'text': 'Two.', 'usage': {'input_tokens': 5900,
                                   'output_tokens': 50}},
        {'text': 'Three.'}]})
    r = agent.run('run', '--json', 'one', timeout=60)
    assert r.returncode == 0, r.stderr
    session = json.loads(r.stdout)['session_id']
    r = agent.run('run', '--json', '--session', session, 'two', timeout=60)
    assert r.returncode == 0, r.stderr
    r = agent.run('run', '--json', '--session', session, 'three', timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert json.loads(r.stdout)['stop_detail'].startswith(
        'budget: the budget of a session (budget.session_tokens, '
        'budget.session_calls, budget.session_usd) (12000 tokens) would be '
        'exceeded: 11900 used, this call may need ')
    # A new session starts from nothing.
    r = agent.run('run', '--json', 'three', timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(model_requests(agent)) == 3

    agent.write_config(agent.base_config +
                       '\n[budget]\nsession_calls = 1\nsession_usd = 10\n')
    agent.fake.reset()
    agent.fake.load({'turns': [{'text': 'One.'}, {'text': 'Two.'}]})
    r = agent.run('run', '--json', 'one', timeout=60)
    session = json.loads(r.stdout)['session_id']
    r = agent.run('run', '--json', '--session', session, 'two', timeout=60)
    assert r.returncode == 1
    assert '(1 calls) would be exceeded: 1 calls made' in \
        json.loads(r.stdout)['stop_detail']
    r = agent.run('run', '--json', '--session', session, '--model',
                  'openai/unpriced-model', 'two', timeout=60)
    assert json.loads(r.stdout)['stop_detail'] == (
        'budget: openai/unpriced-model has no price, so budget.session_usd '
        'cannot be enforced; the call is refused')


@pytest.mark.parametrize('args,err', [
    (['run', '--agent', 'a b', 'hi'], 'run: --agent: invalid agent name'),
    (['run', '--agent', '', 'hi'], 'run: --agent: invalid agent name'),
    (['run', '--agent', 'x' * 65, 'hi'], 'run: --agent: invalid agent name'),
    (['chat', '--agent', 'a/b'], 'chat: --agent: invalid agent name'),
    (['budget', 'set', 'a;b', '--tokens', '1'],
     'budget set: invalid agent name'),
    (['budget', 'set', 'a', '--window', 'week', '--tokens', '1'],
     'budget set: --window is day, month or lifetime'),
    (['budget', 'set', 'a', '--tokens', '-1'], 'budget set: --tokens wants'),
    (['budget', 'set', 'a', '--usd', 'x'], 'budget set: --usd wants'),
    (['budget', 'set', 'a'], 'budget set: give at least one limit'),
    (['budget', 'show'], 'budget show: name one agent'),
    (['budget', 'reset', 'a', '--tokens', '3'], 'budget reset: --tokens is'),
])
def test_bad_agent_and_budget_arguments(agent, args, err):
    r = agent.run(*args, timeout=30)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert err in r.stderr, r.stderr
    assert model_requests(agent) == []


@pytest.fixture
def bdaemon(llm):
    from conftest import make_daemon
    d = make_daemon(llm)
    d.fake = llm.fake
    d.start()
    yield d
    d.stop_clean()


def test_budget_rest_round_trip(bdaemon):
    d = bdaemon
    st, _, j = d.get('/api/budget')
    assert st == 200, j
    assert j['agents'] == []
    assert j['global']['daily']['usd'] == 0.0
    assert set(j['global']) == {'daily', 'monthly', 'per_run',
                                'per_session'}

    st, _, j = d.get('/api/budget/erin')
    assert st == 200 and j['limits'] is None and j['agent'] == 'erin'

    st, _, j = d.post('/api/budget/erin', {'tokens': 5000, 'calls': 10,
                                           'usd': 1.5, 'window': 'month'})
    assert st == 200, j
    assert j['limits'] == {'tokens': 5000, 'calls': 10, 'usd': 1.5,
                           'window': 'month'}
    st, _, j = d.get('/api/budget')
    assert [a['agent'] for a in j['agents']] == ['erin']

    # A hold counts against the budget until it expires.
    st, _, j = d.post('/api/budget/erin/reserve', {'tokens': 4000,
                                                   'usd': 0.5,
                                                   'ttl_secs': 60})
    assert st == 200, j
    assert j['reservation'] > 0 and j['agent'] == 'erin'
    assert j['expires_at'] > 0
    st, _, j = d.get('/api/budget/erin')
    assert j['reserved'] == {'tokens': 4000, 'calls': 0, 'usd': 0.5}
    st, _, j = d.post('/api/budget/erin/reserve', {'tokens': 1001})
    assert st == 402, j
    assert j['error']['code'] == 'budget_exceeded'
    assert j['error']['message'] == (
        "budget: the monthly (UTC) budget of agent 'erin' (5000 tokens) "
        "would be exceeded: 4000 used, this call may need 1001")
    st, _, j = d.post('/api/budget/erin/reserve', {'usd': 1.01})
    assert st == 402 and "($1.5000) would be exceeded" in \
        j['error']['message']
    # Released early, a hold frees the budget at once.
    st, _, h = d.post('/api/budget/erin/reserve', {'tokens': 1000})
    assert st == 200, h
    st, _, j = d.request('DELETE', '/api/budget/erin/reserve/%d' %
                         h['reservation'])
    assert st == 200 and j == {'released': h['reservation']}, j
    for path in ('/api/budget/erin/reserve/%d' % h['reservation'],
                 '/api/budget/other/reserve/%d' % (h['reservation'] - 1),
                 '/api/budget/erin/reserve/x'):
        st, _, j = d.request('DELETE', path)
        assert st == 404 and j['error']['code'] == 'not_found', (path, j)
    st, _, j = d.get('/api/budget/erin')
    assert j['reserved']['tokens'] == 4000

    # The reset starts the window anew, holds made before it included.
    st, _, j = d.post('/api/budget/erin/reset')
    assert st == 200, j
    assert j['reserved']['tokens'] == 0 and j['reset_at'] > 0
    st, _, j = d.post('/api/budget/erin/reserve', {'tokens': 5000})
    assert st == 200, j

    st, _, j = d.request('DELETE', '/api/budget/erin')
    assert st == 200 and j == {'removed': 'erin'}
    st, _, j = d.request('DELETE', '/api/budget/erin')
    assert st == 404 and j['error']['code'] == 'no_budget'
    st, _, j = d.post('/api/budget/erin/reset')
    assert st == 404 and j['error']['code'] == 'no_budget'

    # Bad names and bodies.
    for path in ('/api/budget/a%20b', '/api/budget/' + 'x' * 65):
        st, _, j = d.get(path)
        assert st == 400 and j['error']['code'] == 'invalid_agent', j
    for body in ({}, {'tokens': -1}, {'tokens': 'x'}, {'window': 'week',
                                                        'tokens': 1},
                 {'tokens': 1, 'extra': 1}, [], {'usd': 1e10}):
        st, _, j = d.post('/api/budget/erin', body)
        assert st == 400 and j['error']['code'] == 'invalid_budget', (body,
                                                                        j)
    for body in ({}, {'ttl_secs': 0, 'tokens': 1}, {'ttl_secs': 3601,
                                                    'tokens': 1},
                 {'calls': 1}):
        st, _, j = d.post('/api/budget/erin/reserve', body)
        assert st == 400, (body, j)
        assert j['error']['code'] == 'invalid_reservation'

    # The writes are audited, and published.
    st, _, j = d.get('/api/audit/entries?action=budget')
    assert [e['detail']['op'] for e in j['entries']] == [
        'set', 'reserve', 'reserve', 'release', 'reset', 'reserve',
        'unset'], j


def test_chat_api_agent_budget(bdaemon):
    d = bdaemon
    st, _, j = d.post('/api/budget/frank', {'calls': 1})
    assert st == 200
    d.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'ls',
                         'arguments': {'path': '.'}}]},
        {'text': 'Done.'}, {'text': 'Other.'}]})
    st, _, j = d.post('/api/chat', {'content': 'list', 'agent': 'frank'})
    assert st == 200, j
    assert j['stop_reason'] == 'budget', j
    assert j['reason'] == ("budget: the lifetime budget of agent 'frank' "
                           "(1 calls) would be exceeded: 1 calls made"), j
    assert len(model_requests(d.ox)) == 1  # the second was not sent
    st, _, j = d.post('/api/chat', {'content': 'hi', 'agent': 'grace'})
    assert st == 200 and j['reply'] == 'Done.', j
    st, _, j = d.get('/api/budget/frank')
    assert j['spent']['calls'] == 1
    st, _, j = d.post('/api/chat', {'content': 'hi', 'agent': 'bad name'})
    assert st == 400 and 'invalid agent name' in j['error']['message'], j
    st, _, j = d.post('/api/chat', {'content': 'hi', 'agent': 5})
    assert st == 400 and '"agent": must be a string' in \
        j['error']['message'], j


def test_chat_websocket_agent_budget(bdaemon):
    import asyncio
    from test_daemon import ws_chat
    d = bdaemon
    st, _, j = d.post('/api/budget/ivy', {'tokens': 1})
    assert st == 200
    d.fake.load({'turns': [{'text': 'Hello.'}]})
    got = asyncio.run(ws_chat(d, [{'type': 'message', 'content': 'hi',
                                   'agent': 'ivy'}]))
    assert got[-1]['type'] == 'done', got
    assert got[-1]['stop_reason'] == 'budget'
    assert "budget of agent 'ivy' (1 tokens)" in got[-1]['reason']
    assert model_requests(d.ox) == []
    got = asyncio.run(ws_chat(d, [{'type': 'message', 'content': 'hi',
                                   'agent': '../x'}]))
    assert got[-1]['type'] == 'error', got
    assert 'invalid agent name' in got[-1]['message'], got
    got = asyncio.run(ws_chat(d, [{'type': 'message', 'content': 'hi',
                                   'agent': 'jack'}]))
    assert got[-1]['type'] == 'done' and got[-1]['reply'] == 'Hello.', got
