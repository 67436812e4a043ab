"""Tests of the fake LLM server (tests/fakes/fake_llm.py), stdlib clients only.

Run: /usr/bin/python3 -m pytest -q tests/fakes
"""
import datetime
import glob
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fake_llm import FakeLLM, check_script  # noqa: E402

AH = {'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01',
      'content-type': 'application/json'}
OH = {'Authorization': 'Bearer sk-test-1234567890',
      'content-type': 'application/json'}
MSGS = [{'role': 'user', 'content': 'hello'}]

TEXT = 'Hello, wörld! 日本語 and emoji 🎉 — done.'
ARGS = {'path': 'a "quoted"\\dir/é.txt', 'n': 3, 'deep': {'list': [1, 2]}}
ARGS2 = {'cmd': 'ls -la', 'why': 'naïve ✓'}


def abody(**kw):
    b = {'model': 'claude-test', 'max_tokens': 256, 'messages': MSGS}
    b.update(kw)
    return b


def obody(**kw):
    b = {'model': 'gpt-test', 'messages': MSGS}
    b.update(kw)
    return b


@pytest.fixture
def fake():
    f = FakeLLM().start()
    yield f
    f.stop()


def request(fake, method, path, body=None, headers=None, timeout=5):
    """Send one request; return (connection, response) unread."""
    c = http.client.HTTPConnection('127.0.0.1', fake.port, timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) \
        else body
    c.request(method, path, data, headers or {})
    return c, c.getresponse()


def call(fake, method, path, body=None, headers=None, timeout=5):
    c, r = request(fake, method, path, body, headers, timeout)
    raw = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, raw


def anth(fake, **kw):
    return call(fake, 'POST', '/v1/messages', abody(**kw), AH)


def oai(fake, **kw):
    return call(fake, 'POST', '/v1/chat/completions', obody(**kw), OH)


def parse_sse(raw):
    events = []
    for block in raw.decode('utf-8').split('\n\n'):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split('\n'):
            if line.startswith('event: '):
                name = line[7:]
            elif line.startswith('data: '):
                data.append(line[6:])
        events.append((name, '\n'.join(data)))
    return events


def anth_reassemble(events):
    """Rebuild the message from Anthropic stream events, checking order."""
    names = [n for n, _ in events]
    assert names[0] == 'message_start' and names[1] == 'ping'
    assert names[-2:] == ['message_delta', 'message_stop']
    msg, blocks, open_block = None, [], None
    for name, data in events:
        d = json.loads(data)
        assert d['type'] == name
        if name == 'message_start':
            msg = d['message']
            assert msg['content'] == [] and msg['stop_reason'] is None
        elif name == 'content_block_start':
            assert open_block is None and d['index'] == len(blocks)
            b = dict(d['content_block'])
            b['_json'] = ''
            blocks.append(b)
            open_block = d['index']
        elif name == 'content_block_delta':
            assert d['index'] == open_block
            b, delta = blocks[open_block], d['delta']
            if delta['type'] == 'text_delta':
                b['text'] += delta['text']
            elif delta['type'] == 'input_json_delta':
                b['_json'] += delta['partial_json']
            elif delta['type'] == 'thinking_delta':
                b['thinking'] += delta['thinking']
            elif delta['type'] == 'signature_delta':
                b['signature'] = delta['signature']
            else:
                raise AssertionError(delta)
        elif name == 'content_block_stop':
            assert d['index'] == open_block
            open_block = None
        elif name == 'message_delta':
            msg['stop_reason'] = d['delta']['stop_reason']
            msg['stop_sequence'] = d['delta']['stop_sequence']
            msg['usage']['output_tokens'] = d['usage']['output_tokens']
    for b in blocks:
        if b['type'] == 'tool_use':
            b['input'] = json.loads(b['_json'])
        del b['_json']
    msg['content'] = blocks
    return msg


def oai_reassemble(raw):
    events = parse_sse(raw)
    assert events[-1] == (None, '[DONE]')
    text, calls, finish, usage, first = '', {}, None, None, None
    for name, data in events[:-1]:
        assert name is None
        c = json.loads(data)
        assert c['object'] == 'chat.completion.chunk'
        if c.get('usage'):
            assert c['choices'] == []
            usage = c['usage']
        for ch in c['choices']:
            d = ch['delta']
            if first is None:
                first = d
            text += d.get('content') or ''
            for tc in d.get('tool_calls', []):
                slot = calls.setdefault(tc['index'], {'args': '', 'frags': 0})
                if 'id' in tc:
                    assert 'id' not in slot
                    slot.update(id=tc['id'], name=tc['function']['name'])
                    assert tc['type'] == 'function'
                assert 'id' in slot, 'argument fragment before the header'
                slot['args'] += tc['function']['arguments']
                slot['frags'] += 1
            if ch['finish_reason']:
                finish = ch['finish_reason']
    return {'first': first, 'text': text, 'finish': finish, 'usage': usage,
            'calls': [calls[i] for i in sorted(calls)], 'events': events}


# ------------------------------------------------------------- Anthropic

