"""The usage report: `oxios usage` and GET /api/usage group the LLM calls
of llm_calls by phase (an `oxios run` outside Ouroboros is "chat"), model,
... with their tokens and cost; an unknown dimension, a bad window or agent
id is a usage error (exit 2, HTTP 400).  See docs/ouroboros.md, "What each
phase cost"."""
import json
import os
import sqlite3
import uuid

import pytest

# Two calls: a tool call, then the answer, with the usage each reports.
TWO_CALLS = {'turns': [
    {'tool_calls': [{'id': 'c1', 'name': 'ls', 'arguments': {}}],
     'usage': {'input_tokens': 1000, 'output_tokens': 100}},
    {'text': 'Done.',
     'usage': {'input_tokens': 2000, 'output_tokens': 20,
               'cache_read_input_tokens': 500}},
]}


def db_sums(home, agent_id=None):
    db = sqlite3.connect(os.path.join(home, 'oxios.db'))
    q = ('SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), '
         'SUM(cache_read_tokens), SUM(cost_usd) FROM llm_calls')
    row = db.execute(q + (' WHERE agent_id = ?' if agent_id else ''),
                     (agent_id,) if agent_id else ()).fetchone()
    db.close()
    return row


def check_chat_row(rep, agent_id, home):
    calls, inp, out, cread, cost = db_sums(home, agent_id)
    assert calls == 2 and inp == 3000 and out == 120, (calls, inp, out)
    assert cost is not None and cost > 0
    assert rep['by'] == 'phase'
    assert [r['key'] for r in rep['rows']] == ['chat'], rep
    row = rep['rows'][0]
    assert row['calls'] == 2 and row['errors'] == 0
    assert row['input_tokens'] == 3000 and row['output_tokens'] == 120
    assert row['cache_read_tokens'] == cread
    assert row['cost_usd'] == pytest.approx(cost)
    assert row['unpriced_calls'] == 0 and row['partial'] is False
    tot = rep['total']
    assert tot['key'] == 'total' and tot['calls'] == 2
    assert tot['input_tokens'] == 3000
    assert tot['cost_usd'] == pytest.approx(cost)


