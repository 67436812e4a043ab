"""The circuit breaker of each provider, through the daemon (its state is
the process's): a provider answering 503 to everything trips it, later
chats fail at once without reaching the provider, only the probe after the
cooldown does, and a recovered provider closes it.  A 401 does not count.
The real binary, the fake LLM (OpenAI format), a short cooldown."""
import json
import re
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


def engine_keys(d, text):
    """Add `text` to the [engine] table of the daemon's config.toml."""
    path = d.ox.path('config.toml')
    cfg = open(path).read()
    with open(path, 'w') as f:
        f.write(cfg.replace('[engine]\n', '[engine]\n' + text, 1))


def test_error_rate_opens_it(llm):
    """Half the calls failing over the window opens it, though never two
    failed in a row; fewer than breaker_min_calls never do."""
    d = make_daemon(llm, '[scheduler]\nbreaker_failures = 3\n'
                    'breaker_cooldown_secs = 60\n'
                    'breaker_error_rate = 0.5\nbreaker_window_secs = 60\n'
                    'breaker_min_calls = 6\n')
    engine_keys(d, 'max_retries = 0\n')
    d.fake = llm.fake
    # Each turn: a 503, then the answer: fail, ok, fail, ok, ...
    d.fake.load({'turns': [{'text': 'ok %d' % i, 'fault': {'status': 503}}
                           for i in range(10)]})
    d.start()
    try:
        got = [chat(d)[0] for _ in range(7)]
        assert got == [502, 200, 502, 200, 502, 200, 502], got
        assert len(d.fake.requests()) == 7
        # 4 of 7 failed: open.
        p = provider(d)
        assert p['state'] == 'open' and p['reason'] == 'error_rate', p
        st, j, took = chat(d)
        assert st == 502 and took < 1.0, j
        assert ('provider openai is unavailable: the circuit breaker is '
                'open after 4 of 7 calls failed within 60 s; next probe '
                'in' in j['error']['message']), j
        assert len(d.fake.requests()) == 7
        assert 'circuit breaker open after 4 of 7 calls failed within ' \
            '60 s (error rate 57%, limit 50%)' in d.stderr()
        # `oxios status` shows it (the daemon leaves it for the CLI).
        r = d.ox.run('status', check=0)
        assert 'providers  openai open (probe in ' in r.stdout, r.stdout
        r = d.ox.run('status', '--json', check=0)
        ps = json.loads(r.stdout)['providers']
        assert ps[0]['provider'] == 'openai' and ps[0]['state'] == 'open'
        assert 50000 < ps[0]['next_probe_ms'] <= 60000, ps
    finally:
        d.stop_clean()


@pytest.fixture
def backup():
    from fake_llm import FakeLLM
    f = FakeLLM().start()
    yield f
    f.stop()


# Long enough for the calls made while it is open (slow under ASan).
FB_COOLDOWN = 4


def test_fallback_serves_while_open(llm, backup):
    """With engine.fallback_models, the calls the primary's breaker refuses
    go to the next provider; the primary sees only the probes, a failed
    probe's call is served by the fallback too, and a recovered primary
    takes the calls back."""
    d = make_daemon(llm, '[scheduler]\nbreaker_failures = %d\n'
                    'breaker_cooldown_secs = %d\n'
                    '[providers.backup]\nkind = "openai"\n'
                    'base_url = "%s/v1"\napi_key = "sk-backup-0123456789"\n'
                    % (FAILURES, FB_COOLDOWN, backup.url))
    engine_keys(d, 'max_retries = 0\n'
                   'fallback_models = ["backup/gpt-b"]\n')
    d.fake = llm.fake
    d.start()
    try:
        down(d)
        for _ in range(FAILURES):
            st, j, _ = chat(d)
            assert st == 502, j
        assert provider(d)['state'] == 'open'
        d.fake.reset()
        down(d)
        backup.load({'turns': [{'text': 'From backup %d.' % i}
                               for i in range(10)]})
        for i in range(3):
            st, j, took = chat(d)
            assert st == 200 and j['reply'] == 'From backup %d.' % i, j
        assert d.fake.requests() == []
        assert len(backup.requests()) == 3
        assert all(r['body']['model'] == 'gpt-b' for r in backup.requests())
        assert 'openai/gpt-4.1: unavailable (circuit breaker); fallback ' \
            'backup/gpt-b served the call' in d.stderr()
        # The record names the model that served.
        st, _, m = d.get('/api/metrics?format=json')
        rows = [(r['provider'], r['model'], r['status'], r['calls'])
                for r in m['llm']]
        assert ('backup', 'gpt-b', 'ok', 3) in rows, rows
        r = d.ox.run('status', check=0)
        assert re.search(r'providers  openai open \(probe (in \d+ s|due)\), '
                         r'backup closed\n', r.stdout), r.stdout

        # After the cooldown the next call is the probe: the primary sees
        # it, it fails, and the fallback serves that call.
        time.sleep(FB_COOLDOWN + 0.2)
        st, j, _ = chat(d)
        assert st == 200 and j['reply'] == 'From backup 3.', j
        assert len(d.fake.requests()) == 1
        assert provider(d)['state'] == 'open'
        st, j, _ = chat(d)
        assert st == 200 and j['reply'] == 'From backup 4.', j
        assert len(d.fake.requests()) == 1

        # The primary recovers: its probe succeeds and it serves again.
        time.sleep(FB_COOLDOWN + 0.2)
        d.fake.reset()
        d.fake.load({'turns': [{'text': 'Primary.'}, {'text': 'Again.'}]})
        for want in ('Primary.', 'Again.'):
            st, j, _ = chat(d)
            assert st == 200 and j['reply'] == want, j
        assert provider(d)['state'] == 'closed'
        assert len(backup.requests()) == 5
        # Every transition counted: open twice, half-open twice, closed.
        st, _, text = d.get('/metrics')
        text = text.decode() if isinstance(text, bytes) else text
        for state, n in (('open', 2), ('half_open', 2), ('closed', 1)):
            assert ('oxios_llm_breaker_transitions_total{provider="openai",'
                    'state="%s"} %d' % (state, n)) in text, text
    finally:
        d.stop_clean()


def test_all_refused_names_every_provider(llm):
    """When every fallback's breaker refuses too, the error names them all
    and when each one's next probe may go."""
    d = make_daemon(llm, '[scheduler]\nbreaker_failures = 1\n'
                    'breaker_cooldown_secs = 60\n')
    engine_keys(d, 'max_retries = 0\n'
                   'fallback_models = ["openai/gpt-4o-mini"]\n')
    d.fake = llm.fake
    down(d)
    d.start()
    try:
        st, j, _ = chat(d)
        assert st == 502, j
        st, j, took = chat(d)
        assert st == 502 and took < 1.0, j
        msg = j['error']['message']
        assert msg.startswith('provider openai is unavailable: the circuit '
                              'breaker is open after 1 consecutive failure; '
                              'next probe in '), msg
        assert '; the fallbacks refused it too: openai/gpt-4o-mini (open, ' \
            'next probe in ' in msg, msg
        assert len(d.fake.requests()) == 1
    finally:
        d.stop_clean()
