"""Human approvals (docs/security.md, "Human approvals"): a tool call that
needs one waits, is answered over REST, the WebSocket or `oxios approvals`
(another process), is denied on timeout, cancelled with its agent; a run
nobody can answer fails at once; "allow always" makes a rule.

Every call here is harmless even if the policy had a bug: writes of small
files in the workspace, and `ls`."""
import asyncio
import json
import os
import sqlite3
import threading
import time

import pytest
import websockets

from conftest import BIN, Terminal, make_daemon

ASK_WRITE = '[security.tools.write]\napproval = "ask"\n'


def call(name, cid, **args):
    return {'id': cid, 'name': name, 'arguments': args}


def model_requests(fake):
    return [q for q in fake.requests()
            if q['path'].endswith('/chat/completions')]


def tool_results(req):
    return {m['tool_call_id']: m['content'] for m in req['body']['messages']
            if m['role'] == 'tool'}


@pytest.fixture
def appr(llm):
    d = make_daemon(llm, ASK_WRITE + '[security]\n'
                    'approval_timeout_secs = 30\n'
                    '[exec]\nallowlist = ["ls"]\n')
    d.fake = llm.fake
    d.ws = os.path.join(llm.home, 'workspace')
    d.start()
    yield d
    d.stop_clean()


def chat_bg(d, content):
    out = {}

    def go():
        out['r'] = d.post('/api/chat', {'content': content}, timeout=90)
    t = threading.Thread(target=go)
    t.start()
    return out, t


def pending(d, n=1, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        st, _, j = d.get('/api/approvals')
        assert st == 200, j
        if len(j['approvals']) >= n:
            return j['approvals']
        time.sleep(0.05)
    raise AssertionError('no pending approval\n' + d.stderr())


def rows(d, sql):
    c = sqlite3.connect(d.ox.path('oxios.db'))
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def test_write_waits_and_is_approved_over_rest(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='a.txt',
                             content='approved\n')]},
        {'text': 'Written.'}]})
    out, t = chat_bg(appr, 'Write a.txt.')
    [a] = pending(appr)
    assert a['tool'] == 'write' and a['state'] == 'pending'
    assert a['summary'] == 'write a.txt (9 bytes)'
    assert 'approval = "ask"' in a['reason']
    assert a['principal'] == 'default' and a['agent_id']
    assert a['expires_at'] > a['created_at']
    assert not os.path.exists(os.path.join(appr.ws, 'a.txt'))
    st, _, one = appr.get('/api/approvals/' + a['id'])
    assert st == 200 and one['id'] == a['id']
    st, _, j = appr.post('/api/approvals/%s/approve' % a['id'], {})
    assert st == 200 and j['state'] == 'approved', j
    assert j['scope'] == 'once' and j['decided_by'] == 'token:admin'
    t.join(60)
    st, _, j = out['r']
    assert st == 200 and j['reply'] == 'Written.', j
    with open(os.path.join(appr.ws, 'a.txt')) as f:
        assert f.read() == 'approved\n'
    # Answered once: a second answer is a conflict, an unknown id 404.
    st, _, j = appr.post('/api/approvals/%s/reject' % a['id'], {})
    assert st == 409 and j['error']['code'] == 'already_decided', j
    st, _, j = appr.post('/api/approvals/nope/approve', {})
    assert st == 404, j
    st, _, j = appr.post('/api/approvals/%s/approve' % a['id'],
                         {'scope': 'sometimes'})
    assert st == 400, j
    st, _, j = appr.get('/api/approvals?state=bogus')
    assert st == 400, j
    st, _, j = appr.get('/api/approvals?state=all')
    assert [x['state'] for x in j['approvals']] == ['approved']
    ops = [json.loads(r[0])['op'] for r in rows(
        appr, "SELECT detail FROM audit_log WHERE action = 'approval' "
        "ORDER BY seq")]
    assert ops == ['requested', 'approved'], ops
    # The events, replayed from the ring.
    from test_daemon import SSE
    sse = SSE(appr, last_id=1)
    evs = sse.events_until('approval.resolved')
    sse.close()
    [need] = [json.loads(e['data']) for e in evs
              if e.get('event') == 'approval.needed']
    assert need['id'] == a['id'] and need['tool'] == 'write'
    assert need['summary'] == 'write a.txt (9 bytes)'
    assert need['principal'] == 'default' and need['agent_id']
    assert need['session_id'] and need['reason'] and need['expires_at']
    res = json.loads(evs[-1]['data'])
    assert res == {'id': a['id'], 'state': 'approved', 'scope': 'once',
                   'by': 'token:admin', 'rule_id': None}, res


