"""One kernel per home: with the daemon up, `oxios run` and `oxios chat`
are clients of its control socket ($OXIOS_HOME/run/ctl.sock); `--local`
(or no daemon) runs the agent in the CLI's own process.  The output,
the --json fields and the exit codes are the same either way.  See
docs/governance.md, "One kernel per home"."""
import json
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import BIN, Terminal, make_daemon

TOOLS_THEN_ANSWER = {'turns': [
    {'text': 'Looking.', 'tool_calls': [
        {'id': 'c1', 'name': 'ls', 'arguments': {'path': '.'}}]},
    {'text': 'Done: one file.'}]}

# Each call says it used 5950 tokens: --budget-tokens 6000 admits one.
THREE_CALLS = {'turns': [
    {'tool_calls': [{'id': 'c1', 'name': 'ls', 'arguments': {'path': '.'}}],
     'usage': {'input_tokens': 5900, 'output_tokens': 50}},
    {'tool_calls': [{'id': 'c2', 'name': 'ls', 'arguments': {}}],
     'usage': {'input_tokens': 5900, 'output_tokens': 50}},
    {'text': 'Done.', 'usage': {'input_tokens': 5900, 'output_tokens': 50}},
]}


@pytest.fixture
def home(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    with open(os.path.join(llm.home, 'workspace', 'a.txt'), 'w') as f:
        f.write('a\n')
    d = make_daemon(llm)
    d.fake = llm.fake
    llm.d = d
    yield llm
    if d.proc is not None and d.proc.poll() is None:
        d.stop_clean()


def sock_path(ox):
    return ox.path('run', 'ctl.sock')


def agent_rows(ox):
    db = sqlite3.connect(ox.path('oxios.db'))
    try:
        return db.execute('SELECT id, state FROM agents').fetchall()
    finally:
        db.close()


def run_bg(ox, *args):
    return subprocess.Popen([BIN] + list(args), env=ox.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def ancestors(pid):
    """pid and its ancestors, from /proc."""
    out = []
    while pid > 1:
        out.append(pid)
        try:
            with open('/proc/%d/status' % pid) as f:
                pid = int(re.search(r'^PPid:\s*(\d+)', f.read(),
                                    re.M).group(1))
        except OSError:
            break
    return out


def worker_pid(ox, aid, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        db = sqlite3.connect(ox.path('oxios.db'))
        row = db.execute('SELECT worker_pid FROM agents WHERE id = ?',
                         (aid,)).fetchone()
        db.close()
        if row and row[0]:
            return row[0]
        time.sleep(0.05)
    raise AssertionError('the agent has no worker')


def running_agents(d, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        st, _, j = d.get('/api/agents?state=running')
        assert st == 200
        if j['agents']:
            return j['agents']
        time.sleep(0.05)
    raise AssertionError('no agent ran in the daemon\n' + d.stderr())


def test_run_goes_through_the_daemon(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'slow answer', 'delay_ms': 1500}]})
    p = run_bg(home, 'run', '--json', 'hello')
    agents = running_agents(d)
    # Its call is the daemon scheduler's, as a run's (class "run").
    end, mine = time.time() + 20, []
    while time.time() < end and not mine:
        st, _, j = d.get('/api/scheduler/tasks')
        assert st == 200, j
        mine = [t for t in j['tasks'] if t['agent_id'] == agents[0]['id']]
        time.sleep(0.02)
    assert mine and mine[0]['class'] == 'run', j
    assert mine[0]['state'] in ('queued', 'running')
    # Its worker is the daemon's, not the CLI's.
    chain = ancestors(worker_pid(home, agents[0]['id']))
    assert d.proc.pid in chain and p.pid not in chain, chain
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    res = json.loads(out)
    assert res['response'] == 'slow answer'
    assert res['agent_id'] == agents[0]['id']
    st, _, a = d.get('/api/agents/' + res['agent_id'])
    assert st == 200 and a['state'] in ('done', 'finished', 'completed') or \
        a['state'] != 'running'
    assert 'control socket' in d.stderr()


def normalise(text):
    """stderr without what differs from run to run: ids and timings."""
    text = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}', 'ID', text)
    return re.sub(r'\d+ ms', 'N ms', text)


def both_ways(home, script, *args):
    """The same scripted run embedded (--local) and through the daemon."""
    home.fake.reset()
    home.fake.load(script)
    local = home.run('run', '--local', *args, timeout=60)
    n_local = len(agent_rows(home))
    home.fake.reset()
    home.fake.load(script)
    remote = home.run('run', *args, timeout=60)
    return local, remote, n_local


