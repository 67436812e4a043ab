"""oxios run: a real agent (brain + sandboxed hands) against the fake LLM.
A scripted multi-step task changes the workspace; every tool call gets its
result; limits, resume, cancel and a kill -9 behave as documented."""
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN


@pytest.fixture
def agent(llm):
    """oxios with the fake LLM (OpenAI format) and a workspace."""
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["cat", "ls", "sleep", "python3", "wc"]\n')
    return llm


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def run(agent, *args, timeout=60, **kw):
    r = agent.run('run', *args, timeout=timeout, **kw)
    return r


def model_requests(agent):
    return [q for q in agent.fake.requests()
            if q['path'].endswith('/chat/completions')]


def tool_results(req):
    """{tool_call_id: content} of the tool messages in one request."""
    return {m['tool_call_id']: m['content'] for m in req['body']['messages']
            if m['role'] == 'tool'}


def db(agent):
    return sqlite3.connect(os.path.join(agent.home, 'oxios.db'))


def test_multi_step_task(agent):
    with open(os.path.join(agent.ws, 'notes.txt'), 'w') as f:
        f.write('hello world\n')
    agent.fake.load({'turns': [
        {'text': 'Reading.', 'tool_calls': [
            call('read', 'c1', path='notes.txt')]},
        {'tool_calls': [call('edit', 'c2', path='notes.txt',
                             old_text='world', new_text='oxios')]},
        {'tool_calls': [call('exec', 'c3', mode='structured',
                             binary='cat', args=['notes.txt'])]},
        {'text': 'Done: notes.txt now says hello oxios.'}]})
    r = run(agent, '--json', 'change world to oxios in notes.txt')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['response'] == 'Done: notes.txt now says hello oxios.'
    assert out['exit_code'] == 0
    assert out['stop_reason'] == 'done'
    assert out['iterations'] == 4 and out['tool_calls'] == 3
    for key in ('space_id', 'space_tag', 'seed_id', 'evaluation_passed',
                'ouroboros_stop'):
        assert key in out and out[key] is None
    assert out['phase_reached'] == 'Execute'  # a quick answer
    assert out['generations'] == 0
    assert out['session_id'] and out['agent_id']
    assert isinstance(out['duration_ms'], int)
    with open(os.path.join(agent.ws, 'notes.txt')) as f:
        assert f.read() == 'hello oxios\n'

    # Every tool call was answered, in the next request.
    reqs = model_requests(agent)
    assert len(reqs) == 4
    assert 'hello world' in tool_results(reqs[1])['c1']
    assert set(tool_results(reqs[2])) == {'c1', 'c2'}
    assert 'hello oxios' in tool_results(reqs[3])['c3']
    assert reqs[0]['body']['tools']
    names = {t['function']['name'] for t in reqs[0]['body']['tools']}
    assert {'read', 'write', 'edit', 'ls', 'find', 'grep', 'exec'} <= names

    # The session and the agent are in the database.
    d = db(agent)
    rows = d.execute('SELECT role FROM messages WHERE session_id = ? '
                     'ORDER BY seq', (out['session_id'],)).fetchall()
    assert [r[0] for r in rows] == ['user', 'assistant', 'tool',
                                    'assistant', 'tool', 'assistant',
                                    'tool', 'assistant']
    st, reason, pid = d.execute(
        'SELECT state, exit_reason, worker_pid FROM agents WHERE id = ?',
        (out['agent_id'],)).fetchone()
    assert st == 'exited' and pid > 0
    d.close()
    # The worker is gone (reaped, no zombie).
    assert not os.path.exists('/proc/%d' % pid)


def test_cost_is_the_gates(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c1', path='.')],
         'usage': {'input_tokens': 1000, 'output_tokens': 500}},
        {'text': 'Nothing there.',
         'usage': {'input_tokens': 2000, 'output_tokens': 100}}]})
    out = json.loads(run(agent, '--json', 'look around').stdout)
    # openai/gpt-4.1: $2 in, $8 out per million tokens.
    assert out['cost_usd'] == pytest.approx(
        (3000 * 2.0 + 600 * 8.0) / 1e6)
    c = db(agent)
    rows = c.execute('SELECT kind, cost_usd FROM llm_calls').fetchall()
    # Each call names who it was for (kernel/scope.h).
    who = c.execute('SELECT DISTINCT agent_id, principal, class '
                    'FROM llm_calls').fetchall()
    c.close()
    assert [k for k, _ in rows] == ['chat', 'chat']
    assert out['cost_usd'] == pytest.approx(sum(u for _, u in rows))
    assert who == [(out['agent_id'], 'default', 'run')]


