"""Recall at topic changes (docs/memory.md): a conversation that moves
from one topic to another recalls again (the new topic's memory reaches
the provider in the recorded request, and a `memory.recalled` event says
why), once per topic per session; a message that stays on topic recalls
nothing; memory.recall_shift and memory.recall_tokens are read.  The real
binary, the fake LLM (OpenAI wire format), a temporary OXIOS_HOME."""
import json
import os
import sqlite3

import pytest

from conftest import make_daemon
from test_daemon import SSE
from test_memory import add, model_requests, system_prompt

# No hot tier and no table of contents: what the system prompt remembers
# is what recall put there.
MEMORY = '[memory]\nhot_tokens = 0\ntoc_tokens = 0\n'
ENGINE = ('[engine]\nretry_base_ms = 20\n'
          'default_model = "openai/gpt-4.1"\n')

TOMATO = 'The tomatoes grow in the north bed of the garden'
ROSES = 'Water the roses every Tuesday morning'
SHED = 'The garden shed key hangs behind the blue door'
OIL = 'The car needs an oil change every 10000 km'
PARKED = 'The car is parked in garage number three'


def seed(ox):
    """Topics garden (and tools) and car; returns {text: id}."""
    out = {}
    for text in (TOMATO, ROSES):
        out[text] = add(ox, text, '--tags', 'garden')['id']
    # Under a second topic too: a message about it is half on topic.
    out[SHED] = add(ox, SHED, '--tags', 'garden,tools')['id']
    for text in (OIL, PARKED):
        out[text] = add(ox, text, '--tags', 'car')['id']
    return out


def recalled_events(d, runs):
    """The memory.recalled events of the daemon so far (replayed from
    the start), read until `runs` agents have exited."""
    sse = SSE(d, last_id=1)
    out, exited = [], 0
    try:
        while exited < runs:
            ev = sse.event()
            if ev.get('event') == 'memory.recalled':
                out.append(json.loads(ev['data']))
            elif ev.get('event') == 'agent.exited':
                exited += 1
    finally:
        sse.close()
    return out


@pytest.fixture
def home(llm):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config(ENGINE + MEMORY)
    return llm


def test_a_shift_of_topic_recalls_once_per_topic(home):
    ids = seed(home)
    d = make_daemon(home, MEMORY)
    d.fake = home.fake
    d.start()
    try:
        d.fake.load({'turns': [{'text': 'ok %d' % i} for i in range(4)]})
        st, _, j = d.post('/api/chat',
                          {'content': 'How are the tomatoes doing?'},
                          timeout=60)
        assert st == 200, j
        sid = j['session_id']
        for text in ('When is the oil change due?',
                     'Back to the tomatoes: any news?',
                     'Where does the shed key hang?'):
            st, _, j = d.post('/api/chat', {'content': text,
                                            'session_id': sid}, timeout=60)
            assert st == 200 and j['session_id'] == sid, j
        reqs = model_requests(home)
        assert len(reqs) == 4
        prompts = [system_prompt(q) for q in reqs]

        # 1: the session starts on the garden.
        assert TOMATO in prompts[0] and OIL not in prompts[0]
        # 2: it moves to the car: recalled again, the garden kept.
        assert OIL in prompts[1] and TOMATO in prompts[1], prompts[1]
        # 3: back on the garden: recalled once already, nothing new.
        assert prompts[2] == prompts[1]
        # 4: on topic: its topics are garden and tools, half of them
        # recent (not above memory.recall_shift, 0.5): no recall, though
        # a memory matches the message and tools was never recalled.
        assert SHED not in prompts[3] and prompts[3] == prompts[1]

        evs = recalled_events(d, 4)
        assert [e['why'] for e in evs] == ['session_start',
                                           'topic_change'], evs
        assert all(e['session_id'] == sid for e in evs)
        assert evs[0]['topics'] == ['garden']
        assert evs[0]['ids'] == [ids[TOMATO]]
        assert evs[1]['topics'] == ['car']
        assert evs[1]['ids'] == [ids[OIL]]
        # The session says what it recalled, for a person.
        st, _, j = d.get('/api/sessions/' + sid)
        assert st == 200, j
        assert [(t['topic'], t['recalled']) for t in j['recall']['topics']
                ] == [('car', 1), ('garden', 1), ('tools', 0)], j['recall']
        assert [(m['id'], m['content']) for m in j['recall']['memories']
                ] == [(ids[TOMATO], TOMATO), (ids[OIL], OIL)], j['recall']
    finally:
        d.stop_clean()

    db = sqlite3.connect(home.path('oxios.db'))
    rows = db.execute('SELECT topic, turn, recalled FROM '
                      'session_recall_topics WHERE session_id = ? '
                      'ORDER BY topic', (sid,)).fetchall()
    assert rows == [('car', 2, 1), ('garden', 4, 1), ('tools', 4, 0)], rows
    mems = db.execute('SELECT memory_id FROM session_recall_memories '
                      'WHERE session_id = ? ORDER BY seq',
                      (sid,)).fetchall()
    assert mems == [(ids[TOMATO],), (ids[OIL],)]
    # A recall counts as an access.
    n = db.execute('SELECT access_count FROM memories WHERE id = ?',
                   (ids[OIL],)).fetchone()[0]
    assert n >= 1
    db.close()


def run_json(ox, *args):
    r = ox.run('run', '--json', *args, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


def conversation(ox, config):
    """Garden, then car, in one session (`oxios run --session`): the two
    system prompts."""
    seed(ox)
    ox.write_config(ENGINE + MEMORY + config)
    ox.fake.load({'turns': [{'text': 'ok'}, {'text': 'ok'}]})
    sid = run_json(ox, 'How are the tomatoes doing?')['session_id']
    run_json(ox, '--session', sid, 'When is the oil change due?')
    return [system_prompt(q) for q in model_requests(ox)]


def test_the_threshold_is_read(home):
    # 1: no shift is above it, so nothing is recalled after the start.
    first, second = conversation(home, 'recall_shift = 1.0\n')
    assert TOMATO in first and TOMATO in second
    assert OIL not in second


def test_the_default_threshold_recalls_from_the_cli(home):
    first, second = conversation(home, '')
    assert TOMATO in first and OIL not in first
    assert OIL in second and TOMATO in second


def test_the_recalled_memories_stay_within_their_budget(home):
    # Room for one of the two: the newest recall stays.
    first, second = conversation(home, 'recall_tokens = 14\n')
    assert TOMATO in first
    assert OIL in second and TOMATO not in second