def test_output_identical(home):
    d = home.d
    d.start()
    for args in (('list the files',), ('--exit-code', 'list the files')):
        local, remote, _ = both_ways(home, TOOLS_THEN_ANSWER, *args)
        assert local.returncode == remote.returncode == 0
        assert local.stdout == remote.stdout == 'Looking.\nDone: one file.\n'
        assert normalise(local.stderr) == normalise(remote.stderr)
        assert '-> ls {"path":"."}' in remote.stderr

    local, remote, _ = both_ways(home, TOOLS_THEN_ANSWER, '--json', 'list')
    jl, jr = json.loads(local.stdout), json.loads(remote.stdout)
    assert local.returncode == remote.returncode == 0
    assert sorted(jl) == sorted(jr)
    for k in ('response', 'exit_code', 'stop_reason', 'iterations',
              'tool_calls', 'usage', 'cost_usd', 'space_id', 'seed_id'):
        assert jl[k] == jr[k], k
    assert jl['sandbox'].keys() == jr['sandbox'].keys()
    assert jl['agent_id'] != jr['agent_id']

    # A budget stop: exit 1 both ways, the same error naming the budget.
    local, remote, _ = both_ways(home, THREE_CALLS, '--budget-tokens', '6000',
                                 'list it')
    assert local.returncode == remote.returncode == 1
    assert local.stdout == remote.stdout
    assert normalise(local.stderr) == normalise(remote.stderr)
    assert "run stopped (budget): budget: this run's token budget (6000)" \
        in remote.stderr
    local, remote, _ = both_ways(home, THREE_CALLS, '--json',
                                 '--budget-tokens', '6000', 'list it')
    jl, jr = json.loads(local.stdout), json.loads(remote.stdout)
    assert local.returncode == remote.returncode == 1
    assert sorted(jl) == sorted(jr)
    assert jl['stop_reason'] == jr['stop_reason'] == 'budget'
    assert jl['exit_code'] == jr['exit_code'] == 1

    # An unknown provider: the same error, the same exit code.
    local, remote, _ = both_ways(home, TOOLS_THEN_ANSWER, '--json',
                                 '--model', 'nope/x', 'hi')
    assert local.returncode == remote.returncode == 1
    jl, jr = json.loads(local.stdout), json.loads(remote.stdout)
    assert sorted(jl) == sorted(jr)
    assert jl.get('error') == jr.get('error')
    assert jl.get('stop_detail') == jr.get('stop_detail')
    assert 'nope' in (jl.get('error') or jl.get('stop_detail'))
    # An unknown session: refused before any agent runs, the same way.
    local, remote, _ = both_ways(home, TOOLS_THEN_ANSWER, '--session',
                                 'no-such-session', 'hi')
    assert local.returncode == remote.returncode == 1
    assert local.stderr == remote.stderr and local.stderr


def test_ctrl_c_cancels_the_run_in_the_daemon(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'slow', 'fault': {'hang': True}}]})
    p = run_bg(home, 'run', '--json', 'wait')
    aid = running_agents(d)[0]['id']
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=15)
    assert time.monotonic() - t0 < 5
    assert p.returncode == 1, err
    res = json.loads(out)
    assert res['stop_reason'] == 'cancelled' and res['exit_code'] == 1
    assert res['agent_id'] == aid
    st, _, a = d.get('/api/agents/' + aid)
    assert a['state'] == 'killed'


def test_hang_up_cancels_at_once(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'slow', 'fault': {'hang': True}}]})
    p = run_bg(home, 'run', 'wait')
    aid = running_agents(d)[0]['id']
    p.kill()  # no goodbye: the daemon sees the hang-up
    p.wait()
    end = time.time() + 5
    while time.time() < end:
        st, _, a = d.get('/api/agents/' + aid)
        if a['state'] == 'killed':
            break
        time.sleep(0.05)
    assert a['state'] == 'killed', a


def test_socket_and_directory_modes(home):
    d = home.d
    # A stale socket (a daemon that died) is replaced at start.
    os.makedirs(home.path('run'), mode=0o755, exist_ok=True)
    os.chmod(home.path('run'), 0o755)
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock_path(home))
    s.close()
    d.start()
    assert stat.S_IMODE(os.stat(home.path('run')).st_mode) == 0o700
    st = os.stat(sock_path(home))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    home.fake.load({'turns': [{'text': 'fine'}]})
    r = home.run('run', 'hi', timeout=60)
    assert r.returncode == 0 and r.stdout == 'fine\n', r.stderr
    d.stop_clean()
    assert not os.path.exists(sock_path(home))


