"""Budgets: a call that would pass one is refused before it is sent.

The gate reserves an estimate before each LLM call (the request's
characters / 4 in, engine.max_tokens out) and settles the real usage
after; the ledger is in SQLite, so a limit holds across processes.  See
docs/governance.md, "Budgets".
"""
import json
import os

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
