"""oxios run through the Ouroboros protocol (docs/ouroboros.md, "The
cycle"), against the fake LLM: every forced tool call is a scripted turn,
each execution a real agent in its sandboxed worker, each verify command
a real command in a fresh worker."""
import json
import os

import pytest


VERIFY = 'test -f hello.txt'


@pytest.fixture
def ouro(llm):
    llm.env.pop('OXIOS_OUROBOROS_MODE', None)
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["test", "ls"]\n'
        '[ouroboros]\nmax_generations = 3\n')
    return llm


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def turn(name, n, **args):
    return {'tool_calls': [call(name, 'f%d' % n, **args)]}


def seed_args(**extra):
    a = {'goal': 'Write hello.txt saying hello', 'task_type': 'code',
         'constraints': ['stay in the workspace'],
         'acceptance_criteria': [{'id': 'c1',
                                  'description': 'hello.txt exists',
                                  'verify_command': VERIFY}],
         'evaluation_principles': [{'name': 'correct', 'weight': 1}],
         'exit_conditions': [], 'assumptions': []}
    a.update(extra)
    return a


def judge(score=0.9, risk=0.0, drift=0.0, gaps=()):
    return dict(score=score, goal_alignment=score, drift=drift,
                uncertainty=0.0, reward_hacking_risk=risk, gaps=list(gaps))


TRIAGE = turn('triage', 0, kind='task', reason='it changes files')
CLARITY = turn('score_clarity', 1, goal=0.5, constraints=0.2,
               success_criteria=0.3,
               questions=[{'question': 'Which greeting?',
                           'default': 'the word hello'}])
WRITE = {'tool_calls': [call('write', 'w1', path='hello.txt',
                             content='hello\n')]}


def chat_requests(ox):
    return [q for q in ox.fake.requests()
            if q['path'].endswith('/chat/completions')]


def phases(ox):
    return [q['headers'].get('x-oxios-phase') for q in chat_requests(ox)]


def run_json(ox, *args, timeout=120):
    r = ox.run('run', '--json', *args, timeout=timeout)
    assert r.stdout, r.stderr
    return r, json.loads(r.stdout)


def test_full_cycle_evolves_then_passes(ouro):
    ouro.fake.load({'turns': [
        TRIAGE, CLARITY,
        turn('write_seed', 2, **seed_args()),
        {'text': 'I thought about it.'},            # gen 1: no file
        turn('judge', 3, **judge(score=0.3, gaps=['hello.txt missing'])),
        turn('evolve_seed', 4, rationale='the file was never written',
             **seed_args(constraints=['write the file itself'])),
        WRITE, {'text': 'Wrote hello.txt.'},          # gen 2: the file
        # A new generation: a consensus of three judges.
        turn('judge', 5, **judge()), turn('judge', 6, **judge()),
        turn('judge', 7, **judge(score=0.5)),
    ]})
    r, out = run_json(ouro, '--exit-code', 'write hello.txt')
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert out['evaluation_passed'] is True
    assert out['generations'] == 2
    assert out['phase_reached'] == 'Evaluate'
    assert out['ouroboros_stop'] == 'passed'
    assert out['stop_reason'] == 'done'
    assert out['response'] == 'Wrote hello.txt.'
    assert phases(ouro) == ['triage', 'interview', 'seed', 'execute',
                            'evaluate', 'evolve', 'execute', 'execute',
                            'evaluate', 'evaluate', 'evaluate']
    # The executing model never sees the verify command.
    for q in chat_requests(ouro):
        if q['headers'].get('x-oxios-phase') == 'execute':
            assert VERIFY not in json.dumps(q['body'])
            assert 'hello.txt exists' in json.dumps(q['body'])

    ev = json.loads(ouro.run('seeds', 'evolution', out['seed_id'], '--json',
                             check=0).stdout)
    gens = ev['generations']
    assert [g['generation'] for g in gens] == [1, 2]
    assert gens[0]['passed'] is False and gens[1]['passed'] is True
    first = gens[0]['seed']
    assert first['degraded'] is True and first['ambiguity'] > 0.2
    assert 'Which greeting?: the word hello' in first['assumptions']
    assert gens[1]['seed']['parent_id'] == first['id']
    assert gens[1]['status'] == 'passed'
    assert os.path.exists(os.path.join(
        ouro.ws, 'seeds', first['root_id'], 'gen-2.yaml'))
    # The run's cost is every call's: the executions' and the
    # protocol's own (triage, interview, seed, judges, evolve).
    import sqlite3
    with sqlite3.connect(ouro.path('oxios.db')) as db:
        total, n = db.execute('SELECT SUM(cost_usd), COUNT(*) FROM '
                              "llm_calls WHERE kind = 'chat'").fetchone()
    assert n == len(chat_requests(ouro)) and total > 0
    assert out['cost_usd'] == pytest.approx(total), (out['cost_usd'], total)
    # The usage report of the run's session: every phase of both
    # generations, each with its calls.
    u = json.loads(ouro.run('usage', '--session', out['session_id'],
                            '--json', check=0).stdout)
    calls = {row['key']: row['calls'] for row in u['rows']}
    assert calls == {'triage': 1, 'interview': 1, 'seed': 1, 'execute': 3,
                     'evaluate': 4, 'evolve': 1}, u
    assert u['total']['cost_usd'] == pytest.approx(total)
    assert u['session'] == out['session_id']
    # The evolution endpoint shows both generations with their results.
    from conftest import make_daemon
    d = make_daemon(ouro)
    d.start()
    try:
        st, _, lin = d.get('/api/seeds/%s/evolution' % out['seed_id'])
        assert st == 200, lin
        api_gens = lin['generations']
        assert [(g['generation'], g['passed']) for g in api_gens] == [
            (1, False), (2, True)]
        assert api_gens == gens
    finally:
        d.stop_clean()