def test_text_mode_streams_and_shows_tools(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c1', path='.')]},
        {'text': 'The workspace is empty.'}]})
    r = run(agent, 'what is in the workspace?')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'The workspace is empty.\n'
    assert '-> ls' in r.stderr
    assert 'session ' in r.stderr


def test_resume_session(agent):
    agent.fake.load({'turns': [{'text': 'first answer'},
                               {'text': 'second answer'}]})
    out = json.loads(run(agent, '--json', 'first question').stdout)
    r = run(agent, '--json', '--session', out['session_id'],
            'second question')
    assert r.returncode == 0
    assert json.loads(r.stdout)['session_id'] == out['session_id']
    msgs = model_requests(agent)[-1]['body']['messages']
    texts = [m.get('content') for m in msgs if m['role'] != 'system']
    assert texts == ['first question', 'first answer', 'second question']
    r = run(agent, '--session', 'no-such-session', 'x')
    assert r.returncode == 1
    assert 'no session' in r.stderr


def test_several_calls_in_one_turn_answered_in_order(agent):
    for n in ('a', 'b'):
        with open(os.path.join(agent.ws, n + '.txt'), 'w') as f:
            f.write(n * 3)
    agent.fake.load({'turns': [
        {'tool_calls': [call('read', 'x1', path='a.txt'),
                        call('nonesuch', 'x2'),
                        call('read', 'x3', path='b.txt')]},
        {'text': 'ok'}]})
    r = run(agent, '--json', 'read both')
    assert r.returncode == 0, r.stderr
    msgs = model_requests(agent)[1]['body']['messages']
    tools = [m for m in msgs if m['role'] == 'tool']
    assert [m['tool_call_id'] for m in tools] == ['x1', 'x2', 'x3']
    assert 'aaa' in tools[0]['content']
    assert 'nonesuch' in tools[1]['content']
    assert 'bbb' in tools[2]['content']


def test_tool_output_is_capped(agent):
    with open(os.path.join(agent.ws, 'big.txt'), 'w') as f:
        f.write('x' * 5000)
    agent.write_config(
        '[engine]\ndefault_model = "openai/gpt-4.1"\n'
        'tool_output_max_chars = 1000\n')
    agent.fake.load({'turns': [
        {'tool_calls': [call('read', 'c1', path='big.txt')]},
        {'text': 'ok'}]})
    assert run(agent, 'read big.txt').returncode == 0
    content = tool_results(model_requests(agent)[1])['c1']
    assert 'output truncated: 1000 of' in content
    assert len(content) < 1200


def test_max_iterations_and_exit_codes(agent):
    agent.write_config('[engine]\ndefault_model = "openai/gpt-4.1"\n'
                       'max_iterations = 2\n')
    turns = [{'tool_calls': [call('ls', 'c%d' % i, path='.')]}
             for i in range(5)]
    agent.fake.load({'turns': turns})
    r = run(agent, '--json', 'loop forever')
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'max_iterations'
    assert 'engine.max_iterations' in out['stop_detail']
    assert r.returncode == 0 and out['exit_code'] == 0
    agent.fake.load({'turns': turns})
    r = run(agent, '--json', '--exit-code', 'loop forever')
    assert r.returncode == 1 and json.loads(r.stdout)['exit_code'] == 1


def test_repeat_guard(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c%d' % i, path='.')]} for i in range(6)]})
    out = json.loads(run(agent, '--json', 'repeat').stdout)
    assert out['stop_reason'] == 'repeat'
    assert out['tool_calls'] == 3


def test_timeout(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured',
                             binary='sleep', args=['30'])]},
        {'text': 'never'}]})
    t0 = time.monotonic()
    r = run(agent, '--json', '--timeout', '1', 'sleep')
    assert time.monotonic() - t0 < 5
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'timeout'


def pids_of(pattern):
    r = subprocess.run(['pgrep', '-f', pattern], capture_output=True,
                       text=True)
    return [int(p) for p in r.stdout.split()]


