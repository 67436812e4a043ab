"""The first ten minutes (issue 16): `oxios -f`, suggestions for a
mistyped command or option, `oxios stop` naming the daemon's pid, and
the rest of what a new user meets first.  The real binary, the fake LLM
and a temporary OXIOS_HOME."""
import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, Terminal, make_daemon


@pytest.mark.parametrize('flag', ['--foreground', '-f'])
def test_foreground_flag_starts_the_daemon_and_stop_names_its_pid(oxios,
                                                                  flag):
    d = make_daemon(oxios)
    errlog = open(oxios.path('daemon.stderr'), 'a')
    proc = subprocess.Popen([BIN, flag], env=oxios.env,
                            stdout=subprocess.PIPE, stderr=errlog, text=True)
    d.proc = proc
    d.errlog = errlog
    try:
        d.wait_ready()
        assert int(open(oxios.path('run', 'oxios.pid')).read()) == proc.pid
        r = oxios.run('stop', check=0, timeout=60)
        assert 'oxios stopped (pid %d,' % proc.pid in r.stdout, r.stdout
        assert proc.wait(timeout=30) == 0
    finally:
        d.stop()
    err = d.stderr()
    assert 'Sanitizer' not in err and 'runtime error' not in err, err


def test_foreground_flag_passes_the_rest_to_start(oxios):
    r = oxios.run('-f', '--bogus')
    assert r.returncode == 2
    assert 'usage: oxios start' in r.stderr, r.stderr


@pytest.mark.parametrize('args,hint', [
    (['statu'], "unknown command 'statu' (did you mean 'oxios status'?)"),
    (['lgo'], "did you mean 'oxios log'?"),
    (['memroy', 'search', 'x'], "did you mean 'oxios memory'?"),
    (['--stats'], "unknown option '--stats' (did you mean 'oxios "
                  "status'?)"),
    (['--markdown'], "did you mean 'oxios config --markdown'?"),
    (['--json'], "it goes after a command ('oxios COMMAND --json'"),
    (['xyzzy'], "unknown command 'xyzzy' (see: oxios help)"),
    (['--xyzzy'], "unknown option '--xyzzy' (see: oxios help)"),
    (['--foregroun'], "unknown option '--foregroun' (did you mean "
                      "'oxios --foreground'?)"),
    (['--verison'], "did you mean 'oxios --version'?"),
])
def test_mistakes_suggest_the_right_command(oxios, args, hint):
    r = oxios.run(*args)
    assert r.returncode == 2, r
    assert hint in r.stderr, r.stderr
    assert r.stdout == ''
    assert len(r.stderr.splitlines()) == 1, r.stderr


# ---- memory search: which recall it used ----

def test_memory_search_says_which_recall_it_used(oxios):
    oxios.run('memory', 'add', 'I prefer tabs in C code', check=0)
    # The default, the built-in word vectors: "indentation" is not among
    # their words (nor does it share one with the memory).
    r = oxios.run('memory', 'search', 'indentation', check=0)
    # No key: no query expansion (tests/integration/test_memory_expand.py).
    assert r.stdout == (
        'nothing found\n'
        'recall: fts+vector (embedder local:glove100), not expanded: no chat '
        'model: the provider of engine.default_model has no key\n')
    notes = [ln for ln in r.stderr.splitlines() if 'note:' in ln]
    assert len(notes) == 1, r.stderr
    assert 'recall by keywords and built-in word vectors' in notes[0]
    assert 'memory.embedder api' in notes[0]
    assert 'memory.embedding_url' in notes[0]
    # Words it knows find what they mean.
    r = oxios.run('memory', 'search', 'software formatting preferences',
                  '--json', check=0)
    hit = json.loads(r.stdout)[0]
    assert hit['content'] == 'I prefer tabs in C code'
    assert 'keyword_rank' not in hit and hit['vector_rank'] == 1
    r = oxios.run('memory', 'search', 'software formatting preferences',
                  check=0)
    assert 'I prefer tabs in C code' in r.stdout
    assert 'note:' not in r.stderr  # found: the recall line says enough
    oxios.write_config('[memory]\nembedder = "tfidf"\n')
    r = oxios.run('memory', 'search', 'indentation', check=0)
    notes = [ln for ln in r.stderr.splitlines() if 'note:' in ln]
    assert len(notes) == 1, r.stderr
    assert 'recall by keywords and TF-IDF' in notes[0]
    assert 'memory.embedder api' in notes[0]
    assert '/v1/embeddings' in notes[0]
    r = oxios.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    assert r.stderr.count('note: recall by keywords and TF-IDF') == 1
    # Not with --json (the array is all of stdout), nor by keywords alone.
    r = oxios.run('memory', 'search', 'tabs', '--json', check=0)
    assert r.stderr == '' and json.loads(r.stdout)[0]['id'] == 1
    r = oxios.run('memory', 'search', 'tabs', '--mode', 'keyword', check=0)
    assert r.stderr == ''


