"""The LLM providers against the fake, through the real binary and the
gate: streamed answers, tool-call round trips, every fault mode with its
error class and retry count, cancellation, usage recorded, no secrets."""
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import ANTHROPIC_KEY, BIN, OPENAI_KEY

MODELS = ['anthropic/claude-sonnet-4-5', 'openai/gpt-4.1']


def call(oxios, *args, model=MODELS[0], timeout=60):
    r = oxios.run('__llm', '--model', model, *args, timeout=timeout)
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert lines, (r.returncode, r.stderr)
    return r, lines[:-1], lines[-1]


def script(fake, *turns, **kw):
    fake.load(dict(kw, turns=list(turns)))


def text_of(deltas):
    """The streamed text as a receiver keeps it: a reset drops the rest."""
    text = ''
    for d in deltas:
        if d['delta'] == 'reset':
            text = ''
        elif d['delta'] == 'text':
            text += d['text']
    return text


@pytest.mark.parametrize('model', MODELS)
def test_streamed_answer(llm, model):
    text = 'Hello, wörld — 日本語 and emoji 😀, streamed in pieces.'
    script(llm.fake, {'text': text, 'usage': {'input_tokens': 21,
                                              'output_tokens': 13}})
    r, deltas, last = call(llm, 'say hello', model=model)
    assert r.returncode == 0, r.stderr
    assert text_of(deltas) == text
    assert len([d for d in deltas if d['delta'] == 'text']) > 3
    resp = last['response']
    assert resp['content'] == [{'type': 'text', 'text': text}]
    assert resp['stop_reason'] == 'end_turn'
    assert resp['usage']['input_tokens'] == 21
    assert resp['usage']['output_tokens'] == 13
    assert last['attempts'] == 1
    req = llm.fake.requests()[-1]
    if model.startswith('anthropic'):
        assert req['path'] == '/v1/messages'
        assert req['headers']['x-api-key'] == ANTHROPIC_KEY
        assert req['headers']['anthropic-version'] == '2023-06-01'
        assert req['body']['model'] == 'claude-sonnet-4-5'
    else:
        assert req['path'] == '/v1/chat/completions'
        assert req['headers']['authorization'] == 'Bearer ' + OPENAI_KEY
        assert req['body']['stream_options'] == {'include_usage': True}
        assert req['body']['model'] == 'gpt-4.1'
    assert req['body']['stream'] is True


@pytest.mark.parametrize('model', MODELS)
def test_not_streamed(llm, model):
    script(llm.fake, {'text': 'whole answer'})
    r, deltas, last = call(llm, '--no-stream', 'hi', model=model)
    assert r.returncode == 0
    assert deltas == []
    assert last['response']['content'][0]['text'] == 'whole answer'
    assert llm.fake.requests()[-1]['body']['stream'] is False


@pytest.mark.parametrize('model', MODELS)
def test_tool_call_round_trip(llm, model, tmp_path):
    args = {'path': 'notes/ä.txt', 'lines': [1, 2, 3], 'opts': {'x': True}}
    script(llm.fake,
           {'text': 'Let me read it.',
            'tool_calls': [{'id': 'call_1', 'name': 'read',
                            'arguments': args}]},
           {'text': 'The file says hello.'})
    tools = tmp_path / 'tools.json'
    tools.write_text(json.dumps([{
        'name': 'read', 'description': 'Read a file',
        'input_schema': {'type': 'object',
                         'properties': {'path': {'type': 'string'}}}}]))
    r, deltas, last = call(llm, '--tools', str(tools), 'read notes/ä.txt',
                           model=model)
    assert r.returncode == 0, r.stderr
    resp = last['response']
    assert resp['stop_reason'] == 'tool_use'
    use = [b for b in resp['content'] if b['type'] == 'tool_use']
    assert len(use) == 1
    assert use[0]['name'] == 'read' and use[0]['input'] == args
    assert ''.join(d['text'] for d in deltas
                   if d['delta'] == 'tool_args') and \
        json.loads(''.join(d['text'] for d in deltas
                           if d['delta'] == 'tool_args')) == args

    # Second turn: the tool's result goes back in the provider's format.
    messages = tmp_path / 'messages.json'
    messages.write_text(json.dumps([
        {'role': 'user', 'content': 'read notes/ä.txt'},
        {'role': 'assistant', 'content': resp['content']},
        {'role': 'tool', 'content': [{'type': 'tool_result',
                                      'tool_use_id': use[0]['id'],
                                      'content': 'hello'}]}]))
    r, deltas, last = call(llm, '--tools', str(tools), '--messages',
                           str(messages), model=model)
    assert r.returncode == 0, r.stderr
    assert last['response']['content'][0]['text'] == 'The file says hello.'
    body = llm.fake.requests()[-1]['body']
    if model.startswith('anthropic'):
        last_msg = body['messages'][-1]
        assert last_msg['role'] == 'user'
        assert last_msg['content'][0] == {
            'type': 'tool_result', 'tool_use_id': use[0]['id'],
            'content': 'hello'}
        assert body['messages'][1]['content'][1]['input'] == args
        assert body['tools'][0]['input_schema']['type'] == 'object'
    else:
        assert body['messages'][1]['tool_calls'][0]['id'] == use[0]['id']
        assert json.loads(body['messages'][1]['tool_calls'][0]['function']
                          ['arguments']) == args
        assert body['messages'][2] == {'role': 'tool',
                                       'tool_call_id': use[0]['id'],
                                       'content': 'hello'}
        assert body['tools'][0]['function']['name'] == 'read'