def test_anthropic_nonstream_text(fake):
    fake.load({'turns': [{'text': TEXT,
                          'usage': {'input_tokens': 12,
                                    'output_tokens': 34}}]})
    st, h, raw = anth(fake)
    assert st == 200 and h['content-type'] == 'application/json'
    assert int(h['content-length']) == len(raw)
    m = json.loads(raw)
    assert m['id'].startswith('msg_') and m['type'] == 'message'
    assert m['role'] == 'assistant' and m['model'] == 'claude-test'
    assert m['content'] == [{'type': 'text', 'text': TEXT}]
    assert m['stop_reason'] == 'end_turn' and m['stop_sequence'] is None
    assert m['usage'] == {'input_tokens': 12, 'output_tokens': 34,
                          'cache_creation_input_tokens': 0,
                          'cache_read_input_tokens': 0}


def test_anthropic_nonstream_tool_use(fake):
    fake.load({'turns': [{'text': 'Let me look.', 'tool_calls': [
        {'name': 'read_file', 'arguments': ARGS},
        {'id': 'toolu_fixed', 'name': 'shell', 'arguments': ARGS2}]}]})
    m = json.loads(anth(fake)[2])
    assert m['stop_reason'] == 'tool_use'
    assert [b['type'] for b in m['content']] == ['text', 'tool_use',
                                                 'tool_use']
    t1, t2 = m['content'][1:]
    assert t1['id'].startswith('toolu_') and t1['name'] == 'read_file'
    assert t1['input'] == ARGS
    assert t2['id'] == 'toolu_fixed' and t2['input'] == ARGS2
    assert m['usage']['input_tokens'] >= 1 and m['usage']['output_tokens'] > 1


def test_anthropic_stream(fake):
    fake.load({'turns': [{'text': TEXT, 'thinking': 'Hmm, let me think.',
                          'tool_calls': [{'name': 'read_file',
                                          'arguments': ARGS}],
                          'usage': {'input_tokens': 7,
                                    'output_tokens': 9}}]})
    st, h, raw = anth(fake, stream=True)
    assert st == 200
    assert h['content-type'].startswith('text/event-stream')
    assert h['transfer-encoding'] == 'chunked'
    assert 'content-length' not in h
    events = parse_sse(raw)
    msg = anth_reassemble(events)
    assert msg['usage']['input_tokens'] == 7
    assert msg['usage']['output_tokens'] == 9
    assert msg['stop_reason'] == 'tool_use'
    th, tx, tu = msg['content']
    assert th['type'] == 'thinking' and th['thinking'] == 'Hmm, let me think.'
    assert th['signature']
    assert tx == {'type': 'text', 'text': TEXT}
    assert tu['type'] == 'tool_use' and tu['name'] == 'read_file'
    assert tu['input'] == ARGS
    deltas = [json.loads(d)['delta'] for n, d in events
              if n == 'content_block_delta']
    texts = [d['text'] for d in deltas if d['type'] == 'text_delta']
    frags = [d['partial_json'] for d in deltas
             if d['type'] == 'input_json_delta']
    assert len(texts) > 5 and '日' in texts and '🎉' in texts
    assert len(frags) > 5 and frags[0] == ''
    assert any(f.endswith('\\') for f in frags), 'no split inside an escape'
    # raw UTF-8 on the wire, not \\u escapes
    assert '日本語'[0].encode() in raw


def test_anthropic_stream_text_pieces_and_stop(fake):
    fake.load({'turns': [{'text': ['Hel', 'lo', ''], 'stop_reason':
                          'max_tokens'},
                         {'text': 'x', 'stop_sequence': 'END'}]})
    events = parse_sse(anth(fake, stream=True)[2])
    texts = [json.loads(d)['delta']['text'] for n, d in events
             if n == 'content_block_delta']
    assert texts == ['Hel', 'lo', '']
    assert anth_reassemble(events)['stop_reason'] == 'max_tokens'
    m = json.loads(anth(fake)[2])
    assert m['stop_reason'] == 'stop_sequence' and m['stop_sequence'] == 'END'


def test_anthropic_auth_and_validation(fake):
    fake.load({'api_key': 'sk-ant-right', 'turns': [{'text': 'ok'}]})
    h = dict(AH)
    del h['x-api-key']
    st, _, raw = call(fake, 'POST', '/v1/messages', abody(), h)
    e = json.loads(raw)
    assert st == 401 and e['type'] == 'error'
    assert e['error']['type'] == 'authentication_error'
    assert e['error']['message']
    st, _, raw = call(fake, 'POST', '/v1/messages', abody(), AH)   # wrong key
    assert st == 401
    assert json.loads(raw)['error']['type'] == 'authentication_error'
    h = dict(AH, **{'x-api-key': 'sk-ant-right'})
    del h['anthropic-version']
    st, _, raw = call(fake, 'POST', '/v1/messages', abody(), h)
    assert st == 400
    assert json.loads(raw)['error']['type'] == 'invalid_request_error'
    h = dict(AH, **{'x-api-key': 'sk-ant-right'})
    b = abody()
    del b['max_tokens']
    st, _, raw = call(fake, 'POST', '/v1/messages', b, h)
    assert st == 400 and 'max_tokens' in json.loads(raw)['error']['message']
    st, _, raw = call(fake, 'POST', '/v1/messages', b'{not json', h)
    assert st == 400
    assert json.loads(raw)['error']['type'] == 'invalid_request_error'
    # none of that consumed the turn
    st, _, raw = call(fake, 'POST', '/v1/messages', abody(), h)
    assert st == 200 and json.loads(raw)['content'][0]['text'] == 'ok'