def test_memory_search_with_an_api_embedder(llm):
    cfg = ('[engine]\nretry_base_ms = 20\n[memory]\nembedder = "api"\n'
           'embedding_url = "%s/v1"\nembedding_model = "fake-embed"\n')
    llm.write_config(cfg % llm.fake.url)
    llm.env['OXIOS_EMBEDDING_API_KEY'] = 'sk-openai-test-key-0123456789'
    llm.run('memory', 'add', 'I prefer tabs in C code', check=0)
    r = llm.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    assert 'note:' not in r.stderr, r.stderr
    # The embedder down: the search goes on by keywords and says why.
    llm.write_config(cfg % 'http://127.0.0.1:9')
    r = llm.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    notes = [ln for ln in r.stderr.splitlines() if 'note:' in ln]
    assert len(notes) == 1, r.stderr
    assert 'recall by keywords only: the embedder failed' in notes[0]
    assert 'cannot reach http://127.0.0.1:9/v1/embeddings' in notes[0]


# ---- GET /api/metrics: Prometheus, like /metrics ----

def test_api_metrics_is_prometheus_with_json_on_request(daemon):
    st, h, text = daemon.get('/api/metrics')
    assert st == 200, text
    assert h['Content-Type'] == 'text/plain; version=0.0.4; charset=utf-8'
    assert '# TYPE oxios_http_requests_total counter' in text
    assert 'oxios_llm_calls_total' in text or 'oxios_agents' in text
    st, h2, public = daemon.get('/metrics', auth=False)
    assert st == 200 and h2['Content-Type'] == h['Content-Type']
    # The same families, in the same order (the counts move on).
    def families(t):
        return [ln for ln in t.splitlines() if ln.startswith('# TYPE')]
    assert families(text) == families(public)
    st, h, j = daemon.get('/api/metrics?format=json')
    assert st == 200 and h['Content-Type'].startswith('application/json')
    assert {'http', 'agents', 'llm'} <= set(j)
    st, _, text = daemon.get('/api/metrics?format=prometheus')
    assert st == 200 and '# TYPE oxios_http_requests_total' in text
    st, _, j = daemon.get('/api/metrics?format=xml')
    assert st == 400 and j['error']['code'] == 'bad_format'
    st, _, j = daemon.get('/api/metrics', auth=False)
    assert st == 401


# ---- oxios chat PROMPT ----

CHAT_CFG = ('[engine]\nretry_base_ms = 20\n'
            'default_model = "openai/gpt-4.1"\n')


def user_messages(fake):
    msgs = [q for q in fake.requests()
            if q['path'].endswith('/completions')][-1]['body']['messages']
    return [m['content'] for m in msgs if m['role'] == 'user']


def test_chat_prompt_is_the_first_message_then_stdin(llm):
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi there.'},
                             {'text': 'You said hello first.'}]})
    r = llm.run('chat', 'hello', 'there', stdin='what did I say?\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Hi there.\nYou said hello first.\n', r.stdout
    assert user_messages(llm.fake) == ['hello there', 'what did I say?']


def test_chat_prompt_alone_answers_and_ends_with_stdin(llm):
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi.'}]})
    r = llm.run('chat', '--model', 'openai/gpt-4.1-mini', 'hello', stdin='')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Hi.\n'
    reqs = [q for q in llm.fake.requests()
            if q['path'].endswith('/completions')]
    assert len(reqs) == 1 and reqs[0]['body']['model'] == 'gpt-4.1-mini'


def test_chat_prompt_on_a_terminal_goes_on_interactively(llm):
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi there.'},
                             {'text': 'You said hello first.'}]})
    with Terminal([BIN, 'chat', 'hello'],
                  dict(llm.env, TERM='dumb')) as t:
        t.expect('you> hello')
        at = t.expect('Hi there.')
        # Then the prompt, for the next message.
        t.expect('you> ', since=at)
        t.send('what did I say?')
        t.expect('You said hello first.')
        t.send('.quit')
        assert t.wait() == 0
    assert user_messages(llm.fake) == ['hello', 'what did I say?']


# ---- the spinner: phase, elapsed time, retries; only on a terminal ----

SPIN_CFG = ('[engine]\nretry_base_ms = 400\n'
            'default_model = "openai/gpt-4.1"\n')
