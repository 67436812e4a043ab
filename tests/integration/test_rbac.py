"""API tokens with roles: the role check at admission (403, audited once
per identity and minute), /api/whoami and /api/tokens, revoked and
expired tokens, the admin credentials, the audit actor, and tickets."""
import json
import sqlite3
import time

from conftest import make_daemon


def mint(d, role, name=None, expires=None):
    """A token with `role` made over the API by the admin."""
    body = {'name': name or role, 'role': role}
    if expires is not None:
        body['expires'] = expires
    st, _, j = d.post('/api/tokens', body)
    assert st == 201, (st, j)
    return j['token']


def entries(d, **q):
    qs = '&'.join('%s=%s' % kv for kv in q.items())
    st, _, j = d.get('/api/audit/entries?limit=500&' + qs)
    assert st == 200, j
    return j['entries']


def forbidden(st, j, needed, role):
    assert st == 403, (st, j)
    assert j['error']['code'] == 'forbidden', j
    assert j['error']['needed'] == needed, j
    assert j['error']['role'] == role, j


def test_viewer_reads_but_cannot_write(daemon):
    tok = mint(daemon, 'viewer', 'grafana')
    for path in ('/api/status', '/api/config', '/api/agents',
                 '/api/audit/entries', '/api/budget', '/api/openapi.json'):
        st, _, j = daemon.get(path, token=tok)
        assert st == 200, (path, st, j)
    st, _, j = daemon.get('/api/whoami', token=tok)
    assert st == 200 and j == {'name': 'grafana', 'role': 'viewer',
                               'expires_at': None}, j
    st, _, j = daemon.post('/api/chat', {'content': 'hi'}, token=tok)
    forbidden(st, j, 'operator', 'viewer')
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 3}, token=tok)
    forbidden(st, j, 'admin', 'viewer')
    st, _, j = daemon.post('/api/tokens', {'name': 'x', 'role': 'admin'},
                           token=tok)
    forbidden(st, j, 'admin', 'viewer')
    st, _, j = daemon.get('/api/tokens', token=tok)
    forbidden(st, j, 'admin', 'viewer')
    # No ticket for a viewer: a ticket is for the chat stream.
    st, _, j = daemon.post('/api/chat/ticket', token=tok)
    forbidden(st, j, 'operator', 'viewer')
    # A viewer's POST that only reads.
    st, _, j = daemon.post('/api/audit/export', token=tok)
    assert st == 200, (st, j)

    # Audited as access_denied by the token, once per minute: the
    # refusals after the first are one row when the window closes.
    denied = entries(daemon, action='access_denied')
    assert len(denied) == 1, denied
    e = denied[0]
    assert e['actor'] == 'token:grafana'
    assert e['resource'] == '/api/chat'
    assert e['detail']['needed'] == 'operator'
    assert e['detail']['role'] == 'viewer'
    assert tok.encode() not in json.dumps(denied).encode()
    daemon.stop_clean()
    denied = [e for e in sqlite_entries(daemon)
              if e['action'] == 'access_denied']
    assert len(denied) == 2, denied
    assert denied[1]['actor'] == 'token:grafana'
    assert denied[1]['detail']['count'] == 4
    assert denied[1]['detail']['summary'] is True


def sqlite_entries(d):
    db = sqlite3.connect(d.ox.path('oxios.db'))
    try:
        rows = db.execute('SELECT actor, action, resource, detail FROM '
                          'audit_log ORDER BY seq').fetchall()
    finally:
        db.close()
    return [{'actor': a, 'action': b, 'resource': c,
             'detail': json.loads(d) if d else None}
            for a, b, c, d in rows]


def test_operator_chats_but_cannot_administer(daemon):
    tok = mint(daemon, 'operator', 'ci')
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 3}, token=tok)
    forbidden(st, j, 'admin', 'operator')
    st, _, j = daemon.post('/api/tokens', {'name': 'y', 'role': 'viewer'},
                           token=tok)
    forbidden(st, j, 'admin', 'operator')
    st, _, j = daemon.request('DELETE', '/api/tokens/ci', token=tok)
    forbidden(st, j, 'admin', 'operator')
    daemon.fake.load({'turns': [{'text': 'Hello, operator.'}]})
    st, _, j = daemon.post('/api/chat', {'content': 'hi'}, token=tok,
                           timeout=60)
    assert st == 200 and j['reply'] == 'Hello, operator.', (st, j)
    aid = j['agent_id']
    # The run names who started it.
    spawn = [e for e in entries(daemon, action='agent_spawn')
             if e['resource'] == 'agent:' + aid]
    assert len(spawn) == 1 and spawn[0]['actor'] == 'token:ci', spawn
    # A memory written by the operator is theirs in the log.
    st, _, j = daemon.post('/api/memory', {'content': 'from ci',
                                           'type': 'fact'}, token=tok)
    assert st == 201, (st, j)
    mem = entries(daemon, action='memory_write')
    assert mem[-1]['actor'] == 'token:ci', mem
    # An operator's ticket opens the stream.
    st, _, j = daemon.post('/api/chat/ticket', token=tok)
    assert st == 200 and j['ticket'], (st, j)