def test_verification_keeps_failing_stops_at_max_generations(ouro):
    ouro.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["test"]\n[ouroboros]\nmax_generations = 2\n'
        'interview = false\n')
    ouro.fake.load({'turns': [
        TRIAGE,
        turn('write_seed', 2, **seed_args()),
        {'text': 'Nothing written.'},
        turn('judge', 3, **judge(score=0.2)),
        turn('evolve_seed', 4, rationale='try again', **seed_args()),
        {'text': 'Still nothing.'},
        turn('judge', 5, **judge(score=0.2)), turn('judge', 6, **judge()),
        turn('judge', 7, **judge()),
    ]})
    r, out = run_json(ouro, '--exit-code', 'write hello.txt')
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert out['exit_code'] == 1
    assert out['evaluation_passed'] is False
    assert out['generations'] == 2
    assert out['ouroboros_stop'] == 'max_generations'
    assert 'ouroboros.max_generations (2)' in out['ouroboros_detail']
    assert 'interview' not in phases(ouro)


def test_reward_hacking_veto_fails_a_mechanical_pass(ouro):
    ouro.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["test"]\n[ouroboros]\nmax_generations = 1\n'
        'interview = false\n')
    ouro.fake.load({'turns': [
        turn('write_seed', 2, **seed_args()),
        WRITE, {'text': 'Done.'},
        turn('judge', 3, **judge(score=1.0, risk=0.9)),
    ]})
    r, out = run_json(ouro, '--spec', '--exit-code', 'write hello.txt')
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert out['evaluation_passed'] is False
    assert out['ouroboros_stop'] == 'max_generations'
    assert phases(ouro)[0] == 'seed'  # --spec: no triage
    ev = json.loads(ouro.run('seeds', 'evolution', out['seed_id'], '--json',
                             check=0).stdout)
    g = ev['generations'][0]
    res = g['criteria'][0]['results']
    assert [x['stage'] for x in res] == ['mechanical']
    assert res[0]['passed'] is True          # the command passed ...
    assert g['passed'] is False              # ... the veto failed it
    assert 'vetoed' in json.dumps(g['verdicts'])


def test_consensus_judges_take_the_judge_models(ouro):
    """A first judge unsure of itself (drift 0.5) calls a consensus: two
    more judges, on ouroboros.judge_models in turn; the majority (two
    passes of three) passes."""
    ouro.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["test"]\n[ouroboros]\nmax_generations = 1\n'
        'interview = false\n'
        'judge_models = ["openai/gpt-4o-mini", "openai/o3"]\n')
    ouro.fake.load({'turns': [
        turn('write_seed', 2, **seed_args()),
        WRITE, {'text': 'Done.'},
        turn('judge', 3, **judge(score=0.9, drift=0.5)),
        turn('judge', 4, **judge(score=0.3)),
        turn('judge', 5, **judge(score=0.85)),
    ]})
    r, out = run_json(ouro, '--spec', '--exit-code', 'write hello.txt')
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert out['evaluation_passed'] is True
    judges = [q['body']['model'] for q in chat_requests(ouro)
              if q['headers'].get('x-oxios-phase') == 'evaluate']
    assert judges == ['gpt-4.1', 'gpt-4o-mini', 'o3'], judges
    ev = json.loads(ouro.run('seeds', 'evolution', out['seed_id'], '--json',
                             check=0).stdout)
    verdicts = json.dumps(ev['generations'][0]['verdicts'])
    assert 'consensus' in verdicts and 'openai/o3' in verdicts, verdicts


