"""The scheduler's admission per provider, through the daemon: twenty
concurrent chats against a provider that allows 5 requests a second (429
with Retry-After beyond) all succeed, with few 429s, because the provider
is slowed down as a whole; scheduler.max_concurrent bounds what the
provider sees in flight; each call's queue wait lands in llm_calls.
The real binary, the fake LLM (OpenAI format)."""
import sqlite3
import threading

from conftest import make_daemon

CHATS = 20


def chat_all(d, n):
    out = [None] * n

    def one(i):
        st, _, j = d.post('/api/chat', {'content': 'Hi %d.' % i},
                          timeout=120)
        out[i] = (st, j)

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join(180)
    return out


def calls(ox):
    con = sqlite3.connect(ox.path('oxios.db'))
    try:
        return con.execute('SELECT status, queue_ms FROM llm_calls '
                           "WHERE kind = 'chat'").fetchall()
    finally:
        con.close()


def test_rate_limited_provider_few_429s(llm):
    llm.fake.load({'rate_limit': {'requests': 5, 'window_s': 1}})
    d = make_daemon(llm)
    d.start()
    try:
        got = chat_all(d, CHATS)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    rows = calls(llm)
    assert len(rows) == CHATS
    assert all(r[0] == 'ok' for r in rows), rows
    sent = len(llm.fake.requests())
    limited = llm.fake.load_stats()['rate_limited']
    # Without admission every chat past the fifth of each second retries
    # on its own (and some run out of retries); learned from the first
    # 429s (the first burst of max_concurrent = 8 brings about 3), the
    # rate stays near the limit.  Seen: 3 to 6; a generous bound.
    assert limited <= CHATS * 2 // 5, (limited, sent)
    assert sent == CHATS + limited
    # Some calls waited for admission, and it was recorded.
    assert any(r[1] > 0 for r in rows), rows


def test_max_concurrent_bounds_in_flight(llm):
    slow = {'text': ['one ', 'two ', 'three'], 'delay_ms': 150}
    llm.fake.load({'turns': [slow] * 8})
    d = make_daemon(llm, '[scheduler]\nmax_concurrent = 2\n')
    d.start()
    try:
        got = chat_all(d, 8)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    st = llm.fake.load_stats()
    assert 1 <= st['max_in_flight'] <= 2, st
    assert st['rate_limited'] == 0
    rows = calls(llm)
    assert len(rows) == 8
    # Eight at once, two at a time, each at least 300 ms: some waited.
    assert sum(1 for r in rows if r[1] > 0) >= 4, rows


def chat_twice_all(d, n):
    """n agents at once, each two chat turns in one session (two LLM
    calls).  [(status, status)] per agent."""
    out = [None] * n

    def one(i):
        st, _, j = d.post('/api/chat', {'content': 'Hi %d.' % i},
                          timeout=120)
        if st != 200:
            out[i] = (st, j)
            return
        st2, _, j2 = d.post('/api/chat', {'content': 'Again %d.' % i,
                                          'session_id': j['session_id']},
                            timeout=120)
        out[i] = (st2, j2)

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join(180)
    return out


def test_rate_limit_headers_few_429s(llm):
    """The fake says its limit, what is left and when its window ends on
    every answer: with no limit configured, 30 agents of two calls each
    all succeed with at most 5% of the calls answered 429 (seen: 0;
    without the headers, learned from 429s alone: 5 of 60)."""
    llm.fake.load({'rate_limit': {'requests': 5, 'window_s': 1,
                                  'headers': True}})
    d = make_daemon(llm, '[scheduler]\nmax_concurrent = 4\n')
    d.start()
    try:
        got = chat_twice_all(d, 30)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    rows = calls(llm)
    assert len(rows) == 60
    assert all(r[0] == 'ok' for r in rows), rows
    limited = llm.fake.load_stats()['rate_limited']
    assert limited <= 60 * 5 // 100, limited
    assert len(llm.fake.requests()) == 60 + limited


def test_admission_off(llm):
    """scheduler.admission = false: calls go at once, each retrying
    alone.  max_concurrent = 1 does not hold them back (the fake sees
    them in flight together), nobody waits for admission, and 429s are
    still retried after Retry-After."""
    slow = {'text': ['one ', 'two ', 'three'], 'delay_ms': 150}
    llm.fake.load({'turns': [slow] * 4})
    d = make_daemon(llm, '[scheduler]\nadmission = false\n'
                    'max_concurrent = 1\n')
    d.start()
    try:
        got = chat_all(d, 4)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    assert llm.fake.load_stats()['max_in_flight'] >= 2
    rows = calls(llm)
    assert len(rows) == 4 and all(r == ('ok', 0) for r in rows), rows
    # The same with admission on: one at a time.
    llm.fake.reset()
    llm.fake.load({'turns': [slow] * 4})
    d = make_daemon(llm, '[scheduler]\nadmission = true\n'
                    'max_concurrent = 1\n')
    d.start()
    try:
        got = chat_all(d, 4)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    rows = calls(llm)
    assert sum(1 for r in rows[4:] if r[1] > 0) >= 2, rows


def test_admission_off_retries_alone(llm):
    """Without admission a 429 is still retried (after its Retry-After),
    by the call alone: every chat succeeds."""
    llm.fake.load({'rate_limit': {'requests': 3, 'window_s': 1}})
    d = make_daemon(llm, '[scheduler]\nadmission = false\n')
    d.start()
    try:
        got = chat_all(d, 6)
    finally:
        d.stop_clean()
    for st, j in got:
        assert st == 200, j
    assert llm.fake.load_stats()['rate_limited'] >= 3
    rows = calls(llm)
    assert len(rows) == 6 and all(r[0] == 'ok' for r in rows), rows
    assert all(r[1] == 0 for r in rows), rows