def test_token_lifecycle_and_audit(daemon):
    st, _, j = daemon.post('/api/tokens', {'name': 'tmp', 'role': 'viewer',
                                           'expires': '30d'})
    assert st == 201, j
    tok, tid = j['token'], j['id']
    assert tok.startswith('oxt_') and tid.startswith('tok_')
    assert j['role'] == 'viewer' and j['expires_at'].endswith('Z')
    st, _, j = daemon.get('/api/whoami', token=tok)
    assert j['name'] == 'tmp' and j['expires_at'] is not None
    # Listed without the token; shown once only.
    st, _, j = daemon.get('/api/tokens')
    assert st == 200
    row = [t for t in j['tokens'] if t['id'] == tid][0]
    assert row['state'] == 'active' and 'token' not in row
    assert row['created_by'] == 'token:admin'
    assert row['last_used_at'] is not None
    # Bad bodies.
    for body, code in [({'name': 'tmp', 'role': 'viewer'}, 409),
                       ({'name': 'a b', 'role': 'viewer'}, 400),
                       ({'name': 'z', 'role': 'root'}, 400),
                       ({'name': 'z', 'role': 'viewer', 'expires': 'soon'},
                        400),
                       ({'name': 'z', 'role': 'viewer',
                         'expires': '2001-01-01'}, 400),
                       ({'role': 'viewer'}, 400)]:
        st, _, j = daemon.post('/api/tokens', body)
        assert st == code, (body, st, j)
    # Revoked: 401 at once, and audited as an expired use.
    st, _, j = daemon.request('DELETE', '/api/tokens/' + tid)
    assert st == 200 and j['revoked'] is True, j
    st, _, j = daemon.request('DELETE', '/api/tokens/' + tid)
    assert st == 404, j
    st, _, j = daemon.get('/api/status', token=tok)
    assert st == 401 and j['error']['code'] == 'unauthorized', j
    auth = entries(daemon, action='auth')
    ops = [(e['detail'].get('op'), e['detail'].get('name'))
           for e in auth]
    assert ('create', 'tmp') in ops and ('revoke', 'tmp') in ops
    assert ('expired_use', 'tmp') in ops, auth
    create = [e for e in auth if e['detail'].get('op') == 'create'][0]
    assert create['actor'] == 'token:admin'
    assert create['detail']['role'] == 'viewer'
    assert create['detail']['id'] == tid
    raw = open(daemon.ox.path('oxios.db'), 'rb').read()
    assert tok.encode() not in raw


def test_expired_token_is_401(daemon):
    st, _, j = daemon.post('/api/tokens', {'name': 'brief', 'role': 'admin',
                                           'expires': '1s'})
    assert st == 201, j
    tok = j['token']
    st, _, j = daemon.get('/api/status', token=tok)
    assert st == 200, j
    time.sleep(1.2)
    st, _, j = daemon.get('/api/status', token=tok)
    assert st == 401, j
    st, _, j = daemon.get('/api/tokens')
    row = [t for t in j['tokens'] if t['name'] == 'brief'][0]
    assert row['state'] == 'expired'


def test_admin_credentials_and_cli_tokens(llm):
    llm.env['OXIOS_API_KEY'] = 'ci-extra-key-0123456789'
    d = make_daemon(llm)
    d.fake = llm.fake
    # A token made by the CLI on the database works in the daemon.
    r = llm.run('token', 'create', '--role', 'operator', '--name', 'cli-op',
                '--json')
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    d.start()
    try:
        st, _, j = d.get('/api/whoami')
        assert j == {'name': 'admin', 'role': 'admin', 'expires_at': None}
        st, _, j = d.get('/api/whoami', token='ci-extra-key-0123456789')
        assert j['name'] == 'api_key' and j['role'] == 'admin', j
        st, _, j = d.request('PUT', '/api/config',
                             body={'kernel.max_agents': 3},
                             token='ci-extra-key-0123456789')
        assert st == 200, j
        st, _, j = d.get('/api/whoami', token=made['token'])
        assert j['name'] == 'cli-op' and j['role'] == 'operator', j
        # Config changes name the credential.
        ch = entries(d, action='config_change')
        assert ch[-1]['actor'] == 'token:api_key', ch
        # Revoked by the CLI: refused at once by the running daemon.
        r = llm.run('token', 'revoke', 'cli-op')
        assert r.returncode == 0, r.stderr
        st, _, j = d.get('/api/whoami', token=made['token'])
        assert st == 401, j
        r = llm.run('token', 'list', '--json')
        rows = json.loads(r.stdout)
        assert rows[0]['name'] == 'cli-op' and rows[0]['state'] == 'revoked'
        cli = [e for e in sqlite_entries(d) if e['action'] == 'auth' and
               e['detail'] and e['detail'].get('op') == 'revoke']
        assert cli[-1]['actor'] == 'user'
    finally:
        d.stop_clean()


def test_openapi_shows_roles(daemon):
    st, _, j = daemon.get('/api/openapi.json')
    assert st == 200
    paths = j['paths']
    assert paths['/api/config']['put']['x-oxios-role'] == 'admin'
    assert paths['/api/chat']['post']['x-oxios-role'] == 'operator'
    assert paths['/api/agents']['get']['x-oxios-role'] == 'viewer'
    assert paths['/api/tokens']['post']['x-oxios-role'] == 'admin'
    assert 'x-oxios-role' not in paths['/health']['get']
    for p, item in paths.items():
        for m, op in item.items():
            if op.get('security') != []:
                assert op['x-oxios-role'] in ('viewer', 'operator',
                                              'admin'), (p, m)