def test_rejected_call_is_a_tool_error(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='b.txt', content='no\n')]},
        {'text': 'It was refused.'}]})
    out, t = chat_bg(appr, 'Write b.txt.')
    [a] = pending(appr)
    st, _, j = appr.post('/api/approvals/%s/reject' % a['id'],
                         {'reason': 'x' * 1025})
    assert st == 400 and 'at most 1024 bytes' in j['error']['message'], j
    st, _, j = appr.post('/api/approvals/%s/reject' % a['id'],
                         {'reason': 'not today'})
    assert st == 200 and j['state'] == 'rejected', j
    assert j['note'] == 'not today', j
    t.join(60)
    st, _, j = out['r']
    assert st == 200 and j['reply'] == 'It was refused.', j
    assert not os.path.exists(os.path.join(appr.ws, 'b.txt'))
    res = tool_results(model_requests(appr.fake)[-1])
    assert 'a human rejected this call' in res['c1'], res
    assert res['c1'].endswith(', saying: not today'), res
    [d] = [json.loads(r[0]) for r in rows(
        appr, "SELECT detail FROM audit_log WHERE action = 'approval' "
        "AND detail LIKE '%rejected%'")]
    assert d['op'] == 'rejected' and d['reason'] == 'not today', d


def test_answer_from_another_process(appr):
    """`oxios approvals approve` writes the database directly; the waiting
    agent sees it at its next re-read."""
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='c.txt', content='cli\n')]},
        {'text': 'Done.'}]})
    out, t = chat_bg(appr, 'Write c.txt.')
    [a] = pending(appr)
    r = appr.ox.run('approvals', 'list')
    assert r.returncode == 0 and a['id'] in r.stdout, r
    assert 'write c.txt (4 bytes)' in r.stdout
    r = appr.ox.run('approvals', 'approve', a['id'])
    assert r.returncode == 0, r.stderr
    assert 'approved %s (once)' % a['id'] in r.stdout
    t.join(60)
    assert out['r'][0] == 200 and out['r'][2]['reply'] == 'Done.'
    assert os.path.exists(os.path.join(appr.ws, 'c.txt'))
    r = appr.ox.run('approvals', 'approve', a['id'])
    assert r.returncode == 1 and 'already approved' in r.stderr, r
    r = appr.ox.run('approvals', 'approve')
    assert r.returncode == 2 and 'name one id' in r.stderr, r


def test_reject_from_the_cli_with_a_reason(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='r.txt', content='no\n')]},
        {'text': 'Understood.'}]})
    out, t = chat_bg(appr, 'Write r.txt.')
    [a] = pending(appr)
    r = appr.ox.run('approvals', 'approve', a['id'], '--reason', 'x')
    assert r.returncode == 2 and "unknown option '--reason'" in r.stderr, r
    r = appr.ox.run('approvals', 'reject', a['id'], '--reason',
                    'use staging.txt instead')
    assert r.returncode == 0 and 'rejected %s' % a['id'] in r.stdout, r
    t.join(60)
    assert out['r'][2]['reply'] == 'Understood.', out['r']
    res = tool_results(model_requests(appr.fake)[-1])
    assert res['c1'].endswith(', saying: use staging.txt instead'), res
    r = appr.ox.run('approvals', 'list', '--all', '--json')
    [row] = [x for x in json.loads(r.stdout) if x['id'] == a['id']]
    assert row['state'] == 'rejected' and \
        row['note'] == 'use staging.txt instead', row


