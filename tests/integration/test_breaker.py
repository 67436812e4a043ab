"""The circuit breaker of each provider, through the daemon (its state is
the process's): a provider answering 503 to everything trips it, later
chats fail at once without reaching the provider, only the probe after the
cooldown does, and a recovered provider closes it.  A 401 does not count.
The real binary, the fake LLM (OpenAI format), a short cooldown."""
import time

import pytest

from conftest import make_daemon

COOLDOWN = 2
FAILURES = 2


@pytest.fixture
def bd(llm):
    d = make_daemon(llm, '[scheduler]\nbreaker_failures = %d\n'
                    'breaker_cooldown_secs = %d\n' % (FAILURES, COOLDOWN))
    d.fake = llm.fake
    d.start()
    yield d
    d.stop_clean()


def chat(d, text='Hi.'):
    t0 = time.monotonic()
    st, _, j = d.post('/api/chat', {'content': text}, timeout=60)
    return st, j, time.monotonic() - t0


def provider(d, name='openai'):
    st, _, j = d.get('/api/status')
    assert st == 200
    for p in j['providers']:
        if p['provider'] == name:
            return p
    return {'provider': name, 'state': 'closed'}


def down(d):
    d.fake.load({'turns': [{'text': 'never',
                            'fault': {'status': 503, 'times': 100000}}]})


def test_503_trips_probe_and_recovery(bd):
    down(bd)
    for _ in range(FAILURES):
        st, j, _ = chat(bd)
        assert st == 502 and j['error']['code'] == 'llm_error', j
    # Each of those reached the provider (with llm_call's retries).
    assert len(bd.fake.requests()) >= FAILURES
    p = provider(bd)
    assert p['state'] == 'open' and p['failures'] == FAILURES, p
    assert 0 < p['next_probe_ms'] <= COOLDOWN * 1000
    st, _, text = bd.get('/metrics')
    assert st == 200
    text = text.decode() if isinstance(text, bytes) else text
    assert 'oxios_llm_breaker{provider="openai",state="open"} 1' in text
    assert 'oxios_llm_breaker{provider="openai",state="closed"} 0' in text

    # Open: refused at once, the provider sees nothing.
    bd.fake.reset()
    down(bd)
    for _ in range(3):
        st, j, took = chat(bd)
        assert st == 502, j
        msg = j['error']['message']
        assert ('provider openai is unavailable: the circuit breaker is '
                'open after %d consecutive failures; next probe in'
                % FAILURES) in msg, msg
        assert took < 1.0, took
    assert bd.fake.requests() == []

    # After the cooldown one probe goes; it fails: open again.
    time.sleep(COOLDOWN + 0.2)
    st, j, _ = chat(bd)
    assert st == 502 and 'circuit breaker' not in j['error']['message'], j
    probes = len(bd.fake.requests())
    assert probes >= 1
    assert provider(bd)['state'] == 'open'
    st, j, took = chat(bd)
    assert st == 502 and 'circuit breaker is open' in j['error']['message']
    assert len(bd.fake.requests()) == probes and took < 1.0

    # The provider recovers: the next probe succeeds and closes it.
    time.sleep(COOLDOWN + 0.2)
    bd.fake.reset()
    bd.fake.load({'turns': [{'text': 'Back.'}, {'text': 'Again.'}]})
    st, j, _ = chat(bd)
    assert st == 200 and j['reply'] == 'Back.', j
    assert provider(bd)['state'] == 'closed'
    st, j, _ = chat(bd)
    assert st == 200 and j['reply'] == 'Again.', j
    assert len(bd.fake.requests()) == 2

    # Every change was logged.
    err = bd.stderr()
    assert 'provider openai: circuit breaker open after 2' in err
    assert 'provider openai: circuit breaker half-open' in err
    assert 'provider openai: circuit breaker closed' in err


def test_auth_errors_do_not_trip_it(bd):
    bd.fake.load({'turns': [{'text': 'never',
                             'fault': {'status': 401, 'times': 100000}}]})
    for i in range(FAILURES * 2):
        st, j, _ = chat(bd)
        assert st == 502, j
        assert 'circuit breaker' not in j['error']['message'], j
        assert len(bd.fake.requests()) == i + 1
    assert provider(bd)['state'] == 'closed'


def test_embeddings_go_through_the_breaker(llm):
    """The embedder's provider has a breaker too: once it is open, a memory
    write fails at once and names it, without trying the network."""
    d = make_daemon(llm, '[scheduler]\nbreaker_failures = %d\n'
                    'breaker_cooldown_secs = 60\n'
                    '[memory]\nembedder = "api"\n'
                    'embedding_url = "http://127.0.0.1:9/v1"\n'
                    'embedding_model = "m"\n' % FAILURES)
    d.start()
    try:
        msgs = []
        for i in range(FAILURES + 2):
            t0 = time.monotonic()
            st, _, j = d.post('/api/memory', {'content': 'fact %d' % i},
                              timeout=60)
            msgs.append((st, j, time.monotonic() - t0))
        for st, j, _ in msgs[:FAILURES]:
            assert st >= 400 and 'circuit breaker' not in str(j), j
        for st, j, took in msgs[FAILURES:]:
            assert st >= 400 and 'circuit breaker is open' in str(j), j
            assert took < 1.0, took
        states = {p['provider']: p['state']
                  for p in d.get('/api/status')[2]['providers']}
        assert 'open' in states.values(), states
    finally:
        d.stop_clean()