def test_invalid_write_seed_twice_is_a_clear_error(ouro):
    bad = seed_args(acceptance_criteria=[{'id': '-bad', 'description': 'x'}])
    ouro.fake.load({'turns': [
        TRIAGE, CLARITY,
        turn('write_seed', 2, **bad), turn('write_seed', 3, **bad),
    ]})
    r, out = run_json(ouro, '--exit-code', 'write hello.txt')
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert out['ouroboros_stop'] == 'error'
    assert out['stop_detail'].startswith('write_seed: ')
    assert 'after 2 tries' in out['stop_detail']
    assert out['seed_id'] is None
    assert out['phase_reached'] == 'Seed'
    r = ouro.run('run', '--spec', 'write hello.txt')  # and in words
    assert r.returncode == 1


@pytest.mark.parametrize('how', ['no-spec', 'triage'])
def test_quick_answer(ouro, how):
    turns = [{'text': 'Paris.'}]
    args = ['--no-spec'] if how == 'no-spec' else []
    if how == 'triage':
        turns.insert(0, turn('triage', 0, kind='answer', reason='a fact'))
    ouro.fake.load({'turns': turns})
    r, out = run_json(ouro, '--exit-code', *args, 'capital of France?')
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert out['response'] == 'Paris.'
    assert out['phase_reached'] == 'Execute'
    assert out['seed_id'] is None and out['evaluation_passed'] is None
    assert out['ouroboros_stop'] is None and out['generations'] == 0
    assert phases(ouro) == (['triage', 'chat'] if how == 'triage'
                            else ['chat'])


def test_spec_and_no_spec_exclude_each_other(ouro):
    r = ouro.run('run', '--spec', '--no-spec', 'x')
    assert r.returncode == 2
    assert 'exclude each other' in r.stderr


DAEMON_CFG = ('[exec]\nallowlist = ["test"]\n'
              '[ouroboros]\nmax_generations = 1\ninterview = false\n')


def one_generation_turns():
    return [turn('write_seed', 2, **seed_args()), WRITE,
            {'text': 'Wrote hello.txt.'},
            turn('judge', 3, **judge())]


def test_api_chat_spec_and_run_through_the_daemon(ouro):
    from conftest import make_daemon
    from test_daemon import SSE
    d = make_daemon(ouro, DAEMON_CFG)
    d.start()
    try:
        sse = SSE(d)
        st, _, body = d.post('/api/chat', {'content': 'x', 'spec': 'yes'})
        assert st == 400 and '"spec"' in body['error']['message'], body
        ouro.fake.load({'turns': one_generation_turns()})
        st, _, body = d.post('/api/chat', {'content': 'write hello.txt',
                                           'spec': True}, timeout=120)
        assert st == 200, body
        assert body['evaluation_passed'] is True
        assert body['generations'] == 1
        assert body['phase_reached'] == 'Evaluate'
        assert body['ouroboros_stop'] == 'passed'
        assert body['seed_id']
        st, _, lin = d.get('/api/seeds/%s/evolution' % body['seed_id'])
        assert st == 200 and lin['generations'][0]['passed'] is True
        # Every phase entered, on the bus (SSE), with seed and generation.
        evs = []
        while len(evs) < 4:
            e = sse.event()
            if e.get('event') == 'ouroboros.phase':
                evs.append(json.loads(e['data']))
        assert [(e['phase'], e['generation']) for e in evs] == [
            ('interview', 0), ('seed', 0), ('execute', 1), ('evaluate', 1)]
        assert evs[0]['seed_id'] is None
        assert evs[2]['seed_id'] == evs[3]['seed_id'] == body['seed_id']
        sse.close()

        # oxios run --spec goes through the control socket: the done
        # record carries the protocol's fields.
        os.remove(os.path.join(ouro.ws, 'hello.txt'))
        ouro.fake.load({'turns': one_generation_turns()})
        r, out = run_json(ouro, '--spec', '--exit-code', 'write hello.txt')
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert out['evaluation_passed'] is True
        assert out['ouroboros_stop'] == 'passed'
        assert out['phase_reached'] == 'Evaluate' and out['seed_id']
        assert out['seed_id'] != body['seed_id']
        st, _, seeds = d.get('/api/seeds')
        assert st == 200 and seeds['total'] == 2
    finally:
        d.stop_clean()


