"""The daemon: lifecycle, chat over REST and WebSocket, SSE events with
replay, agents, sessions, config, metrics, and a kill -9 in the middle of
a chat.  The real binary, the fake LLM (OpenAI wire format), a temporary
OXIOS_HOME and a free port."""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sqlite3
import threading
import time

import pytest
import websockets

from conftest import BIN, Daemon, free_port, make_daemon


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def chat(d, content, **extra):
    body = {'content': content}
    body.update(extra)
    return d.post('/api/chat', body, timeout=60)


# ---- lifecycle ----

def test_start_status_stop(oxios):
    d = make_daemon(oxios)
    r = oxios.run('start', check=0, timeout=30)
    assert 'oxios started: pid' in r.stdout
    assert 'http://127.0.0.1:%d' % d.port in r.stdout
    try:
        pid = int(open(oxios.path('run', 'oxios.pid')).read())
        os.kill(pid, 0)
        st, _, j = d.get('/health', auth=False)
        assert st == 200 and j['status'] == 'ok'
        # A second start says so and leaves the first alone.
        r = oxios.run('start', check=0)
        assert 'already running (pid %d' % pid in r.stdout
        r = oxios.run('status', check=0)
        assert 'oxios is running' in r.stdout and str(pid) in r.stdout
        assert 'http://127.0.0.1:%d' % d.port in r.stdout
        r = oxios.run('status', '--json', check=0)
        s = json.loads(r.stdout)
        assert s['pid'] == pid and s['running'] is True
        assert s['health'] == 'ok' and s['version']
        assert s['listen'] == '127.0.0.1:%d' % d.port
        assert s['agents'] == {'running': 0, 'queued': 0}
        assert s['uptime_ms'] >= 0
        r = oxios.run('log', '-n', '5', check=0)
        assert 'listening on http://127.0.0.1:%d' % d.port in r.stdout
    finally:
        r = oxios.run('stop', check=0, timeout=60)
    assert 'oxios stopped (pid %d,' % pid in r.stdout, r.stdout
    with pytest.raises(OSError):
        d.get('/health', auth=False)
    r = oxios.run('status')
    assert r.returncode == 1 and 'not running' in r.stdout
    r = oxios.run('stop', check=0)
    assert 'not running' in r.stdout


def test_bare_oxios_starts_the_daemon_and_stale_pidfile(oxios):
    d = make_daemon(oxios)
    r = oxios.run(check=0, timeout=30)
    assert 'oxios started' in r.stdout
    pid = int(open(oxios.path('run', 'oxios.pid')).read())
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
            time.sleep(0.05)
        except ProcessLookupError:
            break
    # The pidfile says a pid that is gone: cleaned at the next start.
    r = oxios.run('start', check=0, timeout=30)
    assert 'stale pidfile' in r.stderr and 'oxios started' in r.stdout
    assert d.get('/health', auth=False)[0] == 200
    oxios.run('restart', check=0, timeout=60)
    assert d.get('/health', auth=False)[0] == 200
    oxios.run('stop', check=0, timeout=60)


def test_token_shown_once_at_first_start(oxios):
    port = free_port()
    oxios.write_config('[gateway]\nport = %d\n' % port)
    r = oxios.run('start', check=0, timeout=30)
    try:
        assert 'shown only this once' in r.stdout
        token = [w for w in r.stdout.split() if w.startswith('oxt_')][0]
        d = Daemon(oxios, port)
        d.token = token
        assert d.get('/api/status')[0] == 200
        assert d.get('/api/status', token=token + 'x')[0] == 401
        hashed = open(oxios.path('auth', 'token.hash')).read()
        assert token not in hashed
        r = oxios.run('start', check=0)
        assert 'oxt_' not in r.stdout
    finally:
        oxios.run('stop', check=0, timeout=60)


def test_port_in_use_is_a_clear_error(oxios):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen(1)
    port = s.getsockname()[1]
    oxios.write_config('[gateway]\nport = %d\n' % port)
    r = oxios.run('start', timeout=30)
    s.close()
    assert r.returncode == 1
    assert 'cannot listen on 127.0.0.1:%d' % port in r.stderr


# ---- chat ----