# ---------------------------------------------------------------- OpenAI

def test_openai_nonstream(fake):
    fake.load({'turns': [
        {'text': TEXT, 'usage': {'input_tokens': 5, 'output_tokens': 6}},
        {'tool_calls': [{'name': 'shell', 'arguments': ARGS2},
                        {'id': 'call_fixed', 'name': 'read_file',
                         'arguments': ARGS}]}]})
    st, h, raw = oai(fake)
    assert st == 200 and h['content-type'] == 'application/json'
    c = json.loads(raw)
    assert c['id'].startswith('chatcmpl-') and c['object'] == 'chat.completion'
    assert isinstance(c['created'], int) and c['model'] == 'gpt-test'
    ch = c['choices'][0]
    assert ch['index'] == 0 and ch['finish_reason'] == 'stop'
    assert ch['message']['role'] == 'assistant'
    assert ch['message']['content'] == TEXT
    assert 'tool_calls' not in ch['message']
    u = c['usage']
    assert (u['prompt_tokens'], u['completion_tokens'], u['total_tokens']) \
        == (5, 6, 11)
    ch = json.loads(oai(fake)[2])['choices'][0]
    assert ch['finish_reason'] == 'tool_calls'
    assert ch['message']['content'] is None
    t1, t2 = ch['message']['tool_calls']
    assert t1['id'].startswith('call_') and t1['type'] == 'function'
    assert t1['function']['name'] == 'shell'
    assert json.loads(t1['function']['arguments']) == ARGS2
    assert t2['id'] == 'call_fixed'
    assert json.loads(t2['function']['arguments']) == ARGS


def test_openai_stream(fake):
    fake.load({'turns': [{'text': TEXT, 'tool_calls': [
        {'name': 'read_file', 'arguments': ARGS},
        {'name': 'shell', 'arguments': ARGS2}],
        'usage': {'input_tokens': 3, 'output_tokens': 4}}]})
    st, h, raw = oai(fake, stream=True,
                     stream_options={'include_usage': True})
    assert st == 200 and h['content-type'].startswith('text/event-stream')
    assert h['transfer-encoding'] == 'chunked'
    r = oai_reassemble(raw)
    assert r['first'] == {'role': 'assistant', 'content': '',
                          'refusal': None}
    assert r['text'] == TEXT and r['finish'] == 'tool_calls'
    assert [c['name'] for c in r['calls']] == ['read_file', 'shell']
    assert json.loads(r['calls'][0]['args']) == ARGS
    assert json.loads(r['calls'][1]['args']) == ARGS2
    assert all(c['frags'] > 3 and c['id'].startswith('call_')
               for c in r['calls'])
    assert r['usage'] == {'prompt_tokens': 3, 'completion_tokens': 4,
                          'total_tokens': 7,
                          'prompt_tokens_details': {'cached_tokens': 0},
                          'completion_tokens_details': {
                              'reasoning_tokens': 0}}
    # the two calls' fragments interleave
    idx = []
    for _, data in r['events'][:-1]:
        for ch in json.loads(data)['choices']:
            idx += [tc['index'] for tc in ch['delta'].get('tool_calls', [])]
    switches = sum(1 for a, b in zip(idx, idx[1:]) if a != b)
    assert switches > 3


def test_openai_stream_without_usage(fake):
    fake.load({'turns': [{'text': 'short', 'stop_reason': 'max_tokens'}]})
    raw = oai(fake, stream=True)[2]
    r = oai_reassemble(raw)
    assert r['usage'] is None and r['finish'] == 'length'
    assert r['text'] == 'short'
    assert all('usage' not in json.loads(d) for _, d in r['events'][:-1])


def test_openai_auth(fake):
    fake.load({'api_key': 'sk-right-key-0000', 'turns': [{'text': 'ok'}]})
    st, _, raw = call(fake, 'POST', '/v1/chat/completions', obody(),
                      {'content-type': 'application/json'})
    e = json.loads(raw)['error']
    assert st == 401 and e['code'] == 'invalid_api_key'
    assert e['type'] == 'invalid_request_error' and e['param'] is None
    st, _, raw = oai(fake)                                  # wrong key
    assert st == 401
    assert json.loads(raw)['error']['code'] == 'invalid_api_key'
    assert OH['Authorization'][7:].encode() not in raw      # masked
    st, _, raw = call(fake, 'POST', '/v1/chat/completions', obody(),
                      {'Authorization': 'Bearer sk-right-key-0000'})
    assert st == 200
    assert json.loads(raw)['choices'][0]['message']['content'] == 'ok'


def test_shared_queue_and_exhaustion(fake):
    fake.load({'turns': [{'text': 'one'}, {'text': 'two'}]})
    assert json.loads(oai(fake)[2])['choices'][0]['message']['content'] \
        == 'one'
    assert json.loads(anth(fake)[2])['content'][0]['text'] == 'two'
    assert json.loads(anth(fake)[2])['content'][0]['text'] == \
        '(fake: no more turns)'
    r = oai_reassemble(oai(fake, stream=True)[2])
    assert r['text'] == '(fake: no more turns)'