def test_allow_always_makes_a_rule(appr):
    w = call('write', 'c1', path='d.txt', content='same\n')
    appr.fake.load({'turns': [
        {'tool_calls': [w]}, {'text': 'First.'},
        {'tool_calls': [dict(w, id='c2')]}, {'text': 'Second.'}]})
    out, t = chat_bg(appr, 'Write d.txt.')
    [a] = pending(appr)
    st, _, j = appr.post('/api/approvals/%s/approve' % a['id'],
                         {'scope': 'always'})
    assert st == 200 and j['scope'] == 'always' and j['rule_id'], j
    t.join(60)
    assert out['r'][2]['reply'] == 'First.'
    os.unlink(os.path.join(appr.ws, 'd.txt'))
    # The identical call runs without asking.
    st, _, j = appr.post('/api/chat', {'content': 'Again.'}, timeout=60)
    assert st == 200 and j['reply'] == 'Second.', j
    assert os.path.exists(os.path.join(appr.ws, 'd.txt'))
    st, _, j = appr.get('/api/approvals?state=all')
    assert len(j['approvals']) == 1
    st, _, j = appr.get('/api/security/rules')
    assert st == 200 and len(j['rules']) == 1, j
    rule = j['rules'][0]
    assert rule['tool'] == 'write' and rule['principal'] == 'default'
    assert json.loads(rule['match']) == w['arguments']
    assert rule['approval_id'] == a['id']
    r = appr.ox.run('approvals', 'rules')
    assert 'write (default)' in r.stdout, r
    st, _, j = appr.request('DELETE', '/api/security/rules/%d' % rule['id'])
    assert st == 200 and j['revoked'] == rule['id'], j
    st, _, j = appr.request('DELETE', '/api/security/rules/%d' % rule['id'])
    assert st == 409, j
    st, _, j = appr.request('DELETE', '/api/security/rules/999')
    assert st == 404, j
    st, _, j = appr.get('/api/security/rules')
    assert j['rules'] == []
    audit = rows(appr, "SELECT actor, resource FROM audit_log WHERE "
                 "action = 'permission_change'")
    assert audit == [('token:admin', 'rule:%d' % rule['id'])], audit


def test_timeout_denies(llm):
    d = make_daemon(llm, ASK_WRITE + '[security]\n'
                    'approval_timeout_secs = 1\n')
    d.fake = llm.fake
    d.start()
    try:
        d.fake.load({'turns': [
            {'tool_calls': [call('write', 'c1', path='e.txt',
                                 content='late\n')]},
            {'text': 'Nobody answered.'}]})
        st, _, j = d.post('/api/chat', {'content': 'Write e.txt.'},
                          timeout=60)
        assert st == 200 and j['reply'] == 'Nobody answered.', j
        res = tool_results(model_requests(d.fake)[-1])
        assert 'nobody answered the approval in 1 s' in res['c1'], res
        st, _, j = d.get('/api/approvals?state=all')
        assert [a['state'] for a in j['approvals']] == ['expired']
        assert not os.path.exists(os.path.join(llm.home, 'workspace',
                                               'e.txt'))
    finally:
        d.stop_clean()


def test_kill_cancels_the_wait_while_another_chat_runs(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='f.txt', content='x\n')]},
        {'text': 'The other chat answers.'}]})
    out, t = chat_bg(appr, 'Write f.txt.')
    [a] = pending(appr)
    st, _, j = appr.post('/api/chat', {'content': 'Hello?'}, timeout=60)
    assert st == 200 and j['reply'] == 'The other chat answers.', j
    st, _, j = appr.post('/api/agents/%s/kill' % a['agent_id'])
    assert st == 200, j
    t.join(60)
    assert not t.is_alive()
    st, _, j = appr.get('/api/approvals/' + a['id'])
    assert j['state'] == 'cancelled' and j['decided_by'] == 'system', j
    assert not os.path.exists(os.path.join(appr.ws, 'f.txt'))