def test_chat_rest(daemon):
    daemon.fake.load({'turns': [{'text': 'Hello from the fake.'}]})
    st, _, j = chat(daemon, 'Say hello.')
    assert st == 200, j
    assert j['reply'] == 'Hello from the fake.'
    assert j['stop_reason'] == 'done' and j['duration_ms'] >= 0
    sid, aid = j['session_id'], j['agent_id']
    # "message" is an alias of "content"; the session continues.
    daemon.fake.load({'turns': [{'text': 'Again.'}]})
    st, _, j = daemon.post('/api/chat', {'message': 'More.',
                                         'session_id': sid})
    assert st == 200 and j['reply'] == 'Again.' and j['session_id'] == sid
    last = daemon.fake.requests()[-1]['body']['messages']
    assert any(m.get('content') == 'Say hello.' for m in last)
    st, _, s = daemon.get('/api/sessions/' + sid)
    assert st == 200 and len(s['messages']) == 4
    assert [a['state'] for a in s['agents']] == ['exited', 'exited']
    st, _, a = daemon.get('/api/agents/' + aid)
    assert st == 200 and a['state'] == 'exited' and a['session_id'] == sid
    st, _, lst = daemon.get('/api/sessions')
    assert sid in [x['id'] for x in lst['sessions']]


def test_chat_errors(daemon):
    st, _, j = daemon.post('/api/chat', {'content': ''})
    assert st == 400 and j['error']['code'] == 'bad_request'
    st, _, j = daemon.post('/api/chat', {'content': 'x', 'session_id': 'nope'})
    assert st == 404
    st, _, j = daemon.post('/api/chat', [1, 2])
    assert st == 400
    daemon.fake.load({'turns': [{'fault': {'status': 400}}]})
    st, _, j = chat(daemon, 'fail please')
    assert st == 502 and j['error']['code'] == 'llm_error'
    assert j['session_id'] and j['agent_id']


def test_chat_with_tools_and_workspace(daemon):
    daemon.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='out/hello.txt',
                             content='hi there\n')]},
        {'text': 'Wrote it.'}]})
    st, _, j = chat(daemon, 'Write a file.')
    assert st == 200 and j['reply'] == 'Wrote it.' and j['tool_calls'] == 1
    st, _, f = daemon.get('/api/workspace/file/out/hello.txt')
    assert st == 200 and f['content'] == 'hi there\n'
    st, _, t = daemon.get('/api/workspace/tree?depth=2')
    names = {e['name']: e for e in t['entries']}
    assert names['out']['type'] == 'dir'
    assert names['out']['children'][0]['name'] == 'hello.txt'
    st, _, w = daemon.request('PUT', '/api/workspace/file/new/x.md',
                              body={'content': '# x\n'})
    assert st == 200 and w['size'] == 4
    with open(os.path.join(daemon.ox.home, 'workspace', 'new', 'x.md')) as f:
        assert f.read() == '# x\n'


def warm_workers(d, want, timeout=20):
    deadline = time.time() + timeout
    while True:
        st, _, j = d.get('/api/status')
        assert st == 200
        if j['agents']['warm_workers'] == want or time.time() > deadline:
            return j['agents']['warm_workers']
        time.sleep(0.05)


def test_worker_pool(daemon, llm):
    # kernel.worker_pool warm workers wait; a chat takes one and the pool
    # fills again; the workers are real (their pids are children of the
    # daemon, exec'd as oxios __worker).
    assert warm_workers(daemon, 2) == 2
    kids = subprocess.run(['pgrep', '-P', str(daemon.proc.pid)],
                          capture_output=True, text=True).stdout.split()
    cmds = [open('/proc/%s/cmdline' % k, 'rb').read() for k in kids]
    assert sum(c.startswith(b'oxios\0__worker') for c in cmds) >= 2, cmds
    daemon.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c1', path='.')]}, {'text': 'Listed.'}]})
    st, _, j = chat(daemon, 'List.')
    assert st == 200 and j['tool_calls'] == 1, j
    assert warm_workers(daemon, 2) == 2
    # Set to 0 (applied by the daemon's tick): no warm worker, chats
    # still run, each worker started on demand.
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.worker_pool': 0})
    assert st == 200, j
    assert warm_workers(daemon, 0) == 0
    daemon.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c2', path='.')]}, {'text': 'Again.'}]})
    st, _, j = chat(daemon, 'List again.')
    assert st == 200 and j['reply'] == 'Again.', j
    assert warm_workers(daemon, 0) == 0


