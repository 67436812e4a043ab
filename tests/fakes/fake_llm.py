#!/usr/bin/python3
"""Fake LLM providers for Oxios's tests, on 127.0.0.1, standard library only.

Speaks the real wire formats of the Anthropic Messages API
(POST /v1/messages, SSE streaming) and the OpenAI Chat Completions API
(POST /v1/chat/completions, "data:" streaming), plus GET /v1/models in
both shapes and OpenAI's POST /v1/embeddings.  Answers come from a script:
a queue of turns shared by both chat APIs, each of which may carry a fault
(429, 5xx, stall, hang, truncated stream, malformed event, mid-stream
error event), and a queue of its own for embeddings.

Run:     /usr/bin/python3 tests/fakes/fake_llm.py --port 0 [--script F.json]
         prints "listening on 127.0.0.1:PORT", serves until SIGTERM/SIGINT.
Import:  from fake_llm import FakeLLM
         fake = FakeLLM(script).start(); fake.url; fake.requests(); fake.stop()

The script format, the faults and the introspection routes (/__requests,
/__reset, /__script, /__state) are described in tests/fakes/README.md.
"""
import argparse
import copy
import datetime
import json
import math
import random
import select
import signal
import socket
import string
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_MODELS = ['claude-sonnet-4-5', 'gpt-4o-mini']
EXHAUSTED_TURN = {'text': '(fake: no more turns)'}
MAX_BODY = 32 << 20          # request bodies above this get 413
EMBED_DIM = 64               # dimension of the fake embeddings
MODEL_CREATED = 1700000000   # fixed, so listings are reproducible

SCRIPT_KEYS = {'api_key', 'require_key', 'models', 'turns', 'embeddings',
               'rate_limit'}
RATE_LIMIT_KEYS = {'requests', 'window_s', 'headers'}
EMBED_TURN_KEYS = {'dim', 'usage', 'fault'}
EMBED_USAGE_KEYS = {'prompt_tokens', 'total_tokens'}
TURN_KEYS = {'text', 'tool_calls', 'thinking', 'usage', 'stop_reason',
             'stop_sequence', 'delay_ms', 'chunk_bytes', 'fault'}
TOOL_CALL_KEYS = {'id', 'name', 'arguments'}
USAGE_KEYS = {'input_tokens', 'output_tokens', 'cache_creation_input_tokens',
              'cache_read_input_tokens'}
FAULT_KEYS = {'status', 'retry_after', 'message', 'error_type',
              'context_overflow', 'stall_ms', 'hang', 'truncate_after',
              'malformed_json', 'error_event', 'at', 'times'}

# Stop reasons in both vocabularies; unknown values pass through verbatim.
ANTH_TO_OAI = {'end_turn': 'stop', 'tool_use': 'tool_calls',
               'max_tokens': 'length', 'stop_sequence': 'stop',
               'refusal': 'content_filter', 'pause_turn': 'stop'}
OAI_TO_ANTH = {'stop': 'end_turn', 'tool_calls': 'tool_use',
               'length': 'max_tokens', 'content_filter': 'refusal'}

ANTH_ERROR_TYPES = {400: 'invalid_request_error', 401: 'authentication_error',
                    403: 'permission_error', 404: 'not_found_error',
                    413: 'request_too_large', 429: 'rate_limit_error',
                    500: 'api_error', 529: 'overloaded_error'}
ANTH_MESSAGES = {400: 'fake bad request', 401: 'invalid x-api-key',
                 403: 'Your API key does not have permission to use the '
                      'specified resource.',
                 404: 'Not Found', 413: 'Request exceeds the maximum size',
                 429: 'This request would exceed the rate limit for your '
                      'organization (fake).',
                 500: 'Internal server error', 529: 'Overloaded'}
OAI_MESSAGES = {400: 'fake bad request',
                401: 'Incorrect API key provided.',
                403: 'You are not allowed to access this resource.',
                404: 'Not Found',
                429: 'Rate limit reached for requests (fake).',
                500: 'The server had an error while processing your '
                     'request. Sorry about that!',
                503: 'The engine is currently overloaded, please try again '
                     'later.',
                529: 'The engine is currently overloaded, please try again '
                     'later.'}

_ALNUM = string.ascii_letters + string.digits
_ids = random.Random()
_ids_lock = threading.Lock()


def _rid(prefix, n):
    with _ids_lock:
        return prefix + ''.join(_ids.choice(_ALNUM) for _ in range(n))


def _dumps(obj):
    """Compact JSON with raw UTF-8, as both providers send it."""
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)


def _rfc3339(epoch):
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _rfc3339_ms(epoch):
    t = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return t.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (t.microsecond //
                                                         1000)


def ratelimit_headers(flavour, limit_rpm, remaining, reset_s):
    """The requests' rate-limit headers of one answer, in the provider's
    words: the limit per minute, what is left of the window, and when it
    ends (OpenAI: a duration such as "0.834s"; Anthropic: an RFC 3339
    time)."""
    if flavour == 'anthropic':
        return [('anthropic-ratelimit-requests-limit', str(limit_rpm)),
                ('anthropic-ratelimit-requests-remaining', str(remaining)),
                ('anthropic-ratelimit-requests-reset',
                 _rfc3339_ms(time.time() + reset_s))]
    return [('x-ratelimit-limit-requests', str(limit_rpm)),
            ('x-ratelimit-remaining-requests', str(remaining)),
            ('x-ratelimit-reset-requests', '%.3fs' % reset_s)]


def _mask_key(key):
    if len(key) <= 8:
        return '*' * len(key)
    return key[:3] + '*' * (len(key) - 7) + key[-4:]


# --------------------------------------------------------------- the script

