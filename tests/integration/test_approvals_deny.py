"""The command deny list with human approvals (docs/security.md, "The
command deny list", "Human approvals"): a deny-listed `git push --force`
waits, runs once approved (the ref arrives) and not when rejected; "allow
always" lets the same command run next time without asking; a run nobody
can answer fails at once; an operator may answer, a viewer may not.

The only deny-listed command that runs here is a push to a bare
repository inside the workspace; the others are refused before anything
runs (sudo is not on the allowlist)."""
import json
import os
import sqlite3
import subprocess
import time

from conftest import make_daemon
from test_approvals import call, chat_bg, model_requests, pending, \
    tool_results
from test_rbac import mint

CONFIG = ('[security]\napproval_timeout_secs = 30\n'
          '[exec]\nallowlist = ["git", "ls"]\n')
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@x',
               GIT_COMMITTER_NAME='t', GIT_COMMITTER_EMAIL='t@x',
               GIT_CONFIG_NOSYSTEM='1', HOME='/nonexistent')


def git(*args, cwd):
    r = subprocess.run(['git'] + list(args), cwd=cwd, env=GIT_ENV,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def repos(ws):
    """remote.git (bare, main at A) and work (main at B, not a descendant
    of A: only a forced push moves the remote).  Returns (A, B)."""
    os.makedirs(ws, exist_ok=True)
    git('init', '-q', '--bare', '-b', 'main', 'remote.git', cwd=ws)
    git('init', '-q', '-b', 'main', 'work', cwd=ws)
    work = os.path.join(ws, 'work')
    git('remote', 'add', 'origin', '../remote.git', cwd=work)
    with open(os.path.join(work, 'f'), 'w') as f:
        f.write('a\n')
    git('add', 'f', cwd=work)
    git('commit', '-q', '-m', 'a', cwd=work)
    a = git('rev-parse', 'HEAD', cwd=work)
    git('push', '-q', 'origin', 'main', cwd=work)
    git('commit', '-q', '--amend', '-m', 'b', cwd=work)
    return a, git('rev-parse', 'HEAD', cwd=work)


def remote_main(ws):
    return git('--git-dir', 'remote.git', 'rev-parse', 'main', cwd=ws)


FORCE = dict(mode='structured', binary='git',
             args=['-C', 'work', 'push', '--force', 'origin', 'main'])


def start(llm, turns):
    ws = os.path.join(llm.home, 'workspace')
    a, b = repos(ws)
    d = make_daemon(llm, CONFIG)
    d.start()
    llm.fake.load({'turns': turns})
    return d, ws, a, b


def test_force_push_waits_and_runs_once_an_operator_approves(llm):
    d, ws, a, b = start(llm, [
        {'tool_calls': [call('exec', 'c1', **FORCE)]},
        {'text': 'Pushed.'}])
    try:
        op, viewer = mint(d, 'operator'), mint(d, 'viewer')
        out, t = chat_bg(d, 'force-push main')
        ap = pending(d)[0]
        assert ap['tool'] == 'exec' and ap['danger'] == 'git-force-push', ap
        assert 'git push --force (or a +refspec)' in ap['reason'], ap
        # Nothing ran while it waits.
        assert remote_main(ws) == a
        st, _, j = d.post('/api/approvals/%s/approve' % ap['id'], {},
                          token=viewer)
        assert st == 403 and j['error']['needed'] == 'operator', j
        st, _, j = d.post('/api/approvals/%s/approve' % ap['id'], {},
                          token=op)
        assert st == 200 and j['state'] == 'approved', j
        assert j['decided_by'] == 'token:operator', j
        t.join(60)
        st, _, r = out['r']
        assert st == 200 and r['reply'] == 'Pushed.', r
        assert remote_main(ws) == b
        res = tool_results(model_requests(llm.fake)[1])['c1']
        assert 'refused' not in res and 'approval' not in res, res
    finally:
        d.stop_clean()


def test_rejected_force_push_does_not_run(llm):
    d, ws, a, b = start(llm, [
        {'tool_calls': [call('exec', 'c1', **FORCE)]},
        {'text': 'It was rejected.'}])
    try:
        out, t = chat_bg(d, 'force-push main')
        ap = pending(d)[0]
        st, _, j = d.post('/api/approvals/%s/reject' % ap['id'], {})
        assert st == 200 and j['state'] == 'rejected', j
        st, _, j = d.post('/api/approvals/%s/approve' % ap['id'], {})
        assert st == 409, j
        t.join(60)
        assert out['r'][2]['reply'] == 'It was rejected.'
        assert remote_main(ws) == a
        res = tool_results(model_requests(llm.fake)[1])['c1']
        assert 'a human rejected this call' in res, res
    finally:
        d.stop_clean()


def test_allow_always_makes_a_rule_the_next_call_uses(llm):
    d, ws, a, b = start(llm, [
        {'tool_calls': [call('exec', 'c1', **FORCE)]},
        {'text': 'Pushed.'},
        {'tool_calls': [call('exec', 'c2', **FORCE)]},
        {'text': 'Pushed again.'}])
    try:
        out, t = chat_bg(d, 'force-push main')
        ap = pending(d)[0]
        st, _, j = d.post('/api/approvals/%s/approve' % ap['id'],
                          {'scope': 'always'})
        assert st == 200 and j['rule_id'], j
        t.join(60)
        assert remote_main(ws) == b
        st, _, r = d.post('/api/chat', {'content': 'again'}, timeout=60)
        assert st == 200 and r['reply'] == 'Pushed again.', r
        st, _, j = d.get('/api/approvals?state=all')
        assert len(j['approvals']) == 1, j
        st, _, j = d.get('/api/security/rules')
        assert [x['tool'] for x in j['rules']] == ['exec'], j
    finally:
        d.stop_clean()


def test_run_nobody_to_ask_fails_at_once_with_the_rule(llm):
    """`oxios run` cannot wait: the deny-listed call fails at once, the
    model is told which rule and what would let it run; sudo, not on the
    allowlist, is refused the same way before anything could run."""
    ws = os.path.join(llm.home, 'workspace')
    a, b = repos(ws)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n' + CONFIG)
    llm.fake.load({'turns': [
        {'tool_calls': [call('exec', 'c1', **FORCE),
                        call('exec', 'c2', mode='structured',
                             binary='sudo', args=['true'])]},
        {'text': 'Could not.'}]})
    t0 = time.time()
    r = llm.run('run', '--json', 'force-push main', timeout=60)
    assert r.returncode == 0, r.stderr
    assert time.time() - t0 < 30
    assert json.loads(r.stdout)['response'] == 'Could not.'
    res = tool_results(model_requests(llm.fake)[1])
    assert 'needs a human approval (deny-listed: ' in res['c1'], res
    assert 'nobody can answer in this run' in res['c1'], res
    assert 'git push --force (or a +refspec) can overwrite' in res['c1'], res
    assert 'needs a human approval (deny-listed: runs a command as ' \
        'another user' in res['c2'], res
    assert remote_main(ws) == a
    c = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    assert c.execute('SELECT count(*) FROM approvals').fetchone()[0] == 0
    refused = [json.loads(x)['op'] for (x,) in c.execute(
        "SELECT detail FROM audit_log WHERE action = 'approval'")]
    c.close()
    assert refused and set(refused) == {'refused'}, refused