async def ws_chat(d, messages, path='/api/chat/stream', until=('done',)):
    got = []
    async with websockets.connect(
            'ws://127.0.0.1:%d%s' % (d.port, path),
            extra_headers={'Authorization': 'Bearer ' + d.token}) as ws:
        got.append(json.loads(await ws.recv()))
        for m in messages:
            await ws.send(json.dumps(m))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            got.append(msg)
            if msg['type'] in until or msg['type'] == 'error':
                break
    return got


def test_chat_websocket_streams_deltas_and_tools(daemon):
    daemon.fake.load({'turns': [
        {'text': 'Looking. ', 'tool_calls': [call('ls', 'c1', path='.')]},
        {'text': 'All done here, friend.', 'chunk_bytes': 3}]})
    got = asyncio.run(ws_chat(daemon, [{'type': 'message',
                                        'content': 'List files.'}]))
    types = [m['type'] for m in got]
    assert types[0] == 'ready' and types[1] == 'started'
    assert got[1]['session_id'] and got[1]['agent_id']
    assert 'tool_start' in types and 'tool_end' in types
    assert types[-1] == 'done'
    deltas = ''.join(m['text'] for m in got if m['type'] == 'delta')
    assert 'All done here, friend.' in deltas
    assert len([m for m in got if m['type'] == 'delta']) > 3
    done = got[-1]
    assert done['reply'] == 'All done here, friend.'
    assert done['session_id'] == got[1]['session_id']