def two_round_turns():
    """The interview's two rounds (three questions), then one generation
    that passes."""
    return [
        turn('score_clarity', 1, goal=0.3, constraints=0.2,
             success_criteria=0.3,
             questions=[{'question': 'Which greeting?',
                         'default': 'the word hello'},
                        {'question': 'Which file?',
                         'default': 'hello.txt'}]),
        turn('score_clarity', 2, goal=0.6, constraints=0.5,
             success_criteria=0.5,
             questions=[{'question': 'Any trailing newline?',
                         'default': 'yes'}]),
        turn('write_seed', 3, **seed_args()),
        WRITE, {'text': 'Wrote hello.txt.'},
        turn('judge', 4, **judge()),
    ]


def test_chat_interview_two_rounds(ouro):
    """oxios chat --spec --local: the interview asks in the conversation;
    the user answers one question, accepts the other's default, then says
    go in the second round."""
    ouro.fake.load({'turns': two_round_turns()})
    r = ouro.run('chat', '--spec', '--local',
                 stdin='write a greeting file\nthe word howdy\n\ngo\n'
                       '.quit\n', timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert '[interview, round 1]' in r.stdout
    assert '(1/2) Which greeting?\n  default: the word hello' in r.stdout
    assert '[interview, round 2]' in r.stdout
    assert 'Any trailing newline?' in r.stdout
    assert 'Wrote hello.txt.' in r.stdout
    assert '[ouroboros: passed after 1 generation, seed ' in r.stderr
    assert phases(ouro) == ['interview', 'interview', 'seed', 'execute',
                            'execute', 'evaluate']
    reqs = chat_requests(ouro)
    assert 'the word howdy' not in json.dumps(reqs[0]['body'])
    second = json.dumps(reqs[1]['body'])
    assert 'the word howdy' in second and 'hello.txt' in second
    seed_id = r.stderr.split('seed ')[-1].split(']')[0]
    seed = json.loads(ouro.run('seeds', 'show', seed_id, '--json',
                               check=0).stdout)
    assert 'Which greeting?: the word howdy (from the user)' in \
        seed['assumptions']
    assert 'Which file?: hello.txt' in seed['assumptions']
    assert 'Any trailing newline?: yes' in seed['assumptions']
    # 1 - (0.4·0.6 + 0.3·0.5 + 0.3·0.5) = 0.46: still above after go
    assert seed['degraded'] is True
    assert os.path.exists(os.path.join(ouro.ws, 'hello.txt'))


def test_chat_no_spec_and_mode_always(ouro):
    """Without --spec chat is plain; ouroboros.mode = always makes it the
    protocol, --no-spec overrides that."""
    ouro.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[exec]\nallowlist = ["test"]\n'
        '[ouroboros]\nmode = "always"\ninterview = false\n')
    ouro.fake.load({'turns': [{'text': 'Plain.'}]})
    r = ouro.run('chat', '--no-spec', '--local', stdin='hi\n.quit\n')
    assert r.returncode == 0 and 'Plain.' in r.stdout, r.stderr
    assert phases(ouro) == ['chat']
    ouro.fake.load({'turns': [turn('write_seed', 3, **seed_args()),
                              WRITE, {'text': 'Done.'},
                              turn('judge', 4, **judge())]})
    r = ouro.run('chat', '--local', stdin='write hello.txt\n.quit\n',
                 timeout=120)
    assert r.returncode == 0, r.stderr
    assert '[ouroboros: passed after 1 generation' in r.stderr
    assert ouro.run('chat', '--spec', '--no-spec').returncode == 2


def assumptions(ox, seed_id):
    seed = json.loads(ox.run('seeds', 'show', seed_id, '--json',
                             check=0).stdout)
    return seed['assumptions']