def _fail(where, msg):
    raise ValueError('%s: %s' % (where, msg))


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fault_kind(fault):
    """'status', 'stall', 'hang', 'truncate', 'malformed' or 'error_event'."""
    if fault.get('hang'):
        return 'hang'
    for key, kind in (('status', 'status'), ('truncate_after', 'truncate'),
                      ('malformed_json', 'malformed'),
                      ('error_event', 'error_event'), ('stall_ms', 'stall')):
        if key in fault:
            return kind
    return None


def _check_fault(f, where):
    if not isinstance(f, dict):
        _fail(where, 'must be an object')
    for k in f:
        if k not in FAULT_KEYS:
            _fail(where, 'unknown key %r' % k)
    kinds = [k for k in ('status', 'truncate_after', 'malformed_json',
                         'error_event') if k in f]
    if 'stall_ms' in f or f.get('hang'):
        kinds.append('stall_ms/hang')
    if len(kinds) != 1:
        _fail(where, 'needs exactly one of status, stall_ms/hang, '
              'truncate_after, malformed_json, error_event (got %s)'
              % (', '.join(kinds) or 'none'))
    if 'status' in f and not (_is_int(f['status'])
                              and 400 <= f['status'] <= 599):
        _fail(where, 'status must be an integer 400..599')
    if 'retry_after' in f and not (_is_num(f['retry_after'])
                                   and f['retry_after'] >= 0):
        _fail(where, 'retry_after must be a number >= 0')
    for k in ('message', 'error_type'):
        if k in f and not isinstance(f[k], str):
            _fail(where, '%s must be a string' % k)
    for k in ('context_overflow', 'hang', 'malformed_json', 'error_event'):
        if k in f and not isinstance(f[k], bool):
            _fail(where, '%s must be true or false' % k)
    if 'stall_ms' in f and not (_is_num(f['stall_ms']) and f['stall_ms'] >= 0):
        _fail(where, 'stall_ms must be a number >= 0')
    for k in ('truncate_after', 'at'):
        if k in f and not (_is_int(f[k]) and f[k] >= 0):
            _fail(where, '%s must be an integer >= 0' % k)
    if 'times' in f:
        if not (_is_int(f['times']) and f['times'] >= 1):
            _fail(where, 'times must be an integer >= 1')
        if fault_kind(f) == 'stall':
            _fail(where, 'times makes no sense on a stall without hang '
                  '(a stall delays the request that consumes the turn)')


def _check_turn(t, where):
    if not isinstance(t, dict):
        _fail(where, 'must be an object')
    for k in t:
        if k not in TURN_KEYS:
            _fail(where, 'unknown key %r' % k)
    text = t.get('text', '')
    if not (isinstance(text, str) or (isinstance(text, list) and all(
            isinstance(p, str) for p in text))):
        _fail(where, 'text must be a string or a list of strings')
    for k in ('thinking', 'stop_reason', 'stop_sequence'):
        if k in t and not isinstance(t[k], str):
            _fail(where, '%s must be a string' % k)
    calls = t.get('tool_calls', [])
    if not isinstance(calls, list):
        _fail(where, 'tool_calls must be a list')
    for i, c in enumerate(calls):
        w = '%s.tool_calls[%d]' % (where, i)
        if not isinstance(c, dict):
            _fail(w, 'must be an object')
        for k in c:
            if k not in TOOL_CALL_KEYS:
                _fail(w, 'unknown key %r' % k)
        if not isinstance(c.get('name'), str) or not c['name']:
            _fail(w, 'name must be a non-empty string')
        if 'id' in c and not isinstance(c['id'], str):
            _fail(w, 'id must be a string')
        if not isinstance(c.get('arguments', {}), (dict, str)):
            _fail(w, 'arguments must be an object (or a string of raw JSON)')
    usage = t.get('usage', {})
    if not isinstance(usage, dict):
        _fail(where, 'usage must be an object')
    for k, v in usage.items():
        if k not in USAGE_KEYS:
            _fail(where + '.usage', 'unknown key %r' % k)
        if not (_is_int(v) and v >= 0):
            _fail(where + '.usage', '%s must be an integer >= 0' % k)
    if 'delay_ms' in t and not (_is_num(t['delay_ms']) and t['delay_ms'] >= 0):
        _fail(where, 'delay_ms must be a number >= 0')
    if 'chunk_bytes' in t and not (_is_int(t['chunk_bytes'])
                                   and t['chunk_bytes'] >= 1):
        _fail(where, 'chunk_bytes must be an integer >= 1')
    if 'fault' in t:
        _check_fault(t['fault'], where + '.fault')


def _check_embed_turn(t, where):
    if not isinstance(t, dict):
        _fail(where, 'must be an object')
    for k in t:
        if k not in EMBED_TURN_KEYS:
            _fail(where, 'unknown key %r' % k)
    if 'dim' in t and not (_is_int(t['dim']) and 1 <= t['dim'] <= 8192):
        _fail(where, 'dim must be an integer 1..8192')
    usage = t.get('usage', {})
    if not isinstance(usage, dict):
        _fail(where, 'usage must be an object')
    for k, v in usage.items():
        if k not in EMBED_USAGE_KEYS:
            _fail(where + '.usage', 'unknown key %r' % k)
        if not (_is_int(v) and v >= 0):
            _fail(where + '.usage', '%s must be an integer >= 0' % k)
    if 'fault' in t:
        _check_fault(t['fault'], where + '.fault')