def test_keyless_server(fake):
    fake.load({'require_key': False, 'models': ['qwen3'],
               'turns': [{'text': 'a'}, {'text': 'b'}]})
    st, _, raw = call(fake, 'GET', '/v1/models')
    assert st == 200 and json.loads(raw)['data'][0]['id'] == 'qwen3'
    st, _, raw = call(fake, 'POST', '/v1/chat/completions', obody())
    assert st == 200
    h = dict(AH)
    del h['x-api-key']
    assert call(fake, 'POST', '/v1/messages', abody(), h)[0] == 200
    fake.load({'require_key': False, 'api_key': 'right'})
    assert oai(fake)[0] == 401                 # a wrong key is still wrong
    assert anth(fake)[0] == 401


# ---------------------------------------------------------------- models

def test_models_both_shapes(fake):
    fake.load({'models': ['m-one', {'id': 'm-two', 'display_name': 'Two'}]})
    st, _, raw = call(fake, 'GET', '/v1/models', None, OH)
    d = json.loads(raw)
    assert st == 200 and d['object'] == 'list'
    assert [m['id'] for m in d['data']] == ['m-one', 'm-two']
    assert all(m['object'] == 'model' and m['owned_by'] == 'fake' and
               isinstance(m['created'], int) for m in d['data'])
    st, _, raw = call(fake, 'GET', '/v1/models', None, AH)
    d = json.loads(raw)
    assert st == 200 and d['has_more'] is False
    assert d['first_id'] == 'm-one' and d['last_id'] == 'm-two'
    assert d['data'][1] == {'type': 'model', 'id': 'm-two',
                            'display_name': 'Two',
                            'created_at': '2023-11-14T22:13:20Z'}
    d = json.loads(call(fake, 'GET', '/v1/models?limit=1', None, AH)[2])
    assert [m['id'] for m in d['data']] == ['m-one'] and d['has_more']
    st, _, raw = call(fake, 'GET', '/v1/models/m-two', None, OH)
    assert st == 200 and json.loads(raw)['id'] == 'm-two'
    st, _, raw = call(fake, 'GET', '/v1/models/nope', None, AH)
    assert st == 404
    assert json.loads(raw)['error']['type'] == 'not_found_error'
    st, _, raw = call(fake, 'GET', '/v1/models')
    assert st == 401


def test_default_models(fake):
    d = json.loads(call(fake, 'GET', '/v1/models', None, OH)[2])
    assert len(d['data']) >= 2


def test_unknown_route_and_method(fake):
    st, _, raw = call(fake, 'POST', '/messages', abody(), AH)  # no /v1
    assert st == 404 and json.loads(raw)['type'] == 'error'
    st, _, raw = call(fake, 'POST', '/chat/completions', obody(), OH)
    assert st == 404 and 'error' in json.loads(raw)
    st, h, _ = call(fake, 'GET', '/v1/messages', None, AH)
    assert st == 405 and h['allow'] == 'POST'


# ---------------------------------------------------------------- faults

def test_429_times_then_success(fake):
    fake.load({'turns': [{'text': 'finally', 'fault': {
        'status': 429, 'retry_after': 2, 'times': 2}},
        {'text': 'oai', 'fault': {'status': 429, 'retry_after': 1.5}}]})
    for _ in range(2):
        st, h, raw = anth(fake)
        assert st == 429 and h['retry-after'] == '2'
        assert h['anthropic-ratelimit-requests-reset'].endswith('Z')
        assert h['request-id']
        e = json.loads(raw)
        assert e['type'] == 'error'
        assert e['error']['type'] == 'rate_limit_error'
    assert json.loads(anth(fake)[2])['content'][0]['text'] == 'finally'
    st, h, raw = oai(fake, stream=True)
    assert st == 429 and h['retry-after'] == '2'
    assert h['x-ratelimit-reset-requests'] == '1.5s'
    assert h['content-type'] == 'application/json'
    assert json.loads(raw)['error']['code'] == 'rate_limit_exceeded'
    assert oai_reassemble(oai(fake, stream=True)[2])['text'] == 'oai'


@pytest.mark.parametrize('status,atype,otype', [
    (500, 'api_error', 'server_error'),
    (529, 'overloaded_error', 'server_error'),
    (401, 'authentication_error', 'invalid_request_error'),
    (400, 'invalid_request_error', 'invalid_request_error'),
])
def test_status_faults(fake, status, atype, otype):
    fault = {'status': status, 'message': 'boom %d' % status}
    fake.load({'turns': [{'text': 'a', 'fault': fault},
                         {'text': 'b', 'fault': fault}]})
    st, _, raw = anth(fake, stream=True)
    e = json.loads(raw)
    assert st == status and e['error'] == {'type': atype,
                                           'message': 'boom %d' % status}
    assert anth_reassemble(parse_sse(anth(fake, stream=True)[2])
                           )['content'][0]['text'] == 'a'
    st, _, raw = oai(fake)
    e = json.loads(raw)['error']
    assert st == status and e['type'] == otype
    assert e['message'] == 'boom %d' % status
    assert json.loads(oai(fake)[2])['choices'][0]['message']['content'] \
        == 'b'