# fault, expected class, attempts (max_retries 4 by default)
FAULTS = [
    ({'status': 429, 'retry_after': 0, 'times': 2}, None, 3),
    ({'status': 500, 'times': 1}, None, 2),
    ({'status': 529, 'times': 2}, None, 3),
    ({'truncate_after': 3, 'times': 1}, None, 2),
    ({'malformed_json': True, 'times': 1}, None, 2),
    ({'status': 500, 'times': 9}, 'transient', 5),
    ({'status': 429, 'retry_after': 0, 'times': 9}, 'rate_limited', 5),
    ({'status': 401}, 'auth', 1),
    ({'status': 400, 'message': 'bad thing'}, 'bad_request', 1),
    ({'status': 400, 'context_overflow': True}, 'context_overflow', 1),
    ({'error_event': True, 'times': 9}, 'transient', 5),
]


@pytest.mark.parametrize('model', MODELS)
@pytest.mark.parametrize('fault,cls,attempts', FAULTS,
                         ids=[json.dumps(f[0]) for f in FAULTS])
def test_faults(llm, model, fault, cls, attempts):
    script(llm.fake, {'text': 'finally', 'fault': fault})
    r, deltas, last = call(llm, 'hi', model=model)
    n = len([q for q in llm.fake.requests()
             if q['path'].endswith(('/messages', '/completions'))])
    assert n == attempts, last
    if cls is None:
        assert r.returncode == 0, last
        assert last['response']['content'][0]['text'] == 'finally'
        assert text_of(deltas) == 'finally'
        assert last['attempts'] == attempts
        return
    assert r.returncode == 1
    err = last['error']
    assert err['class'] == cls, err
    assert err['attempts'] == attempts
    provider = model.split('/')[0]
    assert err['message'].startswith(provider + ': '), err
    for key in (ANTHROPIC_KEY, OPENAI_KEY):
        assert key not in r.stdout + r.stderr
    if attempts > 1:
        assert '(after %d attempts)' % attempts in err['message']


def test_retry_after_is_honoured(llm):
    script(llm.fake, {'text': 'ok', 'fault': {'status': 429,
                                              'retry_after': 1}})
    t0 = time.monotonic()
    r, deltas, last = call(llm, 'hi')
    took = time.monotonic() - t0
    assert r.returncode == 0
    assert last['attempts'] == 2
    assert took >= 1.0, took


def test_stall_hits_idle_timeout(llm):
    script(llm.fake, {'text': 'late', 'fault': {'stall_ms': 4000}},
           {'text': 'late'}, {'text': 'late'}, {'text': 'late'},
           {'text': 'late'})
    llm.write_config('[engine]\nretry_base_ms = 20\nidle_timeout_secs = 1\n'
                     'max_retries = 0\n')
    t0 = time.monotonic()
    r, deltas, last = call(llm, 'hi')
    took = time.monotonic() - t0
    assert r.returncode == 1
    assert last['error']['class'] == 'transient'
    assert 'stalled' in last['error']['message'] or \
        'timed out' in last['error']['message']
    assert took < 4, took