def test_websocket_approve(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='g.txt', content='ws\n')]},
        {'text': 'Written over the socket.'}]})

    async def go():
        got = []
        async with websockets.connect(
                'ws://127.0.0.1:%d/api/chat/stream' % appr.port,
                extra_headers={'Authorization': 'Bearer ' + appr.token}
        ) as ws:
            await ws.recv()
            await ws.send(json.dumps({'type': 'message',
                                      'content': 'Write g.txt.'}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 30))
                got.append(m)
                if m['type'] == 'approval':
                    await ws.send(json.dumps({'type': 'approve',
                                              'id': m['id'],
                                              'decision': 'maybe'}))
                    bad = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    assert bad['type'] == 'error', bad
                    await ws.send(json.dumps({'type': 'approve',
                                              'id': m['id'],
                                              'decision': 'once'}))
                if m['type'] in ('done', 'error'):
                    break
        return got
    got = asyncio.run(go())
    [a] = [m for m in got if m['type'] == 'approval']
    assert a['tool'] == 'write' and a['summary'] == 'write g.txt (3 bytes)'
    assert a['reason'] and a['expires_at'] and a['id']
    assert got[-1]['type'] == 'done', got
    assert got[-1]['reply'] == 'Written over the socket.'
    with open(os.path.join(appr.ws, 'g.txt')) as f:
        assert f.read() == 'ws\n'


def test_a_rule_made_beforehand_lets_a_run_nobody_answers_go(llm):
    """`oxios approvals allow` makes the rule a cron job or `oxios run`
    needs: that exact call runs, any other still fails at once."""
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        + ASK_WRITE)
    ws = os.path.join(llm.home, 'workspace')
    r = llm.run('approvals', 'allow', 'default', 'write',
                '{"path": "ok.txt", "content": "fine\\n"}')
    assert r.returncode == 0 and r.stdout.startswith('allow rule 1 added'), r
    r = llm.run('approvals', 'allow', 'default', 'write', '{"path": 3}')
    assert r.returncode == 2 and 'invalid arguments for write' in r.stderr
    llm.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='ok.txt', content='fine\n'),
                        call('write', 'c2', path='no.txt', content='x\n')]},
        {'text': 'One of two.'}]})
    r = llm.run('run', '--json', 'write both', timeout=60)
    assert r.returncode == 0, r.stderr
    res = tool_results(model_requests(llm.fake)[-1])
    assert 'error' not in res['c1'].lower()[:40], res
    assert 'nobody can answer in this run' in res['c2'], res
    with open(os.path.join(ws, 'ok.txt')) as f:
        assert f.read() == 'fine\n'
    assert not os.path.exists(os.path.join(ws, 'no.txt'))
    c = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    [(actor, detail)] = c.execute(
        "SELECT actor, detail FROM audit_log WHERE resource = 'rule:1'"
    ).fetchall()
    c.close()
    assert actor == 'user' and json.loads(detail)['op'] == 'rule_add'


def test_rest_makes_a_rule(appr):
    body = {'principal': 'default', 'tool': 'write',
            'args': {'path': 'p.txt', 'content': 'rest\n'}}
    st, _, j = appr.post('/api/security/rules', body)
    assert st == 201 and j['tool'] == 'write' and j['id'] >= 1, j
    st, _, j = appr.post('/api/security/rules', dict(body, tool='nope'))
    assert st == 400 and "unknown tool 'nope'" in j['error']['message'], j
    st, _, j = appr.post('/api/security/rules', {'principal': 'default'})
    assert st == 400, j
    st, _, j = appr.get('/api/security/rules')
    assert [x['match'] for x in j['rules']] == \
        ['{"content":"rest\\n","path":"p.txt"}'], j
    # The rule answers the call: nothing waits.
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='p.txt',
                             content='rest\n')]},
        {'text': 'Done.'}]})
    st, _, j = appr.post('/api/chat', {'content': 'write p'})
    assert st == 200 and j['reply'] == 'Done.', j
    assert os.path.exists(os.path.join(appr.ws, 'p.txt'))