def test_context_overflow(fake):
    f = {'status': 400, 'context_overflow': True}
    fake.load({'turns': [{'fault': f}, {'fault': f}]})
    st, _, raw = anth(fake)
    e = json.loads(raw)['error']
    assert st == 400 and e['type'] == 'invalid_request_error'
    assert e['message'].startswith('prompt is too long: ')
    anth(fake)
    st, _, raw = oai(fake)
    e = json.loads(raw)['error']
    assert st == 400 and e['code'] == 'context_length_exceeded'
    assert e['type'] == 'invalid_request_error'


def test_stall_stream_and_whole(fake):
    fake.load({'turns': [{'text': 'slow', 'fault': {'stall_ms': 300}},
                         {'text': 'slow2', 'fault': {'stall_ms': 300}}]})
    c, r = request(fake, 'POST', '/v1/messages', abody(stream=True), AH)
    t0 = time.monotonic()
    first = r.read(20)               # part of the first event: no wait
    assert time.monotonic() - t0 < 0.25
    assert first.startswith(b'event: message_start')
    raw = first + r.read()
    assert time.monotonic() - t0 >= 0.28
    c.close()
    assert anth_reassemble(parse_sse(raw))['content'][0]['text'] == 'slow'
    t0 = time.monotonic()
    st, _, raw = oai(fake)
    assert time.monotonic() - t0 >= 0.28
    assert json.loads(raw)['choices'][0]['message']['content'] == 'slow2'
    assert fake.state()['remaining_turns'] == 0   # a stall is a slow success


def test_hang_then_retry(fake):
    fake.load({'turns': [{'text': 'after hang',
                          'fault': {'stall_ms': 0, 'hang': True}},
                         {'text': 'after hang 2', 'fault': {'hang': True}}]})
    c, r = request(fake, 'POST', '/v1/messages', abody(stream=True), AH,
                   timeout=0.4)
    assert r.status == 200
    with pytest.raises(socket.timeout):
        r.read()
    c.close()
    assert fake.state()['remaining_turns'] == 2
    msg = anth_reassemble(parse_sse(anth(fake, stream=True)[2]))
    assert msg['content'][0]['text'] == 'after hang'
    c, r = request(fake, 'POST', '/v1/chat/completions', obody(), OH,
                   timeout=0.4)
    assert r.status == 200            # headers came, the body never does
    with pytest.raises(socket.timeout):
        r.read()
    c.close()
    assert json.loads(oai(fake)[2])['choices'][0]['message']['content'] \
        == 'after hang 2'


def test_truncate(fake):
    f = {'truncate_after': 4}
    fake.load({'turns': [{'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': {'truncate_after': 20}}]})
    c, r = request(fake, 'POST', '/v1/messages', abody(stream=True), AH)
    with pytest.raises(http.client.IncompleteRead) as ei:
        r.read()
    c.close()
    assert [n for n, _ in parse_sse(ei.value.partial)] == [
        'message_start', 'ping', 'content_block_start',
        'content_block_delta']
    assert anth_reassemble(parse_sse(anth(fake, stream=True)[2])
                           )['content'][0]['text'] == TEXT
    c, r = request(fake, 'POST', '/v1/chat/completions', obody(stream=True),
                   OH)
    with pytest.raises(http.client.IncompleteRead) as ei:
        r.read()
    c.close()
    assert len(parse_sse(ei.value.partial)) == 4
    oai(fake, stream=True)
    c, r = request(fake, 'POST', '/v1/messages', abody(), AH)
    with pytest.raises(http.client.IncompleteRead) as ei:
        r.read()
    c.close()
    assert len(ei.value.partial) == 20


def test_malformed_json(fake):
    f = {'malformed_json': True}
    fake.load({'turns': [{'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': f}]})
    for path, body, hdr in (('/v1/messages', abody(stream=True), AH),
                            ('/v1/chat/completions', obody(stream=True), OH)):
        st, _, raw = call(fake, 'POST', path, body, hdr)
        assert st == 200
        bad = 0
        for _, data in parse_sse(raw):
            try:
                json.loads(data)
            except ValueError:
                bad += 1
        assert bad == 1 or (bad == 2 and path.endswith('completions'))
        call(fake, 'POST', path, body, hdr)        # the turn itself
    st, _, raw = anth(fake)
    assert st == 200
    with pytest.raises(ValueError):
        json.loads(raw)


def test_error_event(fake):
    f = {'error_event': True}
    fake.load({'turns': [{'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': dict(f, at=5)},
                         {'text': TEXT, 'fault': f},
                         {'text': TEXT, 'fault': f}]})
    st, _, raw = anth(fake, stream=True)
    events = parse_sse(raw)
    assert st == 200
    assert [n for n, _ in events] == ['message_start', 'ping',
                                      'content_block_start', 'error']
    assert json.loads(events[-1][1]) == {
        'type': 'error', 'error': {'type': 'overloaded_error',
                                   'message': 'Overloaded'}}
    anth(fake)
    events = parse_sse(anth(fake, stream=True)[2])   # at: 5, after text
    assert [n for n, _ in events][3:] == ['content_block_delta',
                                          'content_block_delta', 'error']
    anth(fake)
    st, _, raw = oai(fake, stream=True)
    events = parse_sse(raw)
    assert len(events) == 2
    last = json.loads(events[-1][1])
    assert last['error']['type'] == 'server_error' and last['error']['message']
    assert (None, '[DONE]') not in events
    oai(fake)
    st, _, raw = anth(fake)                   # not streaming: a 529
    assert st == 529
    assert json.loads(raw)['error']['type'] == 'overloaded_error'