def test_chat_websocket_cancel(daemon):
    daemon.fake.load({'turns': [{'text': 'slow', 'fault': {'hang': True}}]})

    async def go():
        async with websockets.connect(
                'ws://127.0.0.1:%d/api/chat/stream' % daemon.port,
                extra_headers={'Authorization': 'Bearer ' + daemon.token}
        ) as ws:
            await ws.recv()
            await ws.send(json.dumps({'type': 'message', 'content': 'x'}))
            started = json.loads(await ws.recv())
            assert started['type'] == 'started'
            await ws.send(json.dumps({'type': 'message', 'content': 'y'}))
            busy = json.loads(await ws.recv())
            assert busy['type'] == 'error' and busy['code'] == 'busy'
            t0 = time.time()
            await ws.send(json.dumps({'type': 'cancel'}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if m['type'] in ('done', 'error'):
                    return m, time.time() - t0, started
    m, took, started = asyncio.run(go())
    assert m['type'] == 'error' and m['code'] == 'cancelled', m
    assert took < 5
    st, _, a = daemon.get('/api/agents/' + started['agent_id'])
    assert a['state'] == 'killed'


def test_ticket_opens_websocket_once(daemon):
    st, _, t = daemon.post('/api/chat/ticket')
    assert st == 200 and t['expires_in'] > 0

    async def go():
        url = 'ws://127.0.0.1:%d/api/chat/stream?ticket=%s' % (
            daemon.port, t['ticket'])
        async with websockets.connect(url) as ws:
            first = json.loads(await ws.recv())
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            async with websockets.connect(url):
                pass
        return first, e.value.status_code
    first, second = asyncio.run(go())
    assert first['type'] == 'ready' and second == 401


# ---- events ----

class SSE:
    """A minimal EventSource: reads events off a raw socket."""

    def __init__(self, d, last_id=None):
        self.s = socket.create_connection(('127.0.0.1', d.port), timeout=15)
        h = 'GET /api/events HTTP/1.1\r\nHost: x\r\n' \
            'Authorization: Bearer %s\r\nAccept: text/event-stream\r\n' % \
            d.token
        if last_id is not None:
            h += 'Last-Event-ID: %s\r\n' % last_id
        self.s.sendall((h + '\r\n').encode())
        self.buf = b''
        head = self._until(b'\r\n\r\n')
        assert b' 200 ' in head.split(b'\r\n')[0], head
        self.chunked = b'chunked' in head.lower()
        self.text = ''

    def _until(self, sep):
        while sep not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _more(self):
        if self.chunked:
            size = int(self._until(b'\r\n').strip(), 16)
            while len(self.buf) < size + 2:
                data = self.s.recv(65536)
                if not data:
                    raise EOFError
                self.buf += data
            self.text += self.buf[:size].decode()
            self.buf = self.buf[size + 2:]
        else:
            self.text += self.s.recv(65536).decode()

    def event(self):
        while '\n\n' not in self.text:
            self._more()
        block, self.text = self.text.split('\n\n', 1)
        ev = {}
        for line in block.split('\n'):
            if line.startswith(':'):
                ev.setdefault('comment', line)
                continue
            k, _, v = line.partition(': ')
            ev[k] = v
        return ev

    def events_until(self, etype, limit=200):
        out = []
        for _ in range(limit):
            ev = self.event()
            out.append(ev)
            if ev.get('event') == etype:
                return out
        raise AssertionError('no %s in %r' % (etype, out))

    def close(self):
        self.s.close()


def test_sse_events_and_replay(daemon):
    sse = SSE(daemon)
    assert sse.event().get('retry') == '3000'
    daemon.fake.load({'turns': [
        {'tool_calls': [call('ls', 'c1', path='.')]},
        {'text': 'ok then'}]})
    st, _, j = chat(daemon, 'go')
    assert st == 200
    evs = sse.events_until('agent.exited')
    kinds = [e.get('event') for e in evs]
    for k in ('agent.started', 'tool.call', 'tool.result', 'agent.delta'):
        assert k in kinds, kinds
    ids = [int(e['id']) for e in evs if 'id' in e]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    started = [e for e in evs if e.get('event') == 'agent.started'][0]
    assert json.loads(started['data'])['agent_id'] == j['agent_id']
    sse.close()
    # Reconnect with Last-Event-ID: exactly what came after it.
    cut = ids[1]
    again = SSE(daemon, last_id=cut)
    again.event()  # retry:
    replay = again.events_until('agent.exited')
    rids = [int(e['id']) for e in replay if 'id' in e]
    assert rids == [i for i in ids if i > cut]
    again.close()


def test_sse_id_from_an_earlier_run_replays_this_run(daemon):
    # Ids start at the wall clock in microseconds: an id of an earlier
    # run of the daemon is older than all of this run's.
    s = SSE(daemon, last_id=1)
    s.event()
    ev = s.event()
    assert ev.get('event') == 'daemon.started', ev
    assert json.loads(ev['data'])['pid'] == daemon.proc.pid
    s.close()


# ---- agents, sessions, config, metrics ----

def chat_in_background(d, content, **extra):
    """A chat on a thread of its own; returns once its agent runs:
    (the dict its answer lands in as 'r', the thread, the agent id)."""
    out = {}
    t = threading.Thread(target=lambda: out.update(
        r=chat(d, content, **extra)))
    t.start()
    for _ in range(100):
        st, _, j = d.get('/api/agents?state=running')
        if j['agents']:
            return out, t, j['agents'][0]['id']
        time.sleep(0.1)
    raise AssertionError('no agent started running')

def test_agents_kill_and_groups(daemon):
    daemon.fake.load({'turns': [{'text': 'slow', 'fault': {'hang': True}}]})
    out, t, aid = chat_in_background(daemon, 'wait')
    st, _, j = daemon.get('/api/status')
    assert j['agents']['running'] == 1
    st, _, j = daemon.post('/api/agents/%s/kill' % aid)
    assert st == 200 and j['killed'] == aid
    t.join(30)
    st, _, j = out['r']
    assert st == 409 and j['error']['code'] == 'cancelled'
    st, _, a = daemon.get('/api/agents/' + aid)
    assert a['state'] == 'killed'
    st, _, j = daemon.post('/api/agents/%s/kill' % aid)
    assert st == 409
    assert daemon.post('/api/agents/%s/kill' % ('0' * 36))[0] == 404
    st, _, g = daemon.get('/api/agent-groups')
    assert aid in [x['id'] for x in g['groups']]
    st, _, g = daemon.get('/api/agent-groups/' + aid)
    assert st == 200 and g['agents'][0]['id'] == aid
    assert daemon.get('/api/agents?state=bogus')[0] == 400
    assert daemon.get('/api/agents?limit=0')[0] == 400


def test_session_delete(daemon):
    daemon.fake.load({'turns': [{'text': 'hi'},
                                {'text': 'slow', 'fault': {'hang': True}}]})
    sid = chat(daemon, 'hello')[2]['session_id']
    # While an agent runs in it, the session stays (409), whole.
    out, t, aid = chat_in_background(daemon, 'wait', session_id=sid)
    st, _, j = daemon.request('DELETE', '/api/sessions/' + sid)
    assert st == 409 and j['error']['code'] == 'busy', (st, j)
    st, _, s = daemon.get('/api/sessions/' + sid)
    assert st == 200 and len(s['messages']) >= 2
    # `oxios status` counts the daemon's agents from the agent table.
    r = daemon.ox.run('status', '--json', check=0)
    assert json.loads(r.stdout)['agents'] == {'running': 1, 'queued': 0}
    assert daemon.post('/api/agents/%s/kill' % aid)[0] == 200
    t.join(30)
    assert out['r'][0] == 409
    st, _, j = daemon.request('DELETE', '/api/sessions/' + sid)
    assert st == 200 and j['deleted'] == sid
    assert daemon.get('/api/sessions/' + sid)[0] == 404
    assert daemon.request('DELETE', '/api/sessions/' + sid)[0] == 404


def test_config_get_put_and_sighup(daemon):
    daemon.ox.env['OPENAI_API_KEY'] = 'sk-should-not-leak'
    st, _, c = daemon.get('/api/config')
    assert st == 200
    assert c['config']['gateway']['port'] == daemon.port
    text = json.dumps(c)
    assert 'sk-openai-test-key' not in text  # the fake's key: redacted
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 3,
                                    'gateway.port': daemon.port + 1})
    assert st == 200, j
    assert set(j['changed']) == {'kernel.max_agents', 'gateway.port'}
    assert j['restart_required'] == ['gateway.port']
    with open(daemon.ox.path('config.toml')) as f:
        assert 'max_agents = 3' in f.read()
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 'many'})
    assert st == 400 and j['error']['code'] == 'invalid_value'
    st, _, j = daemon.request('PUT', '/api/config', body={'no.such': 1})
    assert st == 400 and j['error']['code'] == 'unknown_key'
    # SIGHUP reloads the file.
    with open(daemon.ox.path('config.toml'), 'a') as f:
        f.write('\n[logging]\nlevel = "debug"\n')
    daemon.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        st, _, c = daemon.get('/api/config')
        if c['config']['logging']['level'] == 'debug':
            break
        time.sleep(0.1)
    assert c['config']['logging']['level'] == 'debug'
    # A broken file is refused; the daemon keeps the old configuration.
    with open(daemon.ox.path('config.toml'), 'a') as f:
        f.write('\n[kernel\n')
    daemon.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert daemon.get('/api/config')[0] == 200
    assert 'not reloaded' in daemon.stderr()