def test_cancel_ends_within_a_second(llm):
    script(llm.fake, {'text': 'never', 'fault': {'stall_ms': 20000}})
    p = subprocess.Popen([BIN, '__llm', 'hi'], env=dict(
        llm.env, **{'OXIOS_HOME': llm.home}), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    took = time.monotonic() - t0
    assert took < 1.0, took
    assert p.returncode == 1
    assert json.loads(out.splitlines()[-1])['error']['class'] == 'cancelled'


def test_connection_refused_is_transient(oxios):
    oxios.env.update({'OPENAI_BASE_URL': 'http://127.0.0.1:9/v1',
                      'OPENAI_API_KEY': 'x'})
    oxios.write_config('[engine]\nretry_base_ms = 10\nmax_retries = 2\n')
    r, deltas, last = call(oxios, 'hi', model='openai/gpt-4.1')
    assert r.returncode == 1
    assert last['error']['class'] == 'transient'
    assert last['error']['attempts'] == 3
    assert 'openai: connection failed' in last['error']['message']


def test_unknown_provider_and_bad_model(oxios):
    r, deltas, last = call(oxios, 'hi', model='nope/x')
    assert last['error']['class'] == 'config'
    assert "unknown provider 'nope'" in last['error']['message']
    r, deltas, last = call(oxios, 'hi', model='justamodel')
    assert 'provider/model' in last['error']['message']


def test_usage_is_recorded(llm):
    script(llm.fake, {'text': 'a', 'usage': {'input_tokens': 1000000,
                                             'output_tokens': 1000000}},
           {'text': 'b', 'fault': {'status': 401}})
    r, _, last = call(llm, 'one')
    assert last['cost_usd'] == 18.0      # the gate's record of the call
    call(llm, 'two', model='openai/gpt-4.1')
    db = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    rows = db.execute('SELECT provider, model, input_tokens, output_tokens, '
                      'cost_usd, status, attempts, error, kind FROM llm_calls '
                      'ORDER BY id').fetchall()
    db.close()
    assert rows[0][:6] == ('anthropic', 'claude-sonnet-4-5', 1000000,
                           1000000, 18.0, 'ok')
    assert [row[8] for row in rows] == ['chat', 'chat']
    assert rows[1][5] == 'auth'
    assert rows[1][7].startswith('openai: authentication failed')
    for row in rows:
        assert ANTHROPIC_KEY not in str(row) and OPENAI_KEY not in str(row)


def test_models_from_the_provider(llm):
    llm.fake.load({'models': ['qwen3', 'llama3.3'], 'turns': []})
    llm.env.pop('ANTHROPIC_API_KEY')
    llm.env.pop('ANTHROPIC_BASE_URL')
    r = llm.run('models', '--json', check=0)
    models = json.loads(r.stdout)
    assert [m['id'] for m in models] == ['openai/qwen3', 'openai/llama3.3']
    assert all(m['source'] == 'provider' for m in models)
    req = llm.fake.requests()[-1]
    assert req['path'] == '/v1/models'
    assert req['headers']['authorization'] == 'Bearer ' + OPENAI_KEY

    # Marked default, in text.
    llm.run('config', 'set', 'engine.default_model', 'openai/qwen3', check=0)
    text = llm.run('models', check=0).stdout
    assert text.splitlines()[0].startswith('* openai/qwen3')


def test_models_local_provider_without_key(oxios, fake):
    # Like Ollama or llama.cpp: no key asked, none sent.
    fake.load({'models': ['qwen3'], 'turns': [], 'require_key': False})
    oxios.write_config('[providers.local]\nbase_url = "%s/v1"\n' % fake.url)
    models = json.loads(oxios.run('models', '--json', check=0).stdout)
    assert [m['id'] for m in models] == ['local/qwen3']
    assert 'authorization' not in fake.requests()[-1]['headers']


def test_models_falls_back_to_catalog(oxios):
    oxios.env.update({'OPENAI_BASE_URL': 'http://127.0.0.1:9/v1',
                      'OPENAI_API_KEY': 'x'})
    r = oxios.run('models', check=0)
    assert 'openai/gpt-4.1 ' in r.stdout
    assert 'showing the built-in catalog' in r.stderr
    r = oxios.run('models', '--offline', '--json', check=0)
    ids = [m['id'] for m in json.loads(r.stdout)]
    assert 'openai/gpt-4.1' in ids and all(i.startswith('openai/')
                                           for i in ids)


def test_models_without_any_provider(oxios):
    r = oxios.run('models')
    assert r.returncode == 1
    assert r.stdout == ''
    assert r.stderr.startswith('oxios: no LLM provider is configured: '
                               'export ANTHROPIC_API_KEY or OPENAI_API_KEY')
    assert 'docs/providers.md' in r.stderr