def test_delay_and_chunk_bytes(fake):
    fake.load({'turns': [{'text': 'abcdefghij', 'delay_ms': 20},
                         {'text': TEXT, 'chunk_bytes': 7,
                          'tool_calls': [{'name': 'x', 'arguments': ARGS}]}]})
    t0 = time.monotonic()
    events = parse_sse(anth(fake, stream=True)[2])
    assert time.monotonic() - t0 >= 0.02 * (len(events) - 1) * 0.9
    # read the second one raw, to see the chunks themselves
    s = socket.create_connection(('127.0.0.1', fake.port), timeout=5)
    body = json.dumps(obody(stream=True)).encode()
    s.sendall(b'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'
              b'Authorization: Bearer k\r\nConnection: close\r\n'
              b'Content-Length: %d\r\n\r\n' % len(body) + body)
    raw = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        raw += b
    s.close()
    rest = raw.split(b'\r\n\r\n', 1)[1]
    payload, sizes = b'', []
    while True:
        line, rest = rest.split(b'\r\n', 1)
        n = int(line, 16)
        if n == 0:
            break
        payload += rest[:n]
        sizes.append(n)
        rest = rest[n + 2:]
    assert max(sizes) == 7 and len(sizes) > 20
    bounds, pos = [], 0
    for n in sizes:
        pos += n
        bounds.append(pos)
    # at least one chunk ends inside a multi-byte UTF-8 sequence
    assert any(b < len(payload) and (payload[b] & 0xC0) == 0x80
               for b in bounds)
    r = oai_reassemble(payload)
    assert r['text'] == TEXT and json.loads(r['calls'][0]['args']) == ARGS


def test_keep_alive_and_concurrency(fake):
    c = http.client.HTTPConnection('127.0.0.1', fake.port, timeout=5)
    for _ in range(3):
        c.request('POST', '/v1/messages', json.dumps(abody(stream=True)), AH)
        r = c.getresponse()
        assert r.status == 200 and b'message_stop' in r.read()
        c.request('POST', '/v1/chat/completions', json.dumps(obody()), OH)
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())['choices']
    c.close()
    fake.load({'turns': [{'text': 'turn %d' % i, 'delay_ms': 5}
                         for i in range(8)]})
    got, errors = [], []

    def worker():
        try:
            got.append(anth_reassemble(parse_sse(
                anth(fake, stream=True)[2]))['content'][0]['text'])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert not errors and sorted(got) == ['turn %d' % i for i in range(8)]


# ----------------------------------------------------------- introspection

def test_request_log_and_control_routes(fake):
    fake.load({'turns': [{'text': 'a'}, {'text': 'b'}]})
    anth(fake, system='be brief', stream=True)
    oai(fake, temperature=0.5)
    log = json.loads(call(fake, 'GET', '/__requests')[2])
    assert [(r['method'], r['path']) for r in log] == [
        ('POST', '/v1/messages'), ('POST', '/v1/chat/completions')]
    assert log[0]['headers']['x-api-key'] == 'sk-ant-test'
    assert log[0]['headers']['anthropic-version'] == '2023-06-01'
    assert log[0]['body']['system'] == 'be brief'
    assert log[0]['body']['stream'] is True
    assert log[1]['headers']['authorization'] == OH['Authorization']
    assert log[1]['body']['temperature'] == 0.5
    assert log == fake.requests()
    call(fake, 'POST', '/v1/messages', b'raw text', AH)
    assert fake.requests()[-1]['body'] == 'raw text'

    st, _, raw = call(fake, 'POST', '/__script',
                      {'turns': [{'text': 'new'}, {'text': 'newer'}]})
    assert st == 200
    assert json.loads(call(fake, 'GET', '/__state')[2]) == {
        'remaining_turns': 2, 'requests': 3}
    assert json.loads(anth(fake)[2])['content'][0]['text'] == 'new'
    st, _, raw = call(fake, 'POST', '/__script', {'turns': [{'txet': 1}]})
    assert st == 400 and 'txet' in json.loads(raw)['error']
    assert call(fake, 'POST', '/__reset')[0] == 200
    assert fake.requests() == []
    assert fake.state() == {'remaining_turns': 0, 'requests': 0}


# -------------------------------------------------------------- embeddings

def embed(fake, body, headers=OH, timeout=5):
    return call(fake, 'POST', '/v1/embeddings', body, headers, timeout)