def test_metrics_and_openapi(daemon):
    daemon.fake.load({'turns': [{'text': 'hi'}]})
    chat(daemon, 'hello')
    daemon.get('/api/nope')
    st, h, text = daemon.get('/metrics', auth=False)
    assert st == 200 and h['Content-Type'].startswith('text/plain')
    assert 'oxios_http_requests_total{' in text
    assert 'route="/api/chat"' in text
    assert 'oxios_http_request_duration_seconds_bucket' in text
    assert 'oxios_llm_calls_total{' in text
    st, _, j = daemon.get('/api/metrics?format=json')
    assert st == 200 and isinstance(j, dict)
    # From the agent table and llm_calls: the one chat, its one call.
    assert j['agents']['by_state'] == {'exited': 1}, j['agents']
    assert [(c['status'], c['calls']) for c in j['llm']] == [('ok', 1)], j
    st, _, doc = daemon.get('/api/openapi.json')
    assert st == 200 and doc['openapi'].startswith('3.')
    assert 'post' in doc['paths']['/api/chat']
    assert '/api/workspace/file/{path}' in doc['paths']
    assert doc['paths']['/health']['get']['security'] == []


def test_api_doc_is_current(root, oxios):
    r = oxios.run('__api-doc', check=0)
    with open(os.path.join(root, 'docs', 'api.md')) as f:
        assert f.read() == r.stdout, \
            'docs/api.md is stale: scripts/gen-api-doc.sh build/oxios'