ANSWER = 'Hello there, friend.'
MARK = re.compile(rb'\r\x1b\[K[|/\\-] ([^\r]*?)  (\d+\.\d) s')


def read_all(fd, timeout=60):
    out = b''
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], end - time.time())
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    return out


def run_on_terminal(ox, args, stdout_tty=False, term='xterm'):
    """`oxios ARGS` with stderr on a terminal of its own (and stdout on
    the same one, as in a shell, if asked): (exit code, stdout bytes,
    stderr bytes); with stdout_tty both are in the third."""
    em, es = pty.openpty()
    p = subprocess.Popen([BIN] + args, env=dict(ox.env, TERM=term),
                         stdin=subprocess.DEVNULL,
                         stdout=es if stdout_tty else subprocess.PIPE,
                         stderr=es)
    os.close(es)
    err = read_all(em)
    rc = p.wait(timeout=60)
    out = b'' if stdout_tty else p.stdout.read()
    os.close(em)
    return rc, out, err


def labels(err):
    return [m.group(1).decode() for m in MARK.finditer(err)]


def test_run_spinner_phase_time_and_retry_on_a_terminal(llm):
    llm.write_config(SPIN_CFG)
    llm.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 300,
                              'fault': {'status': 500, 'times': 1}}]})
    rc, out, err = run_on_terminal(llm, ['run', '--local', 'hi'])
    assert rc == 0, err
    # stdout is the answer alone.
    assert out == (ANSWER + '\n').encode(), out
    seen = labels(err)
    assert 'thinking' in seen, err
    times = [float(m.group(2)) for m in MARK.finditer(err)]
    assert times == sorted(times) and times[-1] >= 0.5, times
    # The retry, said once with why, then counted down / retried.
    retry = re.findall(rb'\[retrying in (\d+\.\d) s \(attempt 1 failed\): '
                       rb'openai: server error \(HTTP 500\)[^\]]*\]\r\n',
                       err)
    assert len(retry) == 1, err
    assert 0.2 <= float(retry[0]) <= 0.4
    assert any(s.startswith('retrying') for s in seen), seen
    # The line is erased when the run ends: what follows is plain.
    tail = err[err.rindex(b'\x1b[K') + 3:]
    assert b'thinking' not in tail and b'session ' in tail, tail


def test_spinner_never_mixes_with_the_answer_on_the_same_terminal(llm):
    """stdout on the same terminal: while a line of the answer is being
    written the spinner keeps still (an erase would wipe the line), even
    when the answer pauses longer than the spinner's rest."""
    llm.write_config(SPIN_CFG)
    llm.fake.load({'turns': [{'text': ANSWER, 'chunk_bytes': 6,
                              'delay_ms': 450}]})
    rc, _, both = run_on_terminal(llm, ['run', '--local', 'hi'],
                                  stdout_tty=True)
    assert rc == 0, both
    start = both.index(ANSWER[:6].encode())
    assert both[start:start + len(ANSWER) + 2] == \
        (ANSWER + '\r\n').encode(), both
    # The spinner was there before the answer began, erased before it.
    assert 'thinking' in labels(both[:start]), both
    assert both[:start].endswith(b'\r\x1b[K'), both[:start]


def test_no_spinner_off_a_terminal_or_with_json(llm):
    llm.write_config(SPIN_CFG)
    llm.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 300,
                              'fault': {'status': 500, 'times': 1}}]})
    r = llm.run('run', '--local', 'hi', env={'TERM': 'xterm'})
    assert r.returncode == 0, r.stderr
    assert r.stdout == ANSWER + '\n'
    assert '\r' not in r.stderr and 'thinking' not in r.stderr
    assert 'retrying' not in r.stderr, r.stderr
    # --json on a terminal: the JSON alone, nothing on stderr but what
    # is not the spinner's.
    llm.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 300,
                              'fault': {'status': 500, 'times': 1}}]})
    rc, out, err = run_on_terminal(llm, ['run', '--local', '--json', 'hi'])
    assert rc == 0, err
    assert json.loads(out)['response'] == ANSWER
    assert b'\x1b[K' not in err and b'retrying' not in err, err
    # A terminal that cannot erase a line (TERM=dumb): nothing either.
    llm.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 300}]})
    rc, out, err = run_on_terminal(llm, ['run', '--local', 'hi'],
                                   term='dumb')
    assert rc == 0 and out == (ANSWER + '\n').encode()
    assert b'\x1b[K' not in err and b'thinking' not in err, err


