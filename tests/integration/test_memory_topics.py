"""The ROOT index (docs/memory.md): the table of contents of the memory in
the agent's system prompt within memory.toc_tokens, a topic lookup that
runs no search, the REST routes and the CLI agreeing, and the tools
memory_topics and memory_topic answering the model.  The real binary, the
fake LLM (OpenAI wire format), a temporary OXIOS_HOME."""
import json
import os

import pytest

from test_memory import (add, call, mem, mem_json, model_requests,
                         system_prompt, tool_results)

HEAD = 'Topics in your memory'
ENGINE = ('[engine]\nretry_base_ms = 20\n'
          'default_model = "openai/gpt-4.1"\n')


@pytest.fixture
def agent(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config(ENGINE)
    return llm


def seed(ox):
    """Three topics of known sizes, and a dozen small ones."""
    for text in ('The user drinks dark roast coffee',
                 'Coffee beans come from the shop on Elm street',
                 'No coffee after 4 pm'):
        add(ox, text, '--tags', 'Coffee')
    add(ox, 'Deploys happen on Tuesdays', '--tags', 'deploy,ops')
    add(ox, 'Deploy with make release', '--tags', ' deploy ')
    for i in range(12):
        add(ox, 'Filler note number %d about nothing' % i,
            '--tags', 'filler%02d' % i)


def toc_of(prompt):
    """The topics section of a system prompt ('' if none)."""
    at = prompt.find(HEAD)
    if at < 0:
        return ''
    end = prompt.find('\n\n', at)
    return prompt[at:] if end < 0 else prompt[at:end]


def test_toc_reaches_the_model_within_its_budget(agent):
    seed(agent)
    agent.write_config(ENGINE + '[memory]\ntoc_tokens = 60\n')
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', 'hello there', timeout=60)
    assert r.returncode == 0, r.stderr
    toc = toc_of(system_prompt(model_requests(agent)[-1]))
    assert toc, 'no topics in the system prompt'
    assert len(toc) <= 60 * 4, len(toc)
    lines = toc.split('\n')[1:]
    # Most memories first, each a whole line.
    assert lines[0].startswith('- coffee (3): '), lines
    assert lines[1].startswith('- deploy (2): '), lines
    assert 3 <= len(lines) < 15, lines  # the budget cut the rest
    assert all(ln.startswith('- ') for ln in lines)

    # A larger budget shows every topic; 0 shows none.
    agent.write_config(ENGINE + '[memory]\ntoc_tokens = 2000\n')
    agent.fake.reset()
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', 'hello again', timeout=60)
    assert r.returncode == 0, r.stderr
    toc = toc_of(system_prompt(model_requests(agent)[-1]))
    assert len(toc.split('\n')) == 1 + 15, toc
    assert '- filler11 (1): Filler note number 11 about nothing' in toc
    agent.write_config(ENGINE + '[memory]\ntoc_tokens = 0\n')
    agent.fake.reset()
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', 'hello once more', timeout=60)
    assert r.returncode == 0, r.stderr
    assert HEAD not in system_prompt(model_requests(agent)[-1])


def test_no_toc_without_the_right_to_read_memory(agent):
    seed(agent)
    agent.write_config(ENGINE + '[memory]\nenabled = false\n')
    agent.fake.load({'turns': [{'text': 'ok'}]})
    r = agent.run('run', 'hello there', timeout=60)
    assert r.returncode == 0, r.stderr
    assert HEAD not in system_prompt(model_requests(agent)[-1])


def stats(d):
    st, _, j = d.get('/api/memory/stats')
    assert st == 200, j
    return j


def test_topic_lookup_runs_no_search(daemon):
    seed(daemon.ox)
    before = stats(daemon)
    assert before['topics'] == 15
    st, _, j = daemon.get('/api/memory/topics')
    assert st == 200, j
    assert [t['topic'] for t in j['topics'][:2]] == ['coffee', 'deploy']
    assert [t['count'] for t in j['topics'][:2]] == [3, 2]
    st, _, j = daemon.get('/api/memory/topics/Coffee')
    assert st == 200, j
    assert j['topic'] == 'coffee' and j['count'] == 3
    assert len(j['memories']) == 3 and len(j['ids']) == 3
    assert all('coffee' in m['content'].lower() for m in j['memories'])
    st, _, j = daemon.get('/api/memory/topics?prefix=fill&limit=2')
    assert st == 200, j
    assert len(j['topics']) == 2
    assert all(t['topic'].startswith('filler') for t in j['topics'])
    st, _, j = daemon.get('/api/memory/topics/nonesuch')
    assert st == 404, j
    after = stats(daemon)
    assert after['searches'] == before['searches']
    # A search is counted: the counter can tell.
    st, _, j = daemon.post('/api/memory/search', {'query': 'coffee'})
    assert st == 200, j
    assert stats(daemon)['searches'] == before['searches'] + 1


def test_rest_and_cli_agree(daemon):
    ox = daemon.ox
    seed(ox)
    st, _, rest = daemon.get('/api/memory/topics')
    assert st == 200, rest
    cli = mem_json(ox, 'topics')
    assert cli == rest['topics']
    st, _, one = daemon.get('/api/memory/topics/deploy')
    assert st == 200, one
    got = mem_json(ox, 'topics', 'deploy')
    for k in ('topic', 'summary', 'count', 'ids', 'touched_at'):
        assert got[k] == one[k], k
    assert [m['content'] for m in got['memories']] == \
        [m['content'] for m in one['memories']]
    text = mem(ox, 'topics').stdout
    assert text.splitlines()[0].split()[:2] == ['coffee', '3']
    r = mem(ox, 'topics', 'nonesuch')
    assert r.returncode != 0 and 'no topic' in r.stderr
    # Forgetting a memory moves its topics at once.
    st, _, _ = daemon.request('DELETE', '/api/memory/%d' % one['ids'][0])
    assert st == 200
    got = mem_json(ox, 'topics', 'deploy')
    assert got['count'] == 1 and got['ids'] == one['ids'][1:]


def tcall(name, cid, args):
    return {'id': cid, 'name': name, 'arguments': args}


def test_the_tools_answer_the_model(agent):
    seed(agent)
    agent.fake.load({'turns': [
        {'tool_calls': [call('memory_topics', 't1', prefix='co'),
                        call('memory_topics', 't2'),
                        tcall('memory_topic', 't3', {'name': ' COFFEE '}),
                        tcall('memory_topic', 't4', {'name': 'nonesuch'})]},
        {'text': 'done'}]})
    r = agent.run('run', 'what do you know?', timeout=60)
    assert r.returncode == 0, r.stderr
    reqs = model_requests(agent)
    names = {t['function']['name'] for t in reqs[0]['body']['tools']}
    assert {'memory_topics', 'memory_topic'} <= names
    res = tool_results(reqs[1])
    t1 = json.loads(res['t1'])
    assert [t['topic'] for t in t1] == ['coffee']
    assert t1[0]['count'] == 3 and t1[0]['summary']
    assert len(json.loads(res['t2'])) == 15
    t3 = json.loads(res['t3'])
    assert t3['topic'] == 'coffee' and len(t3['memories']) == 3
    assert {'id', 'content', 'type'} == set(t3['memories'][0])
    assert 'no topic' in res['t4']