# ---- crashes and stops ----

def test_kill9_during_chat_then_restart(llm):
    d = make_daemon(llm)
    d.fake = llm.fake
    d.start()
    d.fake.load({'turns': [{'text': 'never', 'fault': {'hang': True}}]})
    def doomed():
        try:
            chat(d, 'long task')
        except OSError:
            pass  # the daemon dies under it
    t = threading.Thread(target=doomed, daemon=True)
    t.start()
    sid = None
    for _ in range(100):
        st, _, j = d.get('/api/agents?state=running')
        if j and j.get('agents'):
            sid = j['agents'][0]['session_id']
            aid = j['agents'][0]['id']
            break
        time.sleep(0.1)
    assert sid
    d.proc.kill()
    d.proc.wait()
    d.errlog.close()
    # The database is whole.
    con = sqlite3.connect(llm.path('oxios.db'))
    assert con.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    con.close()
    d.start()
    try:
        st, _, s = d.get('/api/sessions/' + sid)
        assert st == 200
        assert s['messages'][0]['content'][0]['text'] == 'long task'
        run = [a for a in s['agents'] if a['id'] == aid][0]
        assert run['state'] == 'failed'
        assert 'interrupted' in run['exit_reason']
        d.fake.load({'turns': [{'text': 'back'}]})
        st, _, j = chat(d, 'again', session_id=sid)
        assert st == 200 and j['reply'] == 'back'
    finally:
        assert d.stop() == 0


def test_sigterm_lets_a_running_chat_finish(llm):
    d = make_daemon(llm, '')
    d.fake = llm.fake
    d.start()
    d.fake.load({'turns': [{'text': 'finished in time',
                                 'fault': {'stall_ms': 1500}}]})
    out = {}
    t = threading.Thread(target=lambda: out.update(r=chat(d, 'x')))
    t.start()
    for _ in range(100):
        if d.get('/api/agents?state=running')[2]['agents']:
            break
        time.sleep(0.05)
    d.proc.send_signal(signal.SIGTERM)
    t.join(30)
    assert d.proc.wait(30) == 0
    st, _, j = out['r']
    assert st == 200 and j['reply'] == 'finished in time', j


def test_log_follows_the_daemon(oxios):
    d = make_daemon(oxios)
    r = oxios.run('log', check=0)
    assert 'no log yet' in r.stdout
    oxios.run('start', check=0, timeout=30)
    try:
        f = subprocess.Popen([BIN, 'log', '-f', '-n', '1'], env=oxios.env,
                             stdout=subprocess.PIPE, text=True)
        try:
            first = f.stdout.readline()
            assert first.strip(), first
            # Something new in the log reaches the follower.
            oxios.run('stop', check=0, timeout=60)
            deadline = time.time() + 10
            seen = ''
            while time.time() < deadline and 'stopped' not in seen:
                seen += f.stdout.readline()
            assert 'stopping' in seen or 'stopped' in seen, seen
        finally:
            f.kill()
            f.wait()
    finally:
        oxios.run('stop', check=0, timeout=60)
    assert d.port > 0


def test_sigterm_with_streams_open_and_a_chat_that_hangs(llm):
    d = make_daemon(llm, '')
    llm.write_config(open(llm.path('config.toml')).read() +
                     '[kernel]\nshutdown_grace_secs = 1\n')
    d.fake = llm.fake
    d.start()
    d.fake.load({'turns': [{'text': 'never', 'fault': {'hang': True}}]})
    out = {}
    t = threading.Thread(target=lambda: out.update(r=chat(d, 'wait')))
    t.start()
    for _ in range(100):
        if d.get('/api/agents?state=running')[2]['agents']:
            break
        time.sleep(0.05)
    sse = SSE(d)
    sse.event()

    async def hold_ws():
        async with websockets.connect(
                'ws://127.0.0.1:%d/api/chat/stream' % d.port,
                extra_headers={'Authorization': 'Bearer ' + d.token}) as ws:
            await ws.recv()
            d.proc.send_signal(signal.SIGTERM)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 20)
            except websockets.exceptions.ConnectionClosed as e:
                return e.code
    t0 = time.time()
    code = asyncio.run(hold_ws())
    assert code == 1001
    rc = d.proc.wait(30)
    assert rc == 0, d.stderr()[-6000:]
    assert time.time() - t0 < 15
    t.join(30)
    st, _, j = out['r']
    assert st == 503 and j['error']['code'] == 'cancelled', j
    # The SSE stream ended too.
    with pytest.raises((EOFError, OSError)):
        for _ in range(100):
            sse.event()
    err = d.stderr()
    assert 'Sanitizer' not in err and 'runtime error' not in err, err