def test_run_nobody_to_ask_fails_at_once(llm):
    """`oxios run` (no daemon: embedded) cannot wait: the call fails at
    once with the reason, and nothing waits in the table."""
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        '[security]\napproval = "always"\n'
        '[exec]\nallowlist = ["ls"]\n')
    llm.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', mode='structured', binary='ls',
                             args=['.'])]},
        {'tool_calls': [call('ls', 'c2', path='.')]},
        {'text': 'Could not run it.'}]})
    t0 = time.time()
    r = llm.run('run', '--json', 'list the workspace', timeout=60)
    assert r.returncode == 0, r.stderr
    assert time.time() - t0 < 30
    assert json.loads(r.stdout)['response'] == 'Could not run it.'
    reqs = model_requests(llm.fake)
    res = tool_results(reqs[1])
    assert ('needs a human approval (security.approval is "always"): '
            'nobody can answer in this run') in res['c1'], res
    # ls has no effect: it runs under "always".
    assert 'error' not in tool_results(reqs[2])['c2'].lower()[:40]
    c = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    assert c.execute('SELECT count(*) FROM approvals').fetchone()[0] == 0
    c.close()


def test_chat_asks_inline_over_the_control_socket(appr):
    """`oxios chat` on a terminal, through the daemon: the approval is
    asked inline and the answer goes back on the control socket."""
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='h.txt', content='tty\n')]},
        {'text': 'Chat wrote it.'}]})
    with Terminal([BIN, 'chat'], dict(appr.ox.env, TERM='dumb')) as t:
        t.expect('you> ')
        t.send('write h.txt')
        at = t.expect('allow [o]nce / [a]lways / [d]eny? ')
        assert b'write h.txt (4 bytes)' in t.out
        t.send('x')  # not an answer: asked again
        t.expect('allow [o]nce', since=at)
        t.send('a')
        at = t.expect('Chat wrote it.')
        t.expect('you> ', since=at)
        t.send('.quit')
        assert t.wait() == 0
    with open(os.path.join(appr.ws, 'h.txt')) as f:
        assert f.read() == 'tty\n'
    st, _, j = appr.get('/api/approvals?state=all')
    [a] = j['approvals']
    assert a['state'] == 'approved' and a['scope'] == 'always'
    assert a['decided_by'] == 'uid:%d' % os.geteuid()
    st, _, j = appr.get('/api/security/rules')
    assert len(j['rules']) == 1


def test_run_through_the_daemon_never_waits(appr):
    appr.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='i.txt', content='no\n')]},
        {'text': 'Refused.'}]})
    r = appr.ox.run('run', '--json', 'write i.txt', timeout=60)
    assert r.returncode == 0, r.stderr
    res = tool_results(model_requests(appr.fake)[-1])
    assert 'nobody can answer in this run' in res['c1'], res
    assert not os.path.exists(os.path.join(appr.ws, 'i.txt'))
    st, _, j = appr.get('/api/approvals?state=all')
    assert j['approvals'] == []


def test_embedded_chat_asks_inline(llm):
    """`oxios chat` with no daemon runs the agent in its own process: the
    approval is asked inline and answered on the database; a denial is
    the model's tool error."""
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "openai/gpt-4.1"\n'
        + ASK_WRITE)
    ws = os.path.join(llm.home, 'workspace')
    llm.fake.load({'turns': [
        {'tool_calls': [call('write', 'c1', path='j.txt', content='j\n')]},
        {'text': 'Denied, fine.'}]})
    with Terminal([BIN, 'chat'], dict(llm.env, TERM='dumb')) as t:
        t.expect('you> ')
        t.send('write j.txt')
        t.expect('allow [o]nce / [a]lways / [d]eny? ')
        t.send('d')
        at = t.expect('Denied, fine.')
        t.expect('you> ', since=at)
        t.send('.quit')
        assert t.wait() == 0
    assert not os.path.exists(os.path.join(ws, 'j.txt'))
    res = tool_results(model_requests(llm.fake)[-1])
    assert 'a human rejected this call' in res['c1'], res
    c = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    assert c.execute('SELECT state, decided_by FROM approvals').fetchall() \
        == [('rejected', 'user')]
    c.close()