INTERVIEW_CFG = ('[exec]\nallowlist = ["test"]\n'
                 '[ouroboros]\nmax_generations = 1\n')


def test_chat_interview_through_the_daemon(ouro):
    """With the daemon up, chat --spec runs there: the questions come
    over the control socket, the answers go back, and the daemon's bus
    sees the run's phases."""
    from conftest import make_daemon
    from test_daemon import SSE
    d = make_daemon(ouro, INTERVIEW_CFG)
    d.start()
    try:
        sse = SSE(d)
        ouro.fake.load({'turns': two_round_turns()})
        r = ouro.run('chat', '--spec',
                     stdin='write a greeting file\nthe word howdy\n\ngo\n'
                           '.quit\n', timeout=120)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert 'in this process' not in r.stderr
        assert '[interview, round 1]' in r.stdout
        assert '(2/2) Which file?\n  default: hello.txt' in r.stdout
        assert '[interview, round 2]' in r.stdout
        assert 'Wrote hello.txt.' in r.stdout
        assert '[ouroboros: passed after 1 generation, seed ' in r.stderr
        seed_id = r.stderr.split('seed ')[-1].split(']')[0]
        got = assumptions(ouro, seed_id)
        assert 'Which greeting?: the word howdy (from the user)' in got
        assert 'Which file?: hello.txt' in got
        assert 'Any trailing newline?: yes' in got
        second = json.dumps(chat_requests(ouro)[1]['body'])
        assert 'the word howdy' in second
        # The daemon ran it: its bus carried the phases.
        seen = []
        while 'evaluate' not in seen:
            e = sse.event()
            if e.get('event') == 'ouroboros.phase':
                seen.append(json.loads(e['data'])['phase'])
        assert seen[:2] == ['interview', 'seed']
        sse.close()
    finally:
        d.stop_clean()


def test_websocket_interview(ouro):
    """The WebSocket chat: questions arrive as messages with their
    defaults; answers that do not fit are refused and the round still
    waits; go ends the interview."""
    import asyncio
    import websockets
    from conftest import make_daemon
    d = make_daemon(ouro, INTERVIEW_CFG)
    d.start()
    ouro.fake.load({'turns': two_round_turns()})

    async def go():
        out = []
        async with websockets.connect(
                'ws://127.0.0.1:%d/api/chat/stream' % d.port,
                extra_headers={'Authorization': 'Bearer ' + d.token}) as ws:

            async def recv(want):
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    out.append(m)
                    if m['type'] in want:
                        return m
            await recv(('ready',))
            await ws.send(json.dumps({'type': 'answers', 'go': True}))
            e = await recv(('error',))
            assert e['code'] == 'not_asked', e
            await ws.send(json.dumps({'type': 'message', 'spec': True,
                                      'content': 'write a greeting file'}))
            q1 = await recv(('questions',))
            await ws.send(json.dumps({'type': 'answers',
                                      'answers': ['the word howdy']}))
            e = await recv(('error',))
            assert e['code'] == 'bad_request', e
            assert e['message'] == '1 answer for 2 questions', e
            await ws.send(json.dumps({'type': 'answers', 'go': 'yes'}))
            e = await recv(('error',))
            assert e['code'] == 'bad_request' and "'go'" in e['message']
            await ws.send(json.dumps({'type': 'answers',
                                      'answers': ['the word howdy', None]}))
            q2 = await recv(('questions',))
            await ws.send(json.dumps({'type': 'answers', 'go': True}))
            done = await recv(('done',))
            return q1, q2, done, out
    try:
        q1, q2, done, out = asyncio.run(go())
        assert q1['round'] == 1 and q1['questions'] == [
            {'question': 'Which greeting?', 'default': 'the word hello'},
            {'question': 'Which file?', 'default': 'hello.txt'}]
        assert q2['round'] == 2
        assert q2['questions'][0]['default'] == 'yes'
        # The client follows the protocol's phases.
        assert [(m['phase'], m['generation']) for m in out
                if m['type'] == 'phase'] == [
            ('interview', 0), ('seed', 0), ('execute', 1), ('evaluate', 1)]
        assert done['evaluation_passed'] is True, done
        assert done['ouroboros_stop'] == 'passed'
        got = assumptions(ouro, done['seed_id'])
        assert 'Which greeting?: the word howdy (from the user)' in got
        assert 'Which file?: hello.txt' in got
        assert 'Any trailing newline?: yes' in got
        assert os.path.exists(os.path.join(ouro.ws, 'hello.txt'))
    finally:
        d.stop_clean()