@pytest.fixture
def agent(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "anthropic/claude-sonnet-4-5"\n')
    return llm


def test_cli_usage_after_a_run(agent):
    r = agent.run('usage')
    assert r.returncode == 0, r.stderr
    assert 'no LLM calls recorded' in r.stdout

    agent.fake.load(TWO_CALLS)
    r = agent.run('run', '--json', 'list the workspace', timeout=60)
    assert r.returncode == 0, r.stderr
    aid = json.loads(r.stdout)['agent_id']

    r = agent.run('usage', '--by', 'phase', '--json')
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep['since'] is None and rep['agent'] is None
    check_chat_row(rep, aid, agent.home)

    # The default is by phase; the table has the row and the total.
    r = agent.run('usage')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ['phase', 'CALLS', 'ERRORS'], lines
    assert lines[1].split()[:5] == ['chat', '2', '0', '3000', '120'], lines
    assert lines[2].split()[:2] == ['total', '2'], lines
    assert lines[1].split()[-1].startswith('$'), lines

    # By model, for this agent, in the last hour.
    r = agent.run('usage', '--by', 'model', '--agent', aid, '--since', '1h',
                  '--json')
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert [x['key'] for x in rep['rows']] == ['anthropic/claude-sonnet-4-5']
    assert rep['agent'] == aid and rep['since'].endswith('Z')
    assert rep['rows'][0]['calls'] == 2

    # Another agent, or a window after the calls: nothing.
    for args in (('--agent', str(uuid.uuid4())), ('--since', '2999-01-01')):
        r = agent.run('usage', '--json', *args)
        assert r.returncode == 0, r.stderr
        rep = json.loads(r.stdout)
        assert rep['rows'] == [] and rep['total']['calls'] == 0
        assert rep['total']['cost_usd'] is None

    # Usage errors: exit 2, naming what is wrong.
    for args, says in ((('--by', 'agent'), '--by is one of phase model'),
                       (('--since', 'yesterday'), "'yesterday' is neither"),
                       (('--agent', 'x; DROP'), 'wants an agent id'),
                       (('--session', 'nope'), 'wants a session id'),
                       (('--bogus',), 'unknown or incomplete option'),
                       (('extra',), 'too many arguments')):
        r = agent.run('usage', *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert says in r.stderr, (args, r.stderr)
        assert r.stdout == ''


def test_cli_usage_partial_and_unknown_cost(agent):
    """A call of a model without a price: '-' alone, '~$X (n unpriced)'
    beside priced ones."""
    agent.fake.load(TWO_CALLS)
    r = agent.run('run', '--json', 'list the workspace', timeout=60)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(os.path.join(agent.home, 'oxios.db'))
    db.execute("INSERT INTO llm_calls (started_at, provider, model, kind, "
               "input_tokens, output_tokens, cost_usd, duration_ms, "
               "attempts, status, principal, class, phase) VALUES "
               "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'local', 'mystery', "
               "'chat', 7, 3, NULL, 5, 1, 'ok', 'default', 'background', "
               "'dream')")
    db.commit()
    db.close()
    r = agent.run('usage', '--by', 'kind')
    assert r.returncode == 0, r.stderr
    chat = [ln for ln in r.stdout.splitlines() if ln.startswith('chat')][0]
    assert '(1 unpriced)' in chat and '~$' in chat, r.stdout
    r = agent.run('usage', '--by', 'phase')
    dream = [ln for ln in r.stdout.splitlines() if ln.startswith('dream')]
    assert dream and dream[0].split()[-1] == '-', r.stdout
    total = [ln for ln in r.stdout.splitlines() if ln.startswith('total')]
    assert '(1 unpriced)' in total[0], r.stdout
    # Sorted by cost: the priced phase first.
    assert r.stdout.splitlines()[1].startswith('chat'), r.stdout


def test_api_usage(daemon):
    os.makedirs(os.path.join(daemon.ox.home, 'workspace'), exist_ok=True)
    daemon.fake.load(TWO_CALLS)
    r = daemon.ox.run('run', '--json', 'list the workspace', timeout=60)
    assert r.returncode == 0, r.stderr
    aid = json.loads(r.stdout)['agent_id']

    st, _, rep = daemon.get('/api/usage?by=phase')
    assert st == 200, rep
    check_chat_row(rep, aid, daemon.ox.home)
    st, _, rep2 = daemon.get('/api/usage')  # by phase by default
    assert st == 200 and rep2['rows'] == rep['rows']

    st, _, rep = daemon.get('/api/usage?by=model&since=24h&agent=' + aid)
    assert st == 200, rep
    assert [x['key'] for x in rep['rows']] == ['openai/gpt-4.1']
    assert rep['agent'] == aid and rep['since'].endswith('Z')
    st, _, rep = daemon.get('/api/usage?by=day&since=2999-01-01T00:00:00Z')
    assert st == 200 and rep['rows'] == [], rep

    for q, code in (('by=agent', 'invalid_by'),
                    ('by=phase%3B%20DROP%20TABLE%20llm_calls', 'invalid_by'),
                    ('since=3x', 'invalid_since'),
                    ('since=2026-02-30', 'invalid_since'),
                    ('agent=not-a-uuid', 'invalid_agent'),
                    ('session=x', 'invalid_session')):
        st, _, err = daemon.get('/api/usage?' + q)
        assert st == 400, (q, st, err)
        assert code in json.dumps(err), (q, err)
    # The table survived the attempt.
    st, _, rep = daemon.get('/api/usage?by=kind')
    assert st == 200 and rep['total']['calls'] == 2

    st, _, _ = daemon.get('/api/usage', auth=False)
    assert st == 401