def test_embeddings(fake):
    st, h, raw = embed(fake, {'model': 'e', 'input': 'the cat sat'})
    assert st == 200 and h['content-type'] == 'application/json'
    assert 'x-request-id' in h
    a = json.loads(raw)
    assert a['object'] == 'list' and a['model'] == 'e'
    assert [d['index'] for d in a['data']] == [0]
    assert len(a['data'][0]['embedding']) == 64
    assert a['usage'] == {'prompt_tokens': 3, 'total_tokens': 3}
    # A list: one vector per text, in order; shared words, near vectors.
    a = json.loads(embed(fake, {'model': 'e', 'input': [
        'the cat sat', 'The cat, sat!', 'dogs bark']})[2])
    v = [d['embedding'] for d in a['data']]
    assert [d['index'] for d in a['data']] == [0, 1, 2]
    assert v[0] == v[1] and v[0] != v[2]
    # Same text, same vector, from one request to the next.
    b = json.loads(embed(fake, {'model': 'e', 'input': 'dogs bark'})[2])
    assert b['data'][0]['embedding'] == v[2]
    for bad in ({'input': 'x'}, {'model': 'e'}, {'model': 'e', 'input': []},
                {'model': 'e', 'input': [1]}):
        st, _, raw = embed(fake, bad)
        assert st == 400 and 'input' in json.loads(raw)['error']['message']
    assert embed(fake, {'model': 'e', 'input': 'x'},
                 headers={'content-type': 'application/json'})[0] == 401
    assert [r['path'] for r in fake.requests()] == ['/v1/embeddings'] * 8


def test_embeddings_script(fake):
    fake.load({'embeddings': [
        {'dim': 8, 'usage': {'prompt_tokens': 42}},
        {'fault': {'status': 500, 'times': 2}},
        {'fault': {'status': 429, 'retry_after': 1}, 'dim': 5},
        {'fault': {'malformed_json': True}},
        {'fault': {'truncate_after': 10}}],
        'turns': [{'text': 'chat is apart'}]})
    a = json.loads(embed(fake, {'model': 'e', 'input': ['a b', 'c']})[2])
    assert [len(d['embedding']) for d in a['data']] == [8, 8]
    assert a['usage'] == {'prompt_tokens': 42, 'total_tokens': 3}
    # Chat turns are a queue of their own.
    assert json.loads(oai(fake)[2])['choices'][0]['message']['content'] \
        == 'chat is apart'

    def dim():
        st, _, raw = embed(fake, {'model': 'e', 'input': 'x'})
        assert st == 200
        return len(json.loads(raw)['data'][0]['embedding'])

    # A failing fault fails `times` requests; the next gets the turn.
    for _ in range(2):
        st, _, raw = embed(fake, {'model': 'e', 'input': 'x'})
        assert st == 500
        assert json.loads(raw)['error']['type'] == 'server_error'
    assert dim() == 64
    st, h, raw = embed(fake, {'model': 'e', 'input': 'x'})
    assert st == 429 and h['retry-after'] == '1'
    assert dim() == 5
    st, _, raw = embed(fake, {'model': 'e', 'input': 'x'})
    assert st == 200
    with pytest.raises(ValueError):
        json.loads(raw)
    assert dim() == 64
    c, r = request(fake, 'POST', '/v1/embeddings',
                   {'model': 'e', 'input': 'x'}, OH)
    assert r.status == 200
    with pytest.raises(http.client.IncompleteRead):
        r.read()
    c.close()
    assert dim() == 64                # the truncated turn's
    assert dim() == 64                # the queue is empty
    fake.load({'embeddings': [{'dim': 3}]})
    call(fake, 'POST', '/__reset')
    a = json.loads(embed(fake, {'model': 'e', 'input': 'x'})[2])
    assert len(a['data'][0]['embedding']) == 64  # reset empties it too


def test_embeddings_hang(fake):
    fake.load({'embeddings': [{'fault': {'hang': True}}]})
    c, r = request(fake, 'POST', '/v1/embeddings',
                   {'model': 'e', 'input': 'x'}, OH, timeout=0.4)
    assert r.status == 200            # headers came, the body never does
    with pytest.raises(socket.timeout):
        r.read()
    c.close()
    st, _, raw = embed(fake, {'model': 'e', 'input': 'x'})
    assert st == 200 and json.loads(raw)['data'][0]['index'] == 0


def test_script_validation():
    check_script(None)
    for bad in ({'turn': []}, {'turns': [{'fault': {}}]},
                {'turns': [{'fault': {'status': 429, 'stall_ms': 5}}]},
                {'turns': [{'fault': {'stall_ms': 5, 'times': 2}}]},
                {'turns': [{'tool_calls': [{'arguments': {}}]}]},
                {'turns': [{'usage': {'input_tokens': -1}}]},
                {'models': 'x'}, {'embeddings': {}},
                {'embeddings': [{'dim': 0}]},
                {'embeddings': [{'text': 'x'}]},
                {'embeddings': [{'usage': {'input_tokens': 1}}]},
                {'embeddings': [{'fault': {'hang': 1}}]}):
        with pytest.raises(ValueError):
            check_script(bad)


def test_example_scripts_are_valid():
    paths = glob.glob(os.path.join(HERE, 'scripts', '*.json'))
    assert paths
    for p in paths:
        with open(p) as f:
            check_script(json.load(f))


# -------------------------------------------------------------------- CLI

