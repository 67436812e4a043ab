"""Bad tool arguments are the model's problem, not the run's.

A tool call whose arguments are not a JSON object, or do not pass the
tool's schema, or hold a NUL where the tool takes text, is answered with a
tool error naming what is wrong; the model gets it in its next request (one
request: no retries) and the run goes on.  Both wire formats, streamed.
See docs/security.md, "Bad tool arguments".
"""
import json
import os

import pytest


@pytest.fixture(params=['openai', 'anthropic'])
def agent(request, llm):
    llm.ws = os.path.join(llm.home, 'workspace')
    os.makedirs(llm.ws, exist_ok=True)
    with open(os.path.join(llm.ws, 'notes.txt'), 'w') as f:
        f.write('hello\n')
    model = ('openai/gpt-4.1' if request.param == 'openai'
             else 'anthropic/claude-sonnet-4-5')
    llm.write_config(
        '[engine]\nretry_base_ms = 20\ndefault_model = "%s"\n' % model)
    llm.wire = request.param
    return llm


def model_requests(agent):
    end = '/chat/completions' if agent.wire == 'openai' else '/v1/messages'
    return [q for q in agent.fake.requests() if q['path'].endswith(end)]


def tool_results(agent, req):
    """{tool call id: (content, is_error or None)} in one request."""
    out = {}
    for m in req['body']['messages']:
        if agent.wire == 'openai' and m['role'] == 'tool':
            out[m['tool_call_id']] = (m['content'], None)
        elif agent.wire == 'anthropic' and isinstance(m['content'], list):
            for b in m['content']:
                if b.get('type') == 'tool_result':
                    out[b['tool_use_id']] = (b['content'],
                                             b.get('is_error'))
    return out


def sent_calls(agent, req):
    """The tool calls of the assistant turns as sent back to the model."""
    out = []
    for m in req['body']['messages']:
        if agent.wire == 'openai' and m['role'] == 'assistant':
            out += [c['function'] for c in m.get('tool_calls') or []]
        elif agent.wire == 'anthropic' and m['role'] == 'assistant':
            out += [b for b in m['content'] if b['type'] == 'tool_use']
    return out


# (raw arguments of a `read` call, what the tool error must say)
BAD = [
    pytest.param('{"path": "notes.txt\\u0000.png"}',
                 'the path contains a NUL', id='nul-in-path'),
    pytest.param('{"path": 5}', 'invalid arguments for read', id='wrong-type'),
    pytest.param('{"path": "notes.txt", "sudo": true}',
                 'invalid arguments for read', id='unknown-field'),
    pytest.param('["notes.txt"]', 'the arguments are an array, not a JSON '
                 'object', id='not-an-object'),
    pytest.param('"notes.txt"', 'the arguments are a string, not a JSON '
                 'object', id='a-string'),
    pytest.param('{"path": "notes', 'the arguments are not valid JSON',
                 id='truncated'),
    pytest.param('{"path": "a", "path": "notes.txt"}',
                 'the arguments are not valid JSON: duplicate object key',
                 id='duplicate-key'),
]


@pytest.mark.parametrize('raw,says', BAD)
def test_bad_arguments_are_a_tool_error(agent, raw, says):
    agent.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'read', 'arguments': raw}]},
        {'text': 'I will fix my call.'}]})
    r = agent.run('run', '--json', 'read notes.txt', timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'done', out
    assert out['response'] == 'I will fix my call.'
    assert out['tool_calls'] == 1 and out['iterations'] == 2
    reqs = model_requests(agent)
    assert len(reqs) == 2  # one more call for the answer: no retries
    got = tool_results(agent, reqs[1])
    assert set(got) == {'c1'}
    content, is_error = got['c1']
    assert says in content, content
    assert 'hello' not in content  # the file was not read
    if agent.wire == 'anthropic':
        assert is_error is True
    # What goes back to the provider is a call it accepts: an object, no
    # member of ours.
    call, = sent_calls(agent, reqs[1])
    if agent.wire == 'openai':
        assert isinstance(json.loads(call['arguments']), dict)
    else:
        assert set(call) == {'type', 'id', 'name', 'input'}
        assert isinstance(call['input'], dict)


def test_the_model_corrects_itself(agent):
    agent.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'read',
                         'arguments': '{"path": "notes'}]},
        {'tool_calls': [{'id': 'c2', 'name': 'read',
                         'arguments': {'path': 'notes.txt'}}]},
        {'text': 'It says hello.'}]})
    r = agent.run('run', '--json', 'read notes.txt', timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'done' and out['tool_calls'] == 2
    reqs = model_requests(agent)
    assert len(reqs) == 3
    assert 'not valid JSON' in tool_results(agent, reqs[1])['c1'][0]
    assert 'hello' in tool_results(agent, reqs[2])['c2'][0]


def test_a_nul_in_file_content_is_kept(agent):
    """A file's content is bytes: a NUL there is written, not refused."""
    agent.fake.load({'turns': [
        {'tool_calls': [{'id': 'w1', 'name': 'write', 'arguments':
                         '{"path": "bin.dat", "content": "a\\u0000b"}'}]},
        {'text': 'Written.'}]})
    r = agent.run('run', '--json', 'write it', timeout=60)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(agent.ws, 'bin.dat'), 'rb') as f:
        assert f.read() == b'a\x00b'


def test_only_the_limits_end_a_run_of_bad_calls(agent):
    """A model that never gets its arguments right meets the run's
    limits (here the repeat guard), not an LLM error."""
    agent.fake.load({'turns': [
        {'tool_calls': [{'id': 'c%d' % i, 'name': 'read',
                         'arguments': '{"path": '}]} for i in range(10)]})
    r = agent.run('run', '--json', 'read', timeout=60)
    out = json.loads(r.stdout)
    assert out['stop_reason'] == 'repeat', out
    assert len(model_requests(agent)) == 3  # engine.repeat_guard