def test_run_through_the_daemon_shows_the_retry(daemon):
    """The retry comes over the control socket (a `retry` event)."""
    daemon.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 300,
                                 'fault': {'status': 500, 'times': 1}}]})
    rc, out, err = run_on_terminal(daemon.ox, ['run', 'hi'])
    assert rc == 0, err
    assert out == (ANSWER + '\n').encode(), out
    assert re.search(rb'\[retrying in \d+\.\d s \(attempt 1 failed\): '
                     rb'openai: server error \(HTTP 500\)', err), err
    assert 'thinking' in labels(err), err
    # Through the daemon: the run's agent is the daemon's.
    st, _, agents = daemon.get('/api/agents')
    assert st == 200 and len(agents['agents'] if isinstance(
        agents, dict) else agents) == 1


def test_chat_spinner_during_a_turn_not_at_the_prompt(llm):
    llm.write_config(SPIN_CFG)
    llm.fake.load({'turns': [{'text': ANSWER, 'delay_ms': 400}]})
    with Terminal([BIN, 'chat', 'hi'], dict(llm.env, TERM='xterm')) as t:
        at = t.expect(ANSWER)
        before = t.out[:at - len(ANSWER)]
        assert 'thinking' in labels(before), t.out
        t.expect('you> ', since=at)
        time.sleep(0.8)  # at the prompt: nothing is drawn
        r, _, _ = select.select([t.fd], [], [], 0)
        if r:
            t.out += os.read(t.fd, 65536)
        assert labels(t.out[at:]) == [], t.out[at:]
        t.send('.quit')
        assert t.wait() == 0


OURO_CFG = ('[engine]\nretry_base_ms = 20\n'
            'default_model = "openai/gpt-4.1"\n'
            '[exec]\nallowlist = ["test"]\n'
            '[ouroboros]\nmax_generations = 1\ninterview = false\n')


def test_run_spinner_shows_the_ouroboros_phase(llm):
    from test_ouroboros import WRITE, judge, seed_args, turn
    llm.env.pop('OXIOS_OUROBOROS_MODE', None)
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config(OURO_CFG)
    stall = {'stall_ms': 900}
    seed = turn('write_seed', 2, **seed_args())
    seed['fault'] = stall
    verdict = turn('judge', 3, **judge())
    verdict['fault'] = dict(stall)
    llm.fake.load({'turns': [seed, WRITE, {'text': 'Wrote hello.txt.'},
                             verdict]})
    rc, out, err = run_on_terminal(llm, ['run', '--local', '--spec',
                                         'write hello.txt'])
    assert rc == 0, err
    seen = labels(err)
    assert 'seed' in seen and 'evaluate' in seen, seen
    assert seen.index('seed') < seen.index('evaluate')
    assert b'ouroboros: passed' in err, err


# ---- cost_usd: null when the price is unknown; floats readable ----

USAGE = {'input_tokens': 1000, 'output_tokens': 500}
PRICED = (1000 * 2.0 + 500 * 8.0) / 1e6  # openai/gpt-4.1


def test_run_json_cost_is_null_for_an_unpriced_model(llm):
    llm.write_config(SPIN_CFG)
    llm.fake.load({'turns': [{'text': 'a', 'usage': USAGE}]})
    r = llm.run('run', '--local', '--json', 'hi', check=0)
    out = json.loads(r.stdout)
    assert out['cost_usd'] == pytest.approx(PRICED)
    # Printed as people write it: 0.006, not 0.0060000000000000001.
    assert '"cost_usd": 0.006' in r.stdout or \
        '"cost_usd":0.006' in r.stdout, r.stdout
    llm.fake.load({'turns': [{'text': 'b', 'usage': USAGE}]})
    r = llm.run('run', '--local', '--json', '--model', 'openai/mystery-1',
                'hi', check=0)
    out = json.loads(r.stdout)
    assert out['response'] == 'b' and out['cost_usd'] is None, out
    agent = out['agent_id']
    db = sqlite3.connect(llm.path('oxios.db'))
    rows = db.execute('SELECT cost_usd FROM agents ORDER BY rowid').fetchall()
    db.close()
    assert rows[0][0] == pytest.approx(PRICED) and rows[1] == (None,)
    assert agent


def test_memory_json_floats_are_short(oxios):
    oxios.run('memory', 'add', 'I prefer tabs in C code', check=0)
    r = oxios.run('memory', 'list', '--json', check=0)
    assert '"importance": 0.8,' in r.stdout, r.stdout
    assert '0000000' not in r.stdout, r.stdout