def check_script(script):
    """Validate a script; return a normalised deep copy or raise ValueError."""
    if script is None:
        script = {}
    if not isinstance(script, dict):
        _fail('script', 'must be a JSON object')
    for k in script:
        if k not in SCRIPT_KEYS:
            _fail('script', 'unknown key %r' % k)
    s = copy.deepcopy(script)
    if s.get('api_key') is not None and (not isinstance(s['api_key'], str)
                                         or not s['api_key']):
        _fail('script', 'api_key must be a non-empty string')
    if not isinstance(s.get('require_key', True), bool):
        _fail('script', 'require_key must be true or false')
    models = s.get('models', DEFAULT_MODELS)
    if not isinstance(models, list):
        _fail('script', 'models must be a list')
    norm = []
    for i, m in enumerate(models):
        if isinstance(m, str):
            m = {'id': m}
        if not isinstance(m, dict) or not isinstance(m.get('id'), str):
            _fail('script.models[%d]' % i, 'must be a name or {"id": ...}')
        m.setdefault('display_name', m['id'])
        m.setdefault('created', MODEL_CREATED)
        norm.append(m)
    s['models'] = norm
    turns = s.get('turns', [])
    if not isinstance(turns, list):
        _fail('script', 'turns must be a list')
    for i, t in enumerate(turns):
        _check_turn(t, 'script.turns[%d]' % i)
    s['turns'] = turns
    embeds = s.get('embeddings', [])
    if not isinstance(embeds, list):
        _fail('script', 'embeddings must be a list')
    for i, t in enumerate(embeds):
        _check_embed_turn(t, 'script.embeddings[%d]' % i)
    s['embeddings'] = embeds
    rl = s.get('rate_limit')
    if rl is not None:
        if not isinstance(rl, dict) or not set(rl) <= RATE_LIMIT_KEYS or \
                'requests' not in rl or 'window_s' not in rl or \
                not _is_int(rl['requests']) or rl['requests'] < 1 or \
                not _is_num(rl['window_s']) or rl['window_s'] <= 0 or \
                not isinstance(rl.get('headers', False), bool):
            _fail('script.rate_limit',
                  'must be {"requests": N >= 1, "window_s": W > 0, '
                  '"headers": false | true}')
    return s


# ------------------------------------------------------------ the answer

def _split(s, rng, hi, cuts=()):
    """Cut s into small pieces (1..hi characters) plus the given cut points."""
    points = set(c for c in cuts if 0 < c < len(s))
    i = 0
    while True:
        i += rng.randint(1, hi)
        if i >= len(s):
            break
        points.add(i)
    out, prev = [], 0
    for c in sorted(points):
        out.append(s[prev:c])
        prev = c
    if prev < len(s):
        out.append(s[prev:])
    return out


def _text_pieces(text, rng):
    if isinstance(text, list):
        return [p for p in text]
    cuts = set()
    for i, ch in enumerate(text):   # every non-ASCII character on its own
        if ord(ch) > 127:
            cuts.update((i, i + 1))
    return _split(text, rng, 5, cuts)


def _json_pieces(text, rng):
    cuts = set()
    for i, ch in enumerate(text):
        if ch == '\\':               # inside an escape sequence
            cuts.add(i + 1)
        elif ch == '"':              # just inside a string
            cuts.add(i + 1)
        elif ord(ch) > 127:
            cuts.update((i, i + 1))
    return _split(text, rng, 7, cuts)