def test_cancel_mid_tool_leaves_no_process(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured',
                             binary='sleep', args=['31.25'])]},
        {'text': 'never'}]})
    p = subprocess.Popen([BIN, 'run', '--json', 'sleep a while'],
                         env=agent.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if pids_of('sleep 31.25'):
            break
        time.sleep(0.05)
    assert pids_of('sleep 31.25'), 'the command never started'
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert time.monotonic() - t0 < 1.0
    assert p.returncode == 1
    res = json.loads(out)
    assert res['stop_reason'] == 'cancelled'
    time.sleep(0.1)
    assert pids_of('sleep 31.25') == []
    d = db(agent)
    st, pid = d.execute('SELECT state, worker_pid FROM agents WHERE id = ?',
                        (res['agent_id'],)).fetchone()
    d.close()
    assert st == 'killed'
    assert not os.path.exists('/proc/%d' % pid)


def test_kill_9_then_recovery(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured',
                             binary='sleep', args=['32.5'])]},
        {'text': 'never'}, {'text': 'after'}]})
    p = subprocess.Popen([BIN, 'run', 'sleep'], env=agent.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(100):
        if pids_of('sleep 32.5'):
            break
        time.sleep(0.05)
    p.kill()
    p.wait()
    for pid in pids_of('sleep 32.5'):  # the orphaned sandbox, if any
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it died with its worker meanwhile
    agent.fake.load({'turns': [{'text': 'after'}]})
    r = run(agent, '--json', 'hello again')
    assert r.returncode == 0
    d = db(agent)
    assert d.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    rows = d.execute("SELECT state, exit_reason FROM agents "
                     "ORDER BY created_at").fetchall()
    d.close()
    assert rows[0][0] == 'failed' and 'interrupted' in rows[0][1]
    assert rows[1][0] == 'exited'


def test_context_file_from_stdin(agent):
    agent.fake.load({'turns': [{'text': 'summarised'}]})
    r = agent.run('run', '--context-file', '-', 'summarise this',
                  stdin='line one\nline two\n')
    assert r.returncode == 0
    first = model_requests(agent)[0]['body']['messages'][-1]['content']
    assert first == 'line one\nline two\n\nsummarise this'


def test_usage_errors(agent):
    assert run(agent).returncode == 2
    assert run(agent, '--timeout', 'x', 'hi').returncode == 2
    r = run(agent, '--context-file', '/nonexistent/file', 'hi')
    assert r.returncode == 1 and '/nonexistent/file' in r.stderr


def test_llm_failure_is_reported(agent):
    agent.fake.load({'turns': [{'fault': {'status': 401}}]})
    r = run(agent, '--json', 'hi')
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'llm_error'
    assert 'authentication failed' in out['stop_detail']


def tool_names(req):
    return {t['function']['name'] for t in req['body'].get('tools', [])}


def test_sub_agent(agent):
    for n in ('a', 'b'):
        open(os.path.join(agent.ws, n + '.txt'), 'w').close()
    agent.fake.load({'turns': [
        {'tool_calls': [call('agent', 'p1', task='count the files')]},
        {'tool_calls': [call('ls', 'k1', path='.')]},       # the child
        {'text': 'There are 2 files.'},                      # its answer
        {'text': 'The sub-agent counted 2 files.'}]})
    r = run(agent, '--json', 'delegate the counting')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['response'] == 'The sub-agent counted 2 files.'
    reqs = model_requests(agent)
    assert 'agent' in tool_names(reqs[0])
    # The child's own conversation starts with its task.
    assert reqs[1]['body']['messages'][-1]['content'] == 'count the files'
    assert 'There are 2 files.' in tool_results(reqs[3])['p1']
    d = db(agent)
    rows = d.execute('SELECT id, parent_id, group_id, state FROM agents '
                     'ORDER BY created_at').fetchall()
    d.close()
    assert len(rows) == 2
    parent, child = rows
    assert parent[0] == out['agent_id'] and parent[1] is None
    assert child[1] == parent[0] and child[2] == parent[0]
    assert child[3] == 'exited' and parent[3] == 'exited'


def test_sub_agents_nest_three_deep_at_most(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [call('agent', 'd0', task='level 1')]},
        {'tool_calls': [call('agent', 'd1', task='level 2')]},
        {'tool_calls': [call('agent', 'd2', task='level 3')]},
        {'text': 'deepest'},
        {'text': 'two'}, {'text': 'one'}, {'text': 'top'}]})
    r = run(agent, '--json', 'go deep')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['response'] == 'top'
    reqs = model_requests(agent)
    assert ['agent' in tool_names(q) for q in reqs[:4]] == [
        True, True, True, False]
    d = db(agent)
    depth = d.execute('SELECT COUNT(*) FROM agents').fetchone()[0]
    d.close()
    assert depth == 4