def test_daemon_cost_is_null_for_an_unpriced_model(daemon):
    """The REST answer, the agents API, and `oxios run --json` through
    the control socket (its done record)."""
    daemon.fake.load({'turns': [{'text': 'x', 'usage': USAGE}]})
    st, _, j = daemon.post('/api/chat', {'content': 'hi',
                                         'model': 'openai/mystery-1'})
    assert st == 200 and j['reply'] == 'x', j
    assert j['cost_usd'] is None
    st, _, a = daemon.get('/api/agents/' + j['agent_id'])
    assert st == 200 and a['cost_usd'] is None, a
    daemon.fake.load({'turns': [{'text': 'y', 'usage': USAGE}]})
    st, _, j = daemon.post('/api/chat', {'content': 'hi'})
    assert j['cost_usd'] == pytest.approx(PRICED)
    st, _, a = daemon.get('/api/agents/' + j['agent_id'])
    assert a['cost_usd'] == pytest.approx(PRICED)
    # The REST answer's floats are short too.
    c = daemon.conn()
    c.request('GET', '/api/agents/' + j['agent_id'],
              headers={'Authorization': 'Bearer ' + daemon.token})
    raw = c.getresponse().read().decode()
    c.close()
    assert '"cost_usd":0.006' in raw, raw
    # Through the control socket.
    daemon.fake.load({'turns': [{'text': 'z', 'usage': USAGE}]})
    r = daemon.ox.run('run', '--json', '--model', 'openai/mystery-1', 'hi',
                      check=0)
    out = json.loads(r.stdout)
    assert out['response'] == 'z' and out['cost_usd'] is None, out
    daemon.fake.load({'turns': [{'text': 'w', 'usage': USAGE}]})
    out = json.loads(daemon.ox.run('run', '--json', 'hi', check=0).stdout)
    assert out['cost_usd'] == pytest.approx(PRICED)


def test_websocket_chat_tells_a_retry(daemon):
    import asyncio
    from test_daemon import ws_chat
    daemon.fake.load({'turns': [{'text': ANSWER,
                                 'fault': {'status': 500, 'times': 1}}]})
    got = asyncio.run(ws_chat(daemon, [{'type': 'message', 'content': 'hi'}]))
    retries = [m for m in got if m['type'] == 'retry']
    assert len(retries) == 1, got
    assert retries[0]['attempt'] == 1 and retries[0]['wait_ms'] >= 0
    assert 'HTTP 500' in retries[0]['reason']
    assert got[-1]['type'] == 'done' and got[-1]['reply'] == ANSWER
    # The REST answer has no stream: the same run, no event, same reply.
    daemon.fake.load({'turns': [{'text': ANSWER,
                                 'fault': {'status': 500, 'times': 1}}]})
    st, _, j = daemon.post('/api/chat', {'content': 'hi'})
    assert st == 200 and j['reply'] == ANSWER


# ---- the README: nothing outside the repository; its samples are real ----

def readme(root):
    with open(os.path.join(root, 'README.md')) as f:
        return f.read()


def test_readme_points_inside_the_repository(root):
    text = readme(root)
    assert '../' not in text, 'the README points outside the repository'
    for path in re.findall(r'`((?:docs/|HACKING)[^`\s]*\.md)`', text):
        assert os.path.exists(os.path.join(root, path)), path
    # The curl example says where $TOKEN comes from.
    assert 'TOKEN=$(oxios token rotate --quiet)' in text


def test_readme_samples_are_what_oxios_prints(root, oxios):
    text = readme(root)
    r = oxios.run('doctor', env={'ANTHROPIC_API_KEY': 'sk-ant-x' * 4})
    db = [ln for ln in r.stdout.splitlines() if ln.startswith('ok    database')]
    assert db, r.stdout
    version = re.search(r'schema version \d+ \(latest \d+\)', db[0]).group(0)
    assert version in text, (version, 'README: schema version is stale')
    keys = [ln for ln in r.stdout.splitlines() if ln.startswith('ok    keys')]
    for ln in keys:
        assert ln in text, ln
    # The memory example (it needs a model for the query's expansion):
    # test_memory_expand.py::test_readme_example_runs_as_written.
    r = oxios.run('chat', '--help', check=0)
    assert 'PROMPT' in r.stdout


def test_run_spinner_names_the_tool_running(llm):
    llm.write_config(SPIN_CFG + '[exec]\nallowlist = ["sleep"]\n')
    llm.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'exec', 'arguments': {
            'mode': 'structured', 'binary': 'sleep', 'args': ['1']}}]},
        {'text': 'Slept.'}]})
    rc, out, err = run_on_terminal(llm, ['run', '--local', 'nap'])
    assert rc == 0, err
    assert out == b'Slept.\n'
    seen = labels(err)
    assert 'running exec' in seen, seen
    # The tool's name goes when the tool has ended.
    after = labels(err[err.index(b'<- ok'):])
    assert 'running exec' not in after, after