def test_cli(tmp_path):
    script = tmp_path / 's.json'
    script.write_text(json.dumps({'turns': [
        {'text': 'from cli'},
        {'text': 'x' * 200, 'delay_ms': 20}]}))
    p = subprocess.Popen([sys.executable, os.path.join(HERE, 'fake_llm.py'),
                          '--port', '0', '--script', str(script)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert select.select([p.stdout], [], [], 10)[0], 'no listening line'
        line = p.stdout.readline()
        assert line.startswith('listening on 127.0.0.1:')
        port = int(line.strip().rsplit(':', 1)[1])

        class At:
            pass
        at = At()
        at.port = port
        st, _, raw = anth(at)
        assert json.loads(raw)['content'][0]['text'] == 'from cli'
        # a client that walks away mid-stream must not upset the server
        c, r = request(at, 'POST', '/v1/messages', abody(stream=True), AH)
        r.read(100)
        c.close()
        r.close()
        time.sleep(0.2)
        assert anth(at)[0] == 200
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0
    assert out == '' and err == ''


def test_cli_bad_script(tmp_path):
    script = tmp_path / 's.json'
    script.write_text('{"turns": [{"nope": 1}]}')
    r = subprocess.run([sys.executable, os.path.join(HERE, 'fake_llm.py'),
                        '--script', str(script)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and 'nope' in r.stderr and r.stdout == ''


def test_rate_limit_window_and_stats():
    import http.client
    with FakeLLM({'rate_limit': {'requests': 2, 'window_s': 30},
                  'turns': [{'text': 'a'}, {'text': 'b'}, {'text': 'c'}]}) \
            as fake:
        got = []
        for _ in range(3):
            c = http.client.HTTPConnection('127.0.0.1', fake.port,
                                           timeout=10)
            c.request('POST', '/v1/chat/completions',
                      json.dumps({'model': 'm', 'messages': [
                          {'role': 'user', 'content': 'hi'}]}),
                      {'Authorization': 'Bearer k',
                       'Content-Type': 'application/json'})
            r = c.getresponse()
            got.append((r.status, r.getheader('Retry-After'),
                        json.loads(r.read())))
            c.close()
        assert [g[0] for g in got] == [200, 200, 429]
        assert 1 <= int(got[2][1]) <= 30
        assert got[2][2]['error']['code'] == 'rate_limit_exceeded'
        assert fake.state()['remaining_turns'] == 1   # a 429 takes none
        # A handler leaves just after its answer is written: wait for it.
        deadline = time.monotonic() + 10
        while fake.load_stats()['in_flight'] and time.monotonic() < deadline:
            time.sleep(0.01)
        st = fake.load_stats()
        assert st['in_flight'] == 0 and st['rate_limited'] == 1
        assert 1 <= st['max_in_flight'] <= 2
    for bad in ({'requests': 0, 'window_s': 1}, {'requests': 1},
                {'requests': 1, 'window_s': 0}, [1],
                {'requests': 1, 'window_s': 1, 'headers': 1},
                {'requests': 1, 'window_s': 1, 'extra': True}):
        with pytest.raises(ValueError):
            FakeLLM({'rate_limit': bad})


def test_rate_limit_headers():
    """With "headers": every answer of either API says the limit per
    minute, what is left of the window and when it ends; 429s too."""
    import http.client
    with FakeLLM({'rate_limit': {'requests': 2, 'window_s': 30,
                                 'headers': True}}) as fake:
        got = []
        for path, hdrs in (('/v1/chat/completions',
                            {'Authorization': 'Bearer k'}),
                           ('/v1/messages', {'x-api-key': 'k',
                                             'anthropic-version': 'v'}),
                           ('/v1/chat/completions',
                            {'Authorization': 'Bearer k'}),
                           ('/v1/messages', {'x-api-key': 'k',
                                             'anthropic-version': 'v'})):
            c = http.client.HTTPConnection('127.0.0.1', fake.port,
                                           timeout=10)
            c.request('POST', path, json.dumps(
                {'model': 'm', 'max_tokens': 5,
                 'messages': [{'role': 'user', 'content': 'hi'}]}),
                dict(hdrs, **{'Content-Type': 'application/json'}))
            r = c.getresponse()
            r.read()
            got.append((r.status, {k.lower(): v for k, v in
                                   r.getheaders()}))
            c.close()
    assert [g[0] for g in got] == [200, 200, 429, 429]
    h = got[0][1]
    assert h['x-ratelimit-limit-requests'] == '4'      # 2 per 30 s
    assert h['x-ratelimit-remaining-requests'] == '1'
    assert re.fullmatch(r'\d+\.\d{3}s', h['x-ratelimit-reset-requests'])
    assert 29 <= float(h['x-ratelimit-reset-requests'][:-1]) <= 30
    h = got[1][1]
    assert h['anthropic-ratelimit-requests-limit'] == '4'
    assert h['anthropic-ratelimit-requests-remaining'] == '0'
    reset = datetime.datetime.strptime(
        h['anthropic-ratelimit-requests-reset'], '%Y-%m-%dT%H:%M:%S.%fZ')
    left = reset.replace(tzinfo=datetime.timezone.utc).timestamp() - \
        time.time()
    assert 28 <= left <= 30.5
    assert got[2][1]['x-ratelimit-remaining-requests'] == '0'
    assert 'retry-after' in got[2][1]
    assert got[3][1]['anthropic-ratelimit-requests-remaining'] == '0'
    # Without "headers", none of them.
    with FakeLLM({'rate_limit': {'requests': 2, 'window_s': 30}}) as fake:
        c = http.client.HTTPConnection('127.0.0.1', fake.port, timeout=10)
        c.request('POST', '/v1/chat/completions', json.dumps(
            {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}),
            {'Authorization': 'Bearer k'})
        r = c.getresponse()
        r.read()
        assert r.status == 200
        assert r.getheader('x-ratelimit-remaining-requests') is None
        c.close()