def test_api_chat_takes_the_defaults(ouro):
    """POST /api/chat has nobody to ask: the defaults are taken and
    recorded, and the seed is degraded when ambiguity stayed high."""
    from conftest import make_daemon
    d = make_daemon(ouro, INTERVIEW_CFG)
    d.start()
    try:
        turns = two_round_turns()
        ouro.fake.load({'turns': [turns[0]] + turns[2:]})
        st, _, body = d.post('/api/chat', {'content': 'write a greeting',
                                           'spec': True}, timeout=120)
        assert st == 200 and body['evaluation_passed'] is True, body
        seed = json.loads(ouro.run('seeds', 'show', body['seed_id'],
                                   '--json', check=0).stdout)
        assert 'Which greeting?: the word hello' in seed['assumptions']
        assert 'Which file?: hello.txt' in seed['assumptions']
        assert seed['degraded'] is True
        assert phases(ouro)[:2] == ['interview', 'seed']
    finally:
        d.stop_clean()


class RawCtl:
    """A raw client of the control socket: lines out, events in."""

    def __init__(self, ox, request):
        import socket
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(60)
        self.s.connect(ox.path('run', 'ctl.sock'))
        self.buf = b''
        self.send(request)

    def send(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b'\n')

    def event(self):
        while b'\n' not in self.buf:
            chunk = self.s.recv(65536)
            assert chunk, 'the daemon closed the connection'
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def until(self, kind, seen):
        while True:
            e = self.event()
            seen.append(e)
            if e['event'] in (kind, 'done', 'error'):
                return e

    def close(self):
        self.s.close()


def test_control_socket_interview_and_phases(ouro):
    """The protocol on the control socket: a client that said "ask"
    gets the questions and answers them; every client gets the phases;
    answers that do not fit cancel the run."""
    from conftest import make_daemon
    d = make_daemon(ouro, INTERVIEW_CFG)
    d.start()
    req = {'type': 'run', 'prompt': 'write a greeting file',
           'class': 'interactive', 'spec': True, 'ask': True}
    try:
        ouro.fake.load({'turns': two_round_turns()})
        c = RawCtl(ouro, req)
        seen = []
        q = c.until('questions', seen)
        assert q['event'] == 'questions' and q['round'] == 1, q
        assert [e['event'] for e in seen[:2]] == ['started', 'phase']
        assert seen[1]['phase'] == 'interview'
        assert seen[1]['generation'] == 0 and seen[1]['seed_id'] is None
        c.send({'type': 'answers', 'answers': ['the word howdy', None]})
        q = c.until('questions', seen)
        assert q['round'] == 2, q
        c.send({'type': 'answers', 'go': True})
        done = c.until('done', seen)
        c.close()
        assert done['event'] == 'done' and done['evaluation_passed'], done
        ph = [(e['phase'], e['generation']) for e in seen
              if e['event'] == 'phase']
        assert ph == [('interview', 0), ('seed', 0), ('execute', 1),
                      ('evaluate', 1)], ph
        ex = [e for e in seen if e['event'] == 'phase'][2]
        assert ex['seed_id'] == done['seed_id']
        assert 'Which greeting?: the word howdy (from the user)' in \
            assumptions(ouro, done['seed_id'])

        # Without "ask": no question comes, the defaults are taken.
        os.remove(os.path.join(ouro.ws, 'hello.txt'))
        turns = two_round_turns()
        ouro.fake.load({'turns': [turns[0]] + turns[2:]})
        c = RawCtl(ouro, dict(req, ask=False))
        seen = []
        done = c.until('done', seen)
        c.close()
        assert 'questions' not in [e['event'] for e in seen]
        assert done['evaluation_passed'] is True, done
        assert 'Which greeting?: the word hello' in \
            assumptions(ouro, done['seed_id'])

        # Answers that do not fit the round cancel the run.
        ouro.fake.load({'turns': two_round_turns()})
        c = RawCtl(ouro, req)
        seen = []
        assert c.until('questions', seen)['event'] == 'questions'
        c.send({'type': 'answers', 'answers': ['one', 'two', 'three']})
        done = c.until('done', seen)
        c.close()
        assert done['stop_reason'] == 'cancelled', done
    finally:
        d.stop_clean()
