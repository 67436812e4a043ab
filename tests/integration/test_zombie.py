"""Zombies: an agent whose brain makes no progress for kernel.zombie_secs
(more inside a tool call), or that waits on a worker that is gone, is
reaped: state "zombie" (row, event, audit entry), then "killed" with the
reason "zombie: ...", and the run fails.  A worker killed under a tool
call is replaced (not a zombie); a slow run that keeps streaming is never
reaped."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from conftest import BIN, make_daemon
from test_daemon import SSE, chat


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def configure(ox, zombie_secs=2, exec_timeout=60):
    ox.ws = os.path.join(ox.home, 'workspace')
    os.makedirs(ox.ws, exist_ok=True)
    ox.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        'idle_timeout_secs = 60\n'
        '[kernel]\nzombie_secs = %d\n'
        '[exec]\nallowlist = ["sleep", "ls"]\ntimeout_secs = %d\n'
        % (zombie_secs, exec_timeout))
    return ox


def db(ox):
    return sqlite3.connect(os.path.join(ox.home, 'oxios.db'))


def agent_row(ox, agent_id):
    d = db(ox)
    try:
        return d.execute('SELECT state, exit_reason, worker_pid FROM agents '
                         'WHERE id = ?', (agent_id,)).fetchone()
    finally:
        d.close()


def zombie_entries(ox):
    r = ox.run('audit', 'list', '--action', 'agent_zombie', '--json',
               check=0)
    return json.loads(r.stdout)


def pids_of(pattern):
    r = subprocess.run(['pgrep', '-f', pattern], capture_output=True,
                       text=True)
    return [int(p) for p in r.stdout.split()]


def wait_for_pids(pattern, secs=20):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        p = pids_of(pattern)
        if p:
            return p
        time.sleep(0.02)
    raise AssertionError('%s never started' % pattern)


def running_agent(ox, secs=20):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        d = db(ox)
        row = d.execute("SELECT id, worker_pid FROM agents WHERE "
                        "state = 'running' AND worker_pid IS NOT NULL"
                        ).fetchone()
        d.close()
        if row:
            return row
        time.sleep(0.05)
    raise AssertionError('no agent running')


def test_stalled_model_is_reaped(llm):
    ox = configure(llm)
    # The provider takes the request and then says nothing: its idle
    # timeout (60 s) is far; the zombie limit (2 s) is near.
    ox.fake.load({'turns': [{'text': 'never', 'fault': {'hang': True}}]})
    t0 = time.monotonic()
    r = ox.run('run', '--json', 'stall please', timeout=60)
    took = time.monotonic() - t0
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'zombie', out
    assert out['stop_detail'].startswith('zombie: no progress for'), out
    assert 2 <= took < 20, took
    state, reason, _ = agent_row(ox, out['agent_id'])
    assert state == 'killed'
    assert reason.startswith('zombie: no progress for') and \
        'kernel.zombie_secs is 2' in reason
    entries = zombie_entries(ox)
    mine = [e for e in entries
            if e['resource'] == 'agent:' + out['agent_id']]
    assert len(mine) == 1, entries
    detail = mine[0]['detail']
    if isinstance(detail, str):
        detail = json.loads(detail)
    assert detail['state'] == 'zombie' and 'no progress' in detail['reason']
    # Without --json too: non-zero, and it says why.
    ox.fake.load({'turns': [{'text': 'never', 'fault': {'hang': True}}]})
    r = ox.run('run', 'stall again', timeout=60)
    assert r.returncode == 1
    assert 'zombie' in r.stderr


def test_stalled_model_through_the_daemon(llm):
    ox = configure(llm)
    d = make_daemon(ox, '[kernel]\nzombie_secs = 2\n')
    d.start()
    try:
        sse = SSE(d)
        sse.event()  # retry:
        d.fake = ox.fake
        ox.fake.load({'turns': [{'text': 'never',
                                 'fault': {'hang': True}}]})
        st, _, j = chat(d, 'stall please')
        assert st == 500, j
        assert j['error']['code'] == 'zombie', j
        evs = sse.events_until('agent.exited')
        kinds = [e.get('event') for e in evs]
        assert 'agent.zombie' in kinds, kinds
        assert kinds.index('agent.zombie') < kinds.index('agent.exited')
        z = json.loads([e for e in evs
                        if e.get('event') == 'agent.zombie'][0]['data'])
        ex = json.loads([e for e in evs
                         if e.get('event') == 'agent.exited'][0]['data'])
        assert z['state'] == 'zombie' and 'no progress' in z['reason']
        assert ex['state'] == 'killed'
        assert ex['reason'].startswith('zombie: ')
        st, _, a = d.get('/api/agents/' + z['agent_id'])
        assert st == 200
        assert a['state'] == 'killed'
        assert a['exit_reason'].startswith('zombie: no progress')
        sse.close()
    finally:
        d.stop_clean()


def test_killed_worker_is_replaced_not_reaped(llm):
    """kill -9 of the worker under a tool call: the call fails, a fresh
    worker takes the next one, the run goes on; no zombie."""
    ox = configure(llm)
    ox.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured',
                             binary='sleep', args=['41.5'])]},
        {'tool_calls': [call('ls', 'c2', path='.')]},
        {'text': 'carried on'}]})
    p = subprocess.Popen([BIN, 'run', '--json', 'sleep then list'],
                         env=ox.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_for_pids('sleep 41.5')
        agent_id, worker = running_agent(ox)
        time.sleep(0.3)
        os.kill(worker, signal.SIGKILL)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, (out, err)
    res = json.loads(out)
    assert res['stop_reason'] == 'done' and res['response'] == 'carried on'
    bodies = [q['body'] for q in ox.fake.requests()
              if q['path'].endswith('/chat/completions')]
    results = {m['tool_call_id']: m['content']
               for m in bodies[-1]['messages'] if m['role'] == 'tool'}
    assert 'fresh worker' in results['c1'], results
    assert 'failed' not in results['c2'] and 'gone' not in results['c2']
    state, reason, _ = agent_row(ox, agent_id)
    assert state == 'exited', reason
    assert zombie_entries(ox) == []
    assert pids_of('sleep 41.5') == []


def descendants(pid):
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def test_frozen_worker_is_reaped(llm):
    """A worker that hangs (stopped) while the brain waits on it makes no
    progress: reaped after kernel.zombie_secs plus exec.timeout_secs."""
    ox = configure(llm, zombie_secs=2, exec_timeout=2)
    ox.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured',
                             binary='sleep', args=['42.25'])]},
        {'text': 'never'}]})
    p = subprocess.Popen([BIN, 'run', '--json', 'sleep'], env=ox.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    frozen = []
    try:
        wait_for_pids('sleep 42.25')
        agent_id, worker = running_agent(ox)
        frozen = descendants(worker)
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        t0 = time.monotonic()
        out, err = p.communicate(timeout=60)
        took = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert p.returncode == 1, (out, err)
    res = json.loads(out)
    assert res['stop_reason'] == 'zombie', res
    assert 'inside a tool call' in res['stop_detail'], res
    # Not before zombie_secs + exec.timeout_secs (4 s) of silence.
    assert 3 <= took < 20, took
    state, reason, _ = agent_row(ox, agent_id)
    assert state == 'killed' and reason.startswith('zombie: ')
    assert len(zombie_entries(ox)) == 1


def test_slow_streaming_run_is_not_reaped(llm):
    ox = configure(llm)
    text = 'a slow but steady answer that keeps on streaming ' * 2
    # Events every 150 ms for longer than kernel.zombie_secs (2 s).
    ox.fake.load({'turns': [{'text': text, 'delay_ms': 150}]})
    t0 = time.monotonic()
    r = ox.run('run', '--json', 'take your time', timeout=60)
    took = time.monotonic() - t0
    assert r.returncode == 0, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'done'
    assert out['response'] == text
    assert took > 3, took  # it did outlast the limit
    assert zombie_entries(ox) == []


def test_a_call_queued_by_the_scheduler_is_not_reaped(llm):
    """One call in flight at a time (scheduler.max_concurrent = 1): the
    second agent waits for admission longer than kernel.zombie_secs
    while the first streams.  The wait is the kernel's, not a stall:
    both answer, nobody is reaped."""
    import threading
    ox = configure(llm)
    d = make_daemon(ox, '[kernel]\nzombie_secs = 2\n'
                    '[scheduler]\nmax_concurrent = 1\n')
    text = 'a slow but steady answer that keeps on streaming ' * 2
    ox.fake.load({'turns': [{'text': text, 'delay_ms': 150}] * 2})
    d.start()
    got = []
    try:
        th = [threading.Thread(target=lambda i=i: got.append(
            chat(d, 'take your time %d' % i))) for i in range(2)]
        for t in th:
            t.start()
        for t in th:
            t.join(120)
    finally:
        d.stop_clean()
    assert [g[0] for g in got] == [200, 200], got
    d2 = db(ox)
    waits = [r[0] for r in d2.execute(
        "SELECT queue_ms FROM llm_calls WHERE kind = 'chat'")]
    d2.close()
    assert max(waits) > 2000, waits  # it did wait past the limit
    assert zombie_entries(ox) == []