def test_max_agent_depth_is_the_configured_one(agent):
    """kernel.max_agent_depth = 1: the root may delegate, its child may
    not (no "agent" tool is offered to it)."""
    agent.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[kernel]\nmax_agent_depth = 1\n')
    agent.fake.load({'turns': [
        {'tool_calls': [call('agent', 'd0', task='level 1')]},
        {'text': 'child answer'},
        {'text': 'top'}]})
    r = run(agent, '--json', 'go deep')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['response'] == 'top'
    reqs = model_requests(agent)
    assert ['agent' in tool_names(q) for q in reqs[:2]] == [True, False]
    # A model that asks for it anyway is refused, and the run goes on.
    agent.fake.load({'turns': [
        {'tool_calls': [call('agent', 'd0', task='level 1')]},
        {'tool_calls': [call('agent', 'd1', task='level 2')]},
        {'text': 'child gave up'},
        {'text': 'top again'}]})
    r = run(agent, '--json', 'go deeper')
    assert r.returncode == 0, r.stderr
    reqs = model_requests(agent)[-2:]
    assert tool_results(reqs[0]) == {'d1': "unknown tool 'agent'"}
    d = db(agent)
    grandchildren = d.execute(
        'SELECT COUNT(*) FROM agents c JOIN agents p ON c.parent_id = p.id '
        'WHERE p.parent_id IS NOT NULL').fetchone()[0]
    children = d.execute('SELECT COUNT(*) FROM agents '
                         'WHERE parent_id IS NOT NULL').fetchone()[0]
    d.close()
    assert (children, grandchildren) == (2, 0)


def test_backtracking_grep_is_a_prompt_tool_error(agent):
    """Issue 13, item 1: a backtracking pattern over 50 lines of 40 a's
    used to burn minutes of the worker's CPU past its limit.  grep now
    matches in linear time: the backreference is refused as a tool error
    the model reads, the same pattern without it answers at once, and
    an ordinary grep after them works."""
    with open(os.path.join(agent.ws, 'a.txt'), 'w') as f:
        f.write(('a' * 40 + '\n') * 50)
    with open(os.path.join(agent.ws, 'b.txt'), 'w') as f:
        f.write('lot 42\nodd\n')
    with open(os.path.join(agent.home, 'config.toml'), 'a') as f:
        f.write('[security]\nworker_cpu_secs = 5\n')
    agent.fake.load({'turns': [
        {'tool_calls': [
            call('grep', 'g1', pattern=r'(.*)(.*)(.*)(.*)(.*)\5\4\3\2\1x'),
            call('grep', 'g2', pattern=r'(.*)(.*)(.*)(.*)(.*)x'),
            call('grep', 'g3', pattern=r'^(a|aa)+$', max_results=2),
            call('grep', 'g4', pattern=r'\d+', path='b.txt')]},
        {'text': 'done'}]})
    t0 = time.monotonic()
    r = run(agent, '--json', 'search')
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert took < 30, took
    res = tool_results(model_requests(agent)[1])
    assert res['g1'].startswith("bad regular expression '(.*)"), res
    assert ('backreferences are not supported: the pattern is matched in '
            'linear time (\\5 at offset 20)') in res['g1'], res
    assert res['g2'] == 'no matches\n', res
    assert res['g3'] == ('a.txt:1:' + 'a' * 40 + '\na.txt:2:' + 'a' * 40 +
                         '\n(stopped after 2 matches)\n'), res
    assert res['g4'] == 'b.txt:1:lot 42\n', res  # glibc read \d as 'd'
    out = json.loads(r.stdout)
    assert out['tool_calls'] == 4 and out['exit_code'] == 0


def test_tool_arguments_are_checked_against_the_schema(agent):
    """Every call passes the one dispatch point: arguments that fail the
    tool's JSON Schema are refused there, with a message naming the
    place, and the run goes on."""
    agent.fake.load({'turns': [
        {'tool_calls': [call('read', 'a1'),
                        call('read', 'a2', path='x', limit=0),
                        call('ls', 'a3', path='.', colour=True),
                        call('memory_search', 'a4', query='x'),
                        call('nosuch', 'a5')]},
        {'text': 'done'}]})
    r = run(agent, '--json', 'try bad calls')
    assert r.returncode == 0, r.stderr
    res = tool_results(model_requests(agent)[1])
    assert res['a1'] == ('invalid arguments for read: (root): missing '
                         'required property "path"'), res
    assert res['a2'].startswith('invalid arguments for read: /limit'), res
    assert res['a3'].startswith('invalid arguments for ls'), res
    assert 'colour' in res['a3'], res
    # A brain tool with good arguments runs (no memories yet).
    assert json.loads(res['a4'])['memories'] == [], res
    assert res['a5'] == "unknown tool 'nosuch'", res