# ---- periodic jobs ----

WORDS = ('kernel deploy certificate backup invoice roadmap sprint laptop '
         'printer budget release office garden coffee train meeting '
         'database cluster network firewall').split()


def _job_lines(err, name):
    """Where the periodic job `name` started and ended in the log: two
    lists of line numbers (the debug lines of src/daemon.c)."""
    lines = err.splitlines()
    started = [i for i, line in enumerate(lines) if re.search(
        r'periodic job %s(: on a thread)?$' % name, line)]
    done = [i for i, line in enumerate(lines)
            if 'periodic job %s: done in' % name in line]
    return started, done


def test_periodic_jobs(llm):
    # Two memories of another embedder make the first tick dream (to
    # re-embed them), and twenty untuned ones make a tune due on that
    # same tick: the dream starts, the tune must not while it runs (one
    # group; the dream tunes at its end anyway).  Audit and the worker
    # pool run every tick; each run is one debug line.
    fake = llm.fake
    llm.write_config('[memory]\nembedder = "api"\n'
                     'embedding_url = "%s/v1"\n'
                     'embedding_model = "fake-embed"\n' % fake.url)
    llm.env['OXIOS_EMBEDDING_API_KEY'] = 'sk-openai-test-key-0123456789'
    for text in ('the build uses meson and ninja',
                 'lunch is at noon on fridays'):
        assert llm.run('memory', 'add', text, check=0).returncode == 0
    llm.write_config('[memory]\nembedder = "tfidf"\n')
    for i in range(20):
        r = llm.run('memory', 'add', 'note %d: the %s of team %s' % (
            i, WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]),
            check=0)
        assert r.returncode == 0, r.stderr
    d = make_daemon(llm, '[memory]\nembedder = "tfidf"\n'
                    'dream_interval_mins = 0\n'
                    '[logging]\nlevel = "debug"\ntarget = "stderr"\n')
    d.start()
    try:
        deadline = time.time() + 20
        while 'memory: dream (schedule)' not in d.stderr():
            assert time.time() < deadline, d.stderr()[-4000:]
            time.sleep(0.1)
        # Three more ticks.
        n = len(_job_lines(d.stderr(), 'audit')[0])
        while len(_job_lines(d.stderr(), 'audit')[0]) < n + 3:
            assert time.time() < deadline + 10, d.stderr()[-4000:]
            time.sleep(0.1)
        st, _, j = d.get('/api/memory/stats')
        assert st == 200 and j['index']['vectors'] >= 20, j
        assert j['index']['tuning'] is not None, j
    finally:
        rc = d.stop()
    err = d.stderr()
    assert rc == 0, err[-4000:]
    assert 'Sanitizer' not in err and 'runtime error' not in err, err
    assert '2 re-embedded' in err
    audit, _ = _job_lines(err, 'audit')
    pool, _ = _job_lines(err, 'pool')
    assert len(audit) >= 4 and abs(len(audit) - len(pool)) <= 1, err[-4000:]
    # One dream (the interval is off: only the re-embedding asked for
    # it), started once and done once; no tune inside it.
    dream, dream_done = _job_lines(err, 'dream')
    assert len(dream) == 1 and len(dream_done) == 1, err[-4000:]
    assert dream[0] < dream_done[0]
    tune, tune_done = _job_lines(err, 'tune')
    assert len(tune) == len(tune_done), err[-4000:]
    for t in tune + tune_done:
        assert not dream[0] < t < dream_done[0], err[-4000:]