def raw(ox, line):
    """Send one raw line to the socket; the daemon's lines back."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(sock_path(ox))
    s.sendall(line)
    data = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return [json.loads(x) for x in data.decode().splitlines()]


def test_bad_requests_get_clear_errors(home):
    d = home.d
    d.start()
    cases = [
        (b'not json\n', 'invalid JSON'),
        (b'[1]\n', 'JSON object'),
        (b'{"type":"run"}\n', "'prompt' is missing"),
        (b'{"type":"run","prompt":"x","bogus":1}\n', "unknown field 'bogus'"),
        (b'{"type":"run","prompt":"x","timeout":0}\n', "'timeout'"),
        (b'{"type":"run","prompt":"x","class":"root"}\n', "'class'"),
        (b'{"type":"run","prompt":"x","model":"nomodel"}\n', 'provider/'),
        (b'{"type":"cancel"}\n', '"type":"run"'),
    ]
    for line, want in cases:
        ev = raw(home, line)
        assert len(ev) == 1 and ev[0]['event'] == 'error', ev
        assert want in ev[0]['error'], (line, ev)
    # Too long a line: refused without reading it all.
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path(home))
    try:
        s.sendall(b'{"type":"run","prompt":"' + b'x' * (9 * 1024 * 1024))
    except OSError:
        pass  # the daemon closed once the cap was passed
    s.settimeout(10)
    data = s.recv(65536)
    s.close()
    assert b'longer than' in data, data
    assert agent_rows(home) == []


def test_a_good_raw_request_streams_events(home):
    d = home.d
    d.start()
    home.fake.load(TOOLS_THEN_ANSWER)
    ev = raw(home, json.dumps({'type': 'run', 'prompt': 'list',
                               'class': 'interactive', 'agent': 'ops',
                               'timeout': 60}).encode() + b'\n')
    kinds = [e['event'] for e in ev]
    assert kinds[0] == 'started' and kinds[-1] == 'done', kinds
    assert 'tool_start' in kinds and 'tool_end' in kinds and 'text' in kinds
    done = ev[-1]
    assert done['started'] is True and done['stop_reason'] == 'done'
    assert done['answer'] == 'Done: one file.'
    db = sqlite3.connect(home.path('oxios.db'))
    rows = db.execute('SELECT principal, class FROM llm_calls').fetchall()
    db.close()
    assert rows and all(r == ('ops', 'interactive') for r in rows), rows


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to drop to nobody')
def test_another_uid_is_refused(home):
    import pwd
    d = home.d
    d.start()
    nobody = pwd.getpwnam('nobody')
    # The directory (0700) keeps others out: first that.
    r = subprocess.run(['setpriv', '--reuid', str(nobody.pw_uid), '--regid',
                        str(nobody.pw_gid), '--clear-groups', 'python3', '-c',
                        'import socket,sys; s=socket.socket(socket.AF_UNIX); '
                        's.connect(sys.argv[1])', sock_path(home)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and 'Permission denied' in r.stderr, r.stderr
    # Then open it to reach the second line of defence, the peer's uid
    # (the child keeps the run directory open, so that its ancestors'
    # modes do not matter).
    os.chmod(home.path('run'), 0o711)
    os.chmod(sock_path(home), 0o666)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            dfd = os.open(home.path('run'), os.O_PATH)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect('/proc/self/fd/%d/ctl.sock' % dfd)
            try:
                s.sendall(b'{"type":"run","prompt":"hi"}\n')
            except BrokenPipeError:
                pass  # refused before it was read
            data = b''
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
            os.write(w, data)
        except BaseException as e:  # noqa: B902
            os.write(w, ('child: %r' % e).encode())
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        c = os.read(r, 4096)
        if not c:
            break
        data += c
    os.close(r)
    os.waitpid(pid, 0)
    ev = json.loads(data.decode().splitlines()[0])
    assert ev['event'] == 'error', data
    assert ev['error'].startswith('permission denied: uid %d'
                                  % nobody.pw_uid), ev
    assert agent_rows(home) == []
    # The refusal is in the audit log (written before the answer).
    db = sqlite3.connect(home.path('oxios.db'))
    rows = db.execute("SELECT actor, resource FROM audit_log WHERE action = "
                      "'access_denied'").fetchall()
    db.close()
    assert ('uid:%d' % nobody.pw_uid, 'run/ctl.sock') in rows, rows
    assert 'refused pid' in d.stderr()


def test_local_does_not_use_the_daemon(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'here', 'delay_ms': 300}]})
    p = run_bg(home, 'run', '--local', '--json', 'hi')
    aid = running_agents(d)[0]['id']  # in the shared database...
    chain = ancestors(worker_pid(home, aid))
    assert p.pid in chain and d.proc.pid not in chain, chain  # ...ours
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert json.loads(out)['response'] == 'here'


def test_no_daemon_runs_embedded(home):
    home.fake.load({'turns': [{'text': 'embedded'}]})
    assert not os.path.exists(sock_path(home))
    r = home.run('run', 'hi', timeout=60)
    assert r.returncode == 0 and r.stdout == 'embedded\n', r.stderr
    # A stale socket (nobody listens) is the same as none.
    os.makedirs(home.path('run'), mode=0o700, exist_ok=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock_path(home))
    s.close()
    home.fake.load({'turns': [{'text': 'still embedded'}]})
    r = home.run('run', 'hi', timeout=60)
    assert r.returncode == 0 and r.stdout == 'still embedded\n', r.stderr


def test_chat_through_the_daemon_keeps_the_session(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'Hi there.'},
                              {'text': 'You said hello first.'}]})
    r = home.run('chat', stdin='hello\nwhat did I say?\n.quit\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Hi there.\nYou said hello first.\n'
    msgs = [q for q in home.fake.requests()
            if q['path'].endswith('/completions')][-1]['body']['messages']
    assert [m['content'] for m in msgs if m['role'] == 'user'] == [
        'hello', 'what did I say?']
    db = sqlite3.connect(home.path('oxios.db'))
    assert db.execute('SELECT COUNT(*) FROM sessions').fetchone()[0] == 1
    assert db.execute('SELECT DISTINCT class FROM llm_calls').fetchall() == [
        ('interactive',)]
    db.close()
    st, _, j = d.get('/api/agents')
    assert len(j['agents']) == 2  # both turns ran in the daemon


def test_chat_ctrl_c_through_the_daemon(home):
    d = home.d
    d.start()
    # The fault hangs the first request for the turn; the next one gets it.
    home.fake.load({'turns': [{'text': 'Still here.',
                               'fault': {'hang': True}}]})
    with Terminal([BIN, 'chat'], dict(home.env, TERM='dumb')) as t:
        t.expect('you> ')
        t.send('wait for it')
        aid = running_agents(d)[0]['id']
        for _ in range(200):  # the hanging request has reached the fake
            if any(q['path'].endswith('/completions')
                   for q in home.fake.requests()):
                break
            time.sleep(0.05)
        t.interrupt()
        at = t.expect('[cancelled]')
        t.expect('you> ', since=at)
        st, _, a = d.get('/api/agents/' + aid)
        assert a['state'] == 'killed'  # in the daemon
        t.send('are you there?')
        t.expect('Still here.')
        t.send('.quit')
        assert t.wait() == 0
    st, _, j = d.get('/api/agents')
    assert len(j['agents']) == 2


def test_flags_are_carried(home):
    d = home.d
    d.start()
    home.fake.load({'turns': [{'text': 'small'}]})
    r = home.run('run', '--json', '--model', 'openai/gpt-4o-mini', 'hi',
                 timeout=60)
    assert r.returncode == 0, r.stderr
    reqs = [q for q in home.fake.requests()
            if q['path'].endswith('/completions')]
    assert reqs[-1]['body']['model'] == 'gpt-4o-mini'
    first = json.loads(r.stdout)['session_id']
    # --session continues it, through the daemon.
    home.fake.load({'turns': [{'text': 'again'}]})
    r = home.run('run', '--json', '--session', first, 'and now?',
                 timeout=60)
    assert json.loads(r.stdout)['session_id'] == first
    msgs = [q for q in home.fake.requests()
            if q['path'].endswith('/completions')][-1]['body']['messages']
    assert [m['content'] for m in msgs if m['role'] == 'user'] == [
        'hi', 'and now?']
    # --agent: the principal, whose budget and records it is.
    home.fake.load({'turns': [{'text': 'as alice'}]})
    r = home.run('run', '--json', '--agent', 'alice', 'hi', timeout=60)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res['agent'] == 'alice'
    with sqlite3.connect(home.path('oxios.db')) as db:
        who = db.execute('SELECT principal, class FROM llm_calls WHERE '
                         'agent_id = ?', (res['agent_id'],)).fetchall()
    assert who == [('alice', 'run')], who
    # --timeout: the same stop, the same exit code, either way.
    for extra in ((), ('--local',)):
        home.fake.load({'turns': [{'text': 'slow', 'fault': {'hang': True}}]})
        r = home.run('run', *extra, '--json', '--timeout', '1', 'wait',
                     timeout=60)
        res = json.loads(r.stdout)
        assert res['stop_reason'] == 'timeout', res
        assert r.returncode == res['exit_code']
    # A context file of 4 MiB (the cap), through the daemon.
    big = home.path('big.txt')
    with open(big, 'w') as f:
        f.write(('x' * 1023 + '\n') * 4095)
    home.fake.load({'turns': [{'text': 'read it'}]})
    r = home.run('run', '--json', '--context-file', big, 'summarise',
                 timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)['response'] == 'read it'
    with sqlite3.connect(home.path('oxios.db')) as db:
        n = db.execute("SELECT COUNT(*) FROM agents").fetchone()[0]
    st, _, j = d.get('/api/agents')
    assert len(j['agents']) == n  # every one of them