class Answer:
    """What one turn says, independent of the API that asks."""

    def __init__(self, turn, seq, req):
        self.turn = turn
        self.rng = random.Random(seq)
        text = turn.get('text', '')
        self.text = ''.join(text) if isinstance(text, list) else text
        self.text_pieces = _text_pieces(text, self.rng) if self.text else []
        self.thinking = turn.get('thinking', '')
        self.calls = []
        for c in turn.get('tool_calls', []):
            args = c.get('arguments', {})
            if isinstance(args, str):
                raw = args
                try:
                    obj = json.loads(raw)
                except ValueError:
                    obj = {}
            else:
                raw, obj = _dumps(args), args
            self.calls.append({'id': c.get('id'), 'name': c['name'],
                               'raw': raw, 'input': obj,
                               'pieces': _json_pieces(raw, self.rng)})
        usage = dict(turn.get('usage', {}))
        if 'input_tokens' not in usage:
            parts = [req.get(k) for k in ('system', 'messages', 'tools')]
            usage['input_tokens'] = max(1, len(_dumps(parts)) // 4)
        if 'output_tokens' not in usage:
            n = len(self.text) + len(self.thinking) + sum(
                len(c['raw']) + len(c['name']) for c in self.calls)
            usage['output_tokens'] = max(1, n // 4)
        usage.setdefault('cache_creation_input_tokens', 0)
        usage.setdefault('cache_read_input_tokens', 0)
        self.usage = usage
        self.stop_sequence = None
        stop = turn.get('stop_reason')
        if stop is None and 'stop_sequence' in turn:
            stop = 'stop_sequence'
        if stop is None:
            stop = 'tool_use' if self.calls else 'end_turn'
        self.stop_anth = OAI_TO_ANTH.get(stop, stop)
        self.stop_oai = ANTH_TO_OAI.get(stop, stop)
        if self.stop_anth == 'stop_sequence':
            seqs = req.get('stop_sequences') or req.get('stop') or ['']
            if isinstance(seqs, str):
                seqs = [seqs]
            self.stop_sequence = turn.get('stop_sequence', seqs[0])


# --- Anthropic

def anthropic_message(ans, model):
    content = []
    if ans.thinking:
        content.append({'type': 'thinking', 'thinking': ans.thinking,
                        'signature': 'fake-signature'})
    if ans.text or not ans.calls:
        content.append({'type': 'text', 'text': ans.text})
    for c in ans.calls:
        content.append({'type': 'tool_use',
                        'id': c['id'] or _rid('toolu_01', 22),
                        'name': c['name'], 'input': c['input']})
    u = ans.usage
    return {'id': _rid('msg_01', 22), 'type': 'message',
            'role': 'assistant', 'model': model, 'content': content,
            'stop_reason': ans.stop_anth, 'stop_sequence': ans.stop_sequence,
            'usage': {'input_tokens': u['input_tokens'],
                      'cache_creation_input_tokens':
                          u['cache_creation_input_tokens'],
                      'cache_read_input_tokens': u['cache_read_input_tokens'],
                      'output_tokens': u['output_tokens']}}


def anthropic_events(ans, model):
    """[(event name, data object)] of one streamed message."""
    u = ans.usage
    ev = [('message_start', {'type': 'message_start', 'message': {
        'id': _rid('msg_01', 22), 'type': 'message', 'role': 'assistant',
        'model': model, 'content': [], 'stop_reason': None,
        'stop_sequence': None,
        'usage': {'input_tokens': u['input_tokens'],
                  'cache_creation_input_tokens':
                      u['cache_creation_input_tokens'],
                  'cache_read_input_tokens': u['cache_read_input_tokens'],
                  'output_tokens': 1}}}),
        ('ping', {'type': 'ping'})]
    index = 0

    def block(start, deltas):
        nonlocal index
        ev.append(('content_block_start', {'type': 'content_block_start',
                                           'index': index,
                                           'content_block': start}))
        for d in deltas:
            ev.append(('content_block_delta', {'type': 'content_block_delta',
                                               'index': index, 'delta': d}))
        ev.append(('content_block_stop', {'type': 'content_block_stop',
                                          'index': index}))
        index += 1

    if ans.thinking:
        pieces = _split(ans.thinking, ans.rng, 8)
        block({'type': 'thinking', 'thinking': ''},
              [{'type': 'thinking_delta', 'thinking': p} for p in pieces] +
              [{'type': 'signature_delta', 'signature': 'fake-signature'}])
    if ans.text or not ans.calls:
        block({'type': 'text', 'text': ''},
              [{'type': 'text_delta', 'text': p} for p in ans.text_pieces])
    for c in ans.calls:
        block({'type': 'tool_use', 'id': c['id'] or _rid('toolu_01', 22),
               'name': c['name'], 'input': {}},
              [{'type': 'input_json_delta', 'partial_json': p}
               for p in [''] + c['pieces']])
    ev.append(('message_delta', {'type': 'message_delta',
                                 'delta': {'stop_reason': ans.stop_anth,
                                           'stop_sequence': ans.stop_sequence},
                                 'usage': {'output_tokens':
                                           u['output_tokens']}}))
    ev.append(('message_stop', {'type': 'message_stop'}))
    return ev


def anthropic_error(status, message=None, etype=None):
    return {'type': 'error',
            'error': {'type': etype or ANTH_ERROR_TYPES.get(
                status, 'api_error' if status >= 500
                else 'invalid_request_error'),
                'message': message or ANTH_MESSAGES.get(status,
                                                        'fake error')},
            'request_id': _rid('req_01', 22)}


# --- OpenAI

def openai_completion(ans, model):
    msg = {'role': 'assistant',
           'content': ans.text if (ans.text or not ans.calls) else None,
           'refusal': None}
    if ans.calls:
        msg['tool_calls'] = [{'id': c['id'] or _rid('call_', 24),
                              'type': 'function',
                              'function': {'name': c['name'],
                                           'arguments': c['raw']}}
                             for c in ans.calls]
    return {'id': _rid('chatcmpl-', 29), 'object': 'chat.completion',
            'created': int(time.time()), 'model': model,
            'system_fingerprint': 'fp_fake',
            'choices': [{'index': 0, 'message': msg, 'logprobs': None,
                         'finish_reason': ans.stop_oai}],
            'usage': openai_usage(ans)}


def openai_usage(ans):
    u = ans.usage
    return {'prompt_tokens': u['input_tokens'],
            'completion_tokens': u['output_tokens'],
            'total_tokens': u['input_tokens'] + u['output_tokens'],
            'prompt_tokens_details': {
                'cached_tokens': u['cache_read_input_tokens']},
            'completion_tokens_details': {'reasoning_tokens': 0}}


def openai_chunks(ans, model, include_usage):
    """[(None, chunk object)] then (None, '[DONE]')."""
    cid, created = _rid('chatcmpl-', 29), int(time.time())

    def chunk(delta, finish=None):
        c = {'id': cid, 'object': 'chat.completion.chunk',
             'created': created, 'model': model,
             'system_fingerprint': 'fp_fake',
             'choices': [{'index': 0, 'delta': delta, 'logprobs': None,
                          'finish_reason': finish}]}
        if include_usage:
            c['usage'] = None
        return (None, c)

    ev = [chunk({'role': 'assistant', 'content': '', 'refusal': None})]
    for p in ans.text_pieces:
        ev.append(chunk({'content': p}))
    # Each call: a header chunk (id, name, empty arguments), then argument
    # fragments; call i joins i rounds late, so two calls interleave.
    seqs = []
    for i, c in enumerate(ans.calls):
        s = [{'index': i, 'id': c['id'] or _rid('call_', 24),
              'type': 'function',
              'function': {'name': c['name'], 'arguments': ''}}]
        s += [{'index': i, 'function': {'arguments': p}}
              for p in c['pieces']]
        seqs.append(s)
    longest = max((len(s) for s in seqs), default=0)
    for r in range(longest + len(seqs)):
        for i, s in enumerate(seqs):
            k = r - i
            if 0 <= k < len(s):
                ev.append(chunk({'tool_calls': [s[k]]}))
    ev.append(chunk({}, ans.stop_oai))
    if include_usage:
        ev.append((None, {'id': cid, 'object': 'chat.completion.chunk',
                          'created': created, 'model': model,
                          'system_fingerprint': 'fp_fake', 'choices': [],
                          'usage': openai_usage(ans)}))
    ev.append((None, '[DONE]'))
    return ev


def openai_error(status, message=None, etype=None, code=None, param=None):
    if etype is None:
        etype = ('requests' if status == 429 else
                 'server_error' if status >= 500 else 'invalid_request_error')
    if code is None:
        code = {401: 'invalid_api_key', 429: 'rate_limit_exceeded'}.get(status)
    return {'error': {'message': message or OAI_MESSAGES.get(status,
                                                             'fake error'),
                      'type': etype, 'param': param, 'code': code}}


def encode_event(name, data):
    text = data if isinstance(data, str) else _dumps(data)
    if name is None:
        return ('data: %s\n\n' % text).encode('utf-8')
    return ('event: %s\ndata: %s\n\n' % (name, text)).encode('utf-8')


def break_event(name, data):
    """The same event with its data cut in half: never valid JSON."""
    text = data if isinstance(data, str) else _dumps(data)
    return encode_event(name, text[:max(1, len(text) // 2)])


# ---------------------------------------------------------------- HTTP

class _Gone(Exception):
    """The client went away or the server is stopping."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'fake-llm/1'
    sys_version = ''
    timeout = 300                      # idle keep-alive connections

    # -- plumbing

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write('fake_llm: %s\n' % (fmt % args))

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (_Gone, OSError):
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _write(self, data):
        try:
            self.wfile.write(data)
        except OSError:
            raise _Gone()

    def _pause(self, ms):
        """Sleep ms (math.inf: until the end); _Gone if the client left."""
        end = time.monotonic() + ms / 1000.0
        stopping = self.server.stopping
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if stopping.wait(min(0.05, left)):
                raise _Gone()
            try:
                r, _, _ = select.select([self.connection], [], [], 0)
                if r and not self.connection.recv(1, socket.MSG_PEEK):
                    raise _Gone()
            except (OSError, ValueError):
                raise _Gone()

    def _read_body(self):
        te = self.headers.get('transfer-encoding', '').lower()
        if 'chunked' in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise _Gone()
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n',
                                                              b''):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    return None
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get('content-length') or 0)
        if n > MAX_BODY:
            return None
        return self.rfile.read(n) if n > 0 else b''

    def _send_json(self, status, obj, headers=()):
        data = _dumps(obj).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self._write(data)

    def _flavour(self, path):
        h = self.headers
        if path.startswith('/v1/messages') or 'x-api-key' in h or \
                'anthropic-version' in h:
            return 'anthropic'
        return 'openai'

    def _error(self, flavour, status, message=None, etype=None, code=None,
               param=None, extra=()):
        if flavour == 'anthropic':
            body = anthropic_error(status, message, etype)
            headers = [('request-id', body['request_id'])]
        else:
            body = openai_error(status, message, etype, code, param)
            headers = [('x-request-id', _rid('req_', 32))]
        self._send_json(status, body, headers + list(extra))

    # -- routing

    def _dispatch(self):
        fake = self.server.fake
        path = urllib.parse.urlsplit(self.path).path
        self._rl_extra = []
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            return self._error(self._flavour(path), 400,
                               'bad Content-Length or chunk size')
        if body is None:
            self.close_connection = True
            return self._error(self._flavour(path), 413,
                               'Request exceeds the maximum size')
        if path.startswith('/__'):
            return self._introspect(path, body)
        fake._log_request(self.command, self.path, self.headers, body)
        route = {'/v1/messages': ('POST', self._anthropic),
                 '/v1/chat/completions': ('POST', self._openai),
                 '/v1/embeddings': ('POST', self._embeddings),
                 '/v1/models': ('GET', self._models)}.get(path)
        if route is None and path.startswith('/v1/models/'):
            route = ('GET', self._models)
        if route is None:
            fl = self._flavour(path)
            msg = ('Not Found' if fl == 'anthropic' else
                   'Invalid URL (%s %s)' % (self.command, path))
            return self._error(fl, 404, msg)
        if self.command != route[0]:
            return self._error(self._flavour(path), 405,
                               'Method Not Allowed',
                               extra=[('Allow', route[0])])
        if route[1] in (self._anthropic, self._openai):
            return self._generation(route[1], path, body)
        route[1](path, body)

    def end_headers(self):
        # The rate limit's headers ride on every answer of a generation
        # request when the script asks for them.
        for k, v in getattr(self, '_rl_extra', ()):
            self.send_header(k, v)
        self._rl_extra = []
        super().end_headers()

    def _generation(self, handler, path, body):
        # Chat requests: counted in flight, and refused with 429 beyond
        # the script's rate_limit (N per fixed window of W seconds).
        fake = self.server.fake
        wait, window = fake._admit()
        if window is not None:
            self._rl_extra = ratelimit_headers(self._flavour(path), *window)
        if wait is not None:
            return self._error(self._flavour(path), 429,
                               extra=[('Retry-After',
                                       str(max(1, math.ceil(wait))))])
        try:
            handler(path, body)
        finally:
            fake._leave()

    def _introspect(self, path, body):
        fake = self.server.fake
        if path == '/__requests' and self.command == 'GET':
            return self._send_json(200, fake.requests())
        if path == '/__state' and self.command == 'GET':
            return self._send_json(200, fake.state())
        if path == '/__reset' and self.command == 'POST':
            fake.reset()
            return self._send_json(200, {'ok': True})
        if path == '/__script' and self.command == 'POST':
            try:
                fake.load(json.loads(body.decode('utf-8') or 'null'))
            except ValueError as e:
                return self._send_json(400, {'error': str(e)})
            return self._send_json(200, {'ok': True})
        return self._send_json(404, {'error': 'no such route %s %s'
                                              % (self.command, path)})

    def _parse(self, flavour, body):
        try:
            req = json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as e:
            msg = ('There was an error parsing the body: %s' % e
                   if flavour == 'anthropic' else
                   "We could not parse the JSON body of your request. (%s)"
                   % e)
            self._error(flavour, 400, msg)
            return None
        if not isinstance(req, dict):
            self._error(flavour, 400, 'the request body must be an object')
            return None
        return req

    # -- OpenAI Embeddings: deterministic vectors (words hashed into
    #    EMBED_DIM buckets), so that texts sharing words are similar.
    #    The script's "embeddings" queue may change the size, the usage,
    #    or fail requests (the faults of a non-stream answer).

    def _embeddings(self, path, body):
        if not self._openai_auth():
            return
        req = self._parse('openai', body)
        if req is None:
            return
        inp, model = req.get('input'), req.get('model')
        if isinstance(inp, str):
            inp = [inp]
        if (not isinstance(model, str) or not isinstance(inp, list) or
                not inp or not all(isinstance(x, str) for x in inp)):
            return self._error('openai', 400,
                               "'model' and 'input' (a string or a list "
                               "of strings) are required")
        turn, fault = self.server.fake._next_embedding()
        if self._fault_before('openai', fault, False):
            return
        dim = turn.get('dim', EMBED_DIM)
        data = []
        for i, text in enumerate(inp):
            vec = [0.0] * dim
            for w in text.lower().split():
                w = ''.join(c for c in w if c.isalnum())
                if w:
                    h = 0
                    for c in w.encode():
                        h = (h * 131 + c) % 1000003
                    vec[h % dim] += 1.0
            data.append({'object': 'embedding', 'index': i,
                         'embedding': vec})
        words = sum(len(t.split()) for t in inp)
        usage = {'prompt_tokens': max(1, words),
                 'total_tokens': max(1, words)}
        usage.update(turn.get('usage', {}))
        self._whole({'object': 'list', 'data': data, 'model': model,
                     'usage': usage}, fault,
                    [('x-request-id', _rid('req_', 32))])

    # -- Anthropic Messages

    def _anthropic_auth(self):
        key = self.headers.get('x-api-key')
        want = self.server.fake.api_key
        if not key and self.server.fake.require_key:
            self._error('anthropic', 401, 'x-api-key header is required')
            return False
        if key and want is not None and key != want:
            self._error('anthropic', 401, 'invalid x-api-key')
            return False
        if not self.headers.get('anthropic-version'):
            self._error('anthropic', 400,
                        'anthropic-version: header is required')
            return False
        return True

    def _anthropic(self, path, body):
        if not self._anthropic_auth():
            return
        req = self._parse('anthropic', body)
        if req is None:
            return
        problem = None
        if not isinstance(req.get('model'), str):
            problem = 'model: Field required'
        elif not _is_int(req.get('max_tokens')):
            problem = 'max_tokens: Field required'
        elif not isinstance(req.get('messages'), list):
            problem = 'messages: Field required'
        elif not req['messages']:
            problem = 'messages: at least one message is required'
        elif 'stream' in req and not isinstance(req['stream'], bool):
            problem = 'stream: Input should be a valid boolean'
        if problem:
            return self._error('anthropic', 400, problem)
        turn, fault, seq = self.server.fake._next_turn()
        ans = Answer(turn, seq, req)
        stream = req.get('stream') is True
        rid = _rid('req_01', 22)
        headers = [('request-id', rid)]
        if self._fault_before('anthropic', fault, stream):
            return
        if stream:
            self._stream(anthropic_events(ans, req['model']), turn, fault,
                         headers)
        else:
            self._whole(anthropic_message(ans, req['model']), fault,
                        headers)

    # -- OpenAI Chat Completions

    def _openai_auth(self):
        auth = self.headers.get('authorization', '')
        want = self.server.fake.api_key
        key = auth[7:].strip() if auth[:7].lower() == 'bearer ' else ''
        if not key and not auth and not self.server.fake.require_key:
            return True                 # a keyless OpenAI-compatible server
        if not key:
            self._error('openai', 401,
                        "You didn't provide an API key. You need to provide "
                        "your API key in an Authorization header using "
                        "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
            return False
        if want is not None and key != want:
            self._error('openai', 401, 'Incorrect API key provided: %s.'
                        % _mask_key(key))
            return False
        return True

    def _openai(self, path, body):
        if not self._openai_auth():
            return
        req = self._parse('openai', body)
        if req is None:
            return
        if not isinstance(req.get('model'), str):
            return self._error('openai', 400,
                               'you must provide a model parameter')
        if not isinstance(req.get('messages'), list):
            return self._error('openai', 400,
                               "Missing required parameter: 'messages'.",
                               param='messages',
                               code='missing_required_parameter')
        if not req['messages']:
            return self._error('openai', 400,
                               "Invalid 'messages': empty array. Expected "
                               "an array with minimum length 1, but got an "
                               "empty array instead.", param='messages',
                               code='empty_array')
        turn, fault, seq = self.server.fake._next_turn()
        ans = Answer(turn, seq, req)
        stream = req.get('stream') is True
        opts = req.get('stream_options')
        include_usage = isinstance(opts, dict) and \
            opts.get('include_usage') is True
        headers = [('x-request-id', _rid('req_', 32)),
                   ('openai-processing-ms', '1')]
        if self._fault_before('openai', fault, stream):
            return
        if stream:
            self._stream(openai_chunks(ans, req['model'], include_usage),
                         turn, fault, headers)
        else:
            self._whole(openai_completion(ans, req['model']), fault, headers)

    # -- models

    def _models(self, path, body):
        fake = self.server.fake
        models = fake.models_list()
        want = path[len('/v1/models/'):] if path != '/v1/models' else None
        if 'x-api-key' in self.headers or (
                'anthropic-version' in self.headers
                and 'authorization' not in self.headers):
            if not self._anthropic_auth():
                return
            shaped = [{'type': 'model', 'id': m['id'],
                       'display_name': m['display_name'],
                       'created_at': _rfc3339(m['created'])} for m in models]
            if want is not None:
                for m in shaped:
                    if m['id'] == want:
                        return self._send_json(200, m)
                return self._error('anthropic', 404, 'model: %s' % want,
                                   etype='not_found_error')
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            try:
                limit = max(1, min(1000, int(q.get('limit', ['20'])[0])))
            except ValueError:
                return self._error('anthropic', 400,
                                   'limit: Input should be a valid integer')
            ids = [m['id'] for m in shaped]
            start = 0
            if 'after_id' in q and q['after_id'][0] in ids:
                start = ids.index(q['after_id'][0]) + 1
            page = shaped[start:start + limit]
            return self._send_json(200, {
                'data': page, 'has_more': start + limit < len(shaped),
                'first_id': page[0]['id'] if page else None,
                'last_id': page[-1]['id'] if page else None})
        if not self._openai_auth():
            return
        shaped = [{'id': m['id'], 'object': 'model', 'created': m['created'],
                   'owned_by': 'fake'} for m in models]
        if want is not None:
            for m in shaped:
                if m['id'] == want:
                    return self._send_json(200, m)
            return self._error('openai', 404,
                               "The model '%s' does not exist" % want,
                               param='model', code='model_not_found')
        self._send_json(200, {'object': 'list', 'data': shaped})

    # -- faults and delivery

    def _fault_before(self, flavour, fault, stream):
        """Answer a fault that replaces the whole response; True if done."""
        if not fault:
            return False
        kind = fault_kind(fault)
        if kind == 'error_event' and not stream:
            status = 529 if flavour == 'anthropic' else 500
            self._error(flavour, status)
            return True
        if kind != 'status':
            return False
        status = fault['status']
        msg = fault.get('message')
        extra = []
        code = None
        param = None
        if fault.get('context_overflow'):
            if flavour == 'anthropic':
                msg = msg or ('prompt is too long: 250000 tokens > 200000 '
                              'maximum')
            else:
                msg = msg or ("This model's maximum context length is 128000 "
                              "tokens. However, your messages resulted in "
                              "250000 tokens. Please reduce the length of "
                              "the messages.")
                code, param = 'context_length_exceeded', 'messages'
        if status == 429:
            ra = fault.get('retry_after')
            if ra is not None:
                extra.append(('retry-after', str(int(math.ceil(ra)))))
            reset = ra if ra is not None else 1
            if flavour == 'anthropic':
                extra += [('anthropic-ratelimit-requests-limit', '50'),
                          ('anthropic-ratelimit-requests-remaining', '0'),
                          ('anthropic-ratelimit-requests-reset',
                           _rfc3339(math.ceil(time.time() + reset)))]
            else:
                extra += [('x-ratelimit-limit-requests', '500'),
                          ('x-ratelimit-remaining-requests', '0'),
                          ('x-ratelimit-reset-requests',
                           ('%g' % reset) + 's')]
        if flavour == 'anthropic':
            self._error(flavour, status, msg, etype=fault.get('error_type'),
                        extra=extra)
        else:
            self._error(flavour, status, msg, etype=fault.get('error_type'),
                        code=code, param=param, extra=extra)
        return True

    def _whole(self, obj, fault, headers):
        data = _dumps(obj).encode('utf-8')
        kind = fault_kind(fault) if fault else None
        if kind == 'malformed':
            data = data[:-1]
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if kind == 'hang':
            self._pause(math.inf)
        if kind == 'stall':
            self._pause(fault['stall_ms'])
        if kind == 'truncate':
            k = fault['truncate_after']
            if k >= len(data):
                k = len(data) // 2
            self._write(data[:k])
            self.close_connection = True
            return
        self._write(data)

    def _stream(self, events, turn, fault, headers):
        kind = fault_kind(fault) if fault else None
        delay = turn.get('delay_ms', 0)
        chunk_bytes = turn.get('chunk_bytes')
        first_delta = next((i for i, (name, data) in enumerate(events)
                            if name == 'content_block_delta' or
                            (name is None and i > 0)), 1)
        at = fault.get('at') if fault else None
        if at is None:
            at = first_delta
        at = min(at, len(events) - 1)
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream; charset=utf-8')
        self.send_header('Cache-Control', 'no-cache')
        self.send_header('Transfer-Encoding', 'chunked')
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        pending = bytearray()

        def put(data, flush):
            # One HTTP chunk per event; or, with chunk_bytes, chunks of at
            # most that many bytes that cut across events and also right
            # after the lead byte of every multi-byte UTF-8 character.
            nonlocal pending
            if not chunk_bytes:
                if data:
                    self._write(b'%x\r\n%s\r\n' % (len(data), data))
                return
            pending += data
            while len(pending) >= chunk_bytes or (flush and pending):
                n = min(chunk_bytes, len(pending))
                for p in range(n):
                    if pending[p] >= 0xC0:
                        n = p + 1
                        break
                piece = bytes(pending[:n])
                del pending[:n]
                self._write(b'%x\r\n%s\r\n' % (len(piece), piece))

        for i, (name, data) in enumerate(events):
            if kind == 'truncate' and i >= fault['truncate_after']:
                put(b'', True)
                self.close_connection = True   # no final chunk: cut off
                return
            if kind == 'error_event' and i == at:
                if name is None:
                    err = openai_error(500, etype='server_error')
                    put(encode_event(None, err), True)
                else:
                    err = anthropic_error(529, 'Overloaded')
                    del err['request_id']
                    put(encode_event('error', err), True)
                self._write(b'0\r\n\r\n')
                self.close_connection = True
                return
            if kind == 'malformed' and i == at:
                put(break_event(name, data), False)
            else:
                put(encode_event(name, data), False)
            if i == 0 and kind in ('stall', 'hang'):
                put(b'', True)
                self._pause(math.inf if kind == 'hang' else
                            fault['stall_ms'])
            elif delay and i < len(events) - 1:
                put(b'', True)
                self._pause(delay)
        put(b'', True)
        if kind == 'truncate':          # K >= the number of events
            self.close_connection = True
            return
        self._write(b'0\r\n\r\n')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, fake):
        self.fake = fake
        self.stopping = threading.Event()
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request_thread(self, request, client_address):
        with self.conns_lock:
            self.conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conns_lock:
                self.conns.discard(request)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (OSError, _Gone)):
            return                      # the client went away: not news
        super().handle_error(request, client_address)

    def drop_connections(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# ---------------------------------------------------------------- FakeLLM

class FakeLLM:
    """The fake, in-process.  FakeLLM(script).start() serves on a thread."""

    def __init__(self, script=None, host='127.0.0.1', port=0, verbose=False):
        self.host = host
        self._want_port = port
        self.verbose = verbose
        self._lock = threading.Lock()
        self._log = []
        self._queue = []
        self._embed_queue = []
        self._seq = 0
        self.api_key = None
        self.require_key = True
        self._models = []
        self._rate_limit = None
        self._window = (0.0, 0)     # (start, requests admitted in it)
        self._flight = {'in_flight': 0, 'max_in_flight': 0,
                        'rate_limited': 0}
        self._server = None
        self._thread = None
        self.load(script)

    # -- lifecycle

    def start(self):
        self._server = _Server((self.host, self._want_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
            name='fake_llm', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        srv, self._server = self._server, None
        if srv is None:
            return
        srv.stopping.set()
        srv.shutdown()
        srv.server_close()
        srv.drop_connections()
        self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    # -- script and state

    def load(self, script):
        """Replace the script (a dict, or a path to a JSON file)."""
        if isinstance(script, str):
            with open(script, encoding='utf-8') as f:
                script = json.load(f)
        s = check_script(script)
        with self._lock:
            self.api_key = s.get('api_key')
            self.require_key = s.get('require_key', True)
            self._models = s['models']
            self._queue = [self._entry(t) for t in s['turns']]
            self._embed_queue = [self._entry(t) for t in s['embeddings']]
            self._seq = 0
            self._rate_limit = s.get('rate_limit')
            self._window = (0.0, 0)

    @staticmethod
    def _entry(turn):
        fault = turn.get('fault')
        left = 0
        if fault and fault_kind(fault) != 'stall':
            left = fault.get('times', 1)
        return {'turn': turn, 'fault_left': left}

    def reset(self):
        """Forget the request log and the remaining turns."""
        with self._lock:
            self._log = []
            self._queue = []
            self._embed_queue = []

    def requests(self):
        with self._lock:
            return copy.deepcopy(self._log)

    def state(self):
        with self._lock:
            return {'remaining_turns': len(self._queue),
                    'requests': len(self._log)}

    def load_stats(self):
        """Chat requests in flight now, the most at once, and how many
        were refused by the rate limit, since start."""
        with self._lock:
            return dict(self._flight)

    def _admit(self):
        """A chat request arrives: (wait, window).  wait: None if it may
        go (now in flight), else the seconds until the rate limit's window
        ends.  window: (limit per minute, remaining, seconds to the
        window's end) when the script's rate_limit asks for headers, else
        None."""
        now = time.monotonic()
        with self._lock:
            rl = self._rate_limit
            window = None
            if rl is not None:
                start, n = self._window
                if now - start >= rl['window_s']:
                    start, n = now, 0
                left = start + rl['window_s'] - now
                if rl.get('headers'):
                    window = (int(round(rl['requests'] * 60.0 /
                                        rl['window_s'])),
                              max(0, rl['requests'] - n - 1), left)
                if n >= rl['requests']:
                    self._flight['rate_limited'] += 1
                    return left, window
                self._window = (start, n + 1)
            f = self._flight
            f['in_flight'] += 1
            f['max_in_flight'] = max(f['max_in_flight'], f['in_flight'])
            return None, window

    def _leave(self):
        with self._lock:
            self._flight['in_flight'] -= 1

    def models_list(self):
        with self._lock:
            return copy.deepcopy(self._models)

    def _log_request(self, method, path, headers, body):
        headers_d = {}
        for k, v in headers.items():
            k = k.lower()
            headers_d[k] = headers_d[k] + ', ' + v if k in headers_d else v
        text = body.decode('utf-8', 'replace')
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        with self._lock:
            self._log.append({'method': method, 'path': path,
                              'headers': headers_d, 'body': parsed,
                              'time': time.time()})

    def _next_turn(self):
        """(turn, fault or None, seq) for one generation request."""
        with self._lock:
            seq = self._seq
            if not self._queue:
                self._seq += 1
                return dict(EXHAUSTED_TURN), None, seq
            e = self._queue[0]
            fault = e['turn'].get('fault')
            if e['fault_left'] > 0:     # a failing fault: keep the turn
                e['fault_left'] -= 1
                return e['turn'], fault, seq
            self._queue.pop(0)
            self._seq += 1
            if fault and fault_kind(fault) == 'stall':
                return e['turn'], fault, seq
            return e['turn'], None, seq


    def _next_embedding(self):
        """(turn, fault or None) for one embeddings request: the queue's
        head, kept while its failing fault has requests left; {} once the
        queue is empty."""
        with self._lock:
            if not self._embed_queue:
                return {}, None
            e = self._embed_queue[0]
            fault = e['turn'].get('fault')
            if e['fault_left'] > 0:
                e['fault_left'] -= 1
                return e['turn'], fault
            self._embed_queue.pop(0)
            if fault and fault_kind(fault) == 'stall':
                return e['turn'], fault
            return e['turn'], None


# ---------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Fake Anthropic/OpenAI server for tests.')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--script', help='JSON script file')
    ap.add_argument('--verbose', action='store_true',
                    help='log each request to stderr')
    args = ap.parse_args(argv)
    script = None
    if args.script:
        try:
            with open(args.script, encoding='utf-8') as f:
                script = json.load(f)
            check_script(script)
        except (OSError, ValueError) as e:
            sys.stderr.write('fake_llm: %s: %s\n' % (args.script, e))
            return 2
    # Block the signals in every thread; the main thread waits for them.
    sigs = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        fake = FakeLLM(script, args.host, args.port, args.verbose).start()
    except OSError as e:
        sys.stderr.write('fake_llm: cannot listen on %s:%d: %s\n'
                         % (args.host, args.port, e))
        return 1
    print('listening on %s:%d' % (args.host, fake.port), flush=True)
    signal.sigwait(sigs)
    fake.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
