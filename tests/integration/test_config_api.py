"""GET /api/config/schema (what the dashboard's Config view edits) and the
key named in a refusal of PUT /api/config (error.key)."""
import json


def test_schema_route_is_the_cli_schema(daemon):
    st, _, j = daemon.get('/api/config/schema')
    assert st == 200
    rows = {k['key']: k for k in j['keys']}
    cli = json.loads(daemon.ox.run('config', 'schema', '--json').stdout)
    assert [k['key'] for k in j['keys']] == [k['key'] for k in cli]
    for k in cli:
        row = dict(rows[k['key']])
        restart = row.pop('restart')
        assert row == k
        assert restart == (k['key'] in ('gateway.host', 'gateway.port',
                                        'logging.target', 'logging.format'))
    port = rows['gateway.port']
    assert port['type'] == 'integer' and port['default'] == '4200'
    assert port['doc'] and port['restart'] is True
    assert rows['logging.format']['choices'] == 'text|json'
    assert rows['kernel.max_agents']['restart'] is False
    # Secrets are marked, and no value is given: only the schema.
    assert rows['gateway.api_key']['secret'] is True
    assert 'value' not in rows['gateway.api_key']


def test_schema_needs_the_token(daemon):
    assert daemon.request('GET', '/api/config/schema', auth=False)[0] == 401


def test_refusal_names_its_key_and_writes_nothing(daemon):
    with open(daemon.ox.path('config.toml')) as f:
        before = f.read()
    cases = [
        ({'kernel.max_agents': 'many'}, 'invalid_value', 'kernel.max_agents',
         'expected integer'),
        ({'kernel.max_agents': 0}, 'invalid_value', 'kernel.max_agents', ''),
        ({'kernel.max_agents': 4, 'engine.default_model': 'nomodel'},
         'invalid_value', 'engine.default_model', 'provider/model'),
        ({'kernel.max_agents': 4, 'no.such': 1}, 'unknown_key', 'no.such',
         "unknown configuration key 'no.such'"),
    ]
    for body, code, key, why in cases:
        st, _, j = daemon.request('PUT', '/api/config', body=body)
        assert st == 400, (body, j)
        assert j['error']['code'] == code, j
        assert j['error']['key'] == key, j
        assert why in j['error']['message'], j
    with open(daemon.ox.path('config.toml')) as f:
        assert f.read() == before
    # An accepted change has no error at all.
    st, _, j = daemon.request('PUT', '/api/config',
                              body={'kernel.max_agents': 4})
    assert st == 200 and j['changed'] == ['kernel.max_agents']

