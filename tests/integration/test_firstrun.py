"""The first ten minutes: a first `oxios start` on a terminal runs the
setup wizard by itself (without one it says what is missing and starts);
with no key, or a keyless server that is down, `oxios run`, the REST chat
and the chat WebSocket fail at once, saying what to do, having sent
nothing."""
import asyncio
import fcntl
import json
import os
import socket
import time
import tomllib

import pytest
import websockets

from conftest import Terminal, make_daemon

NO_KEY = "no OPENAI_API_KEY: run 'oxios onboard' or export it"


def config(oxios):
    with open(oxios.path('config.toml'), 'rb') as f:
        return tomllib.load(f)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize('argv', [['start'], []], ids=['start', 'bare'])
def test_first_start_on_a_terminal_runs_the_wizard(oxios, bin_path, fake,
                                                   argv):
    fake.load({'api_key': 'sk-first-run'})
    env = dict(oxios.env, OPENAI_API_KEY='sk-first-run',
               OPENAI_BASE_URL=fake.url + '/v1')
    port = free_port()
    t = Terminal([bin_path] + argv, env)
    try:
        t.expect('No configuration yet (%s): first, the setup.'
                 % oxios.path('config.toml'))
        t.expect('Found in the environment: OPENAI_API_KEY.')
        t.expect('Provider (anthropic, openai, local) [openai]: ')
        t.send('')
        t.expect('Model [gpt-4.1]: ')
        t.send('')
        t.expect('Using OPENAI_API_KEY from the environment.')
        t.expect('Workspace directory')
        # Nothing is written before the last answer: a free port goes in
        # now (the wizard keeps what a file holds), for this test only.
        assert not os.path.exists(oxios.path('config.toml'))
        with open(oxios.path('config.toml'), 'w') as f:
            f.write('[gateway]\nport = %d\n' % port)
        os.chmod(oxios.path('config.toml'), 0o600)
        t.send('')
        t.expect('ok: it answers and takes the key')
        t.expect('API token: oxt_')
        t.expect('oxios started: pid')
        assert t.wait() == 0
        out = t.out.decode()
        assert 'http://127.0.0.1:%d' % port in out
        assert 'sk-first-run' not in out
        assert 'warning' not in out, out
        # It starts next: no advice to start it.
        assert 'Next: oxios doctor, then oxios start' not in out, out
        c = config(oxios)
        assert c['engine']['default_model'] == 'openai/gpt-4.1'
        assert c['gateway']['port'] == port
        # A second start runs no wizard: it is running already.
        r = oxios.run('start', env={'OPENAI_API_KEY': 'x'}, check=0)
        assert 'already running' in r.stdout and 'setup' not in r.stdout
    finally:
        oxios.run('stop', timeout=60)


def test_first_start_without_a_terminal_says_what_is_missing(oxios):
    # A daemon "runs" (this test holds the pidfile's lock): start says so
    # and ends, after its notes, binding nothing.
    os.makedirs(oxios.path('run'), mode=0o700, exist_ok=True)
    fd = os.open(oxios.path('run', 'oxios.pid'), os.O_RDWR | os.O_CREAT,
                 0o600)
    try:
        os.write(fd, b'%d\n' % os.getpid())
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = oxios.run('start', stdin='', check=0)
        assert ('no %s yet: starting with the defaults (set up with: '
                'oxios onboard)' % oxios.path('config.toml')) in r.stderr
        assert ("no ANTHROPIC_API_KEY: run 'oxios onboard' or export it "
                "(the daemon starts; chats with "
                "anthropic/claude-sonnet-4-5 fail until then)") in r.stderr
        assert 'oxios is already running (pid %d' % os.getpid() in r.stdout
        assert 'Provider' not in r.stdout  # no wizard
        assert not os.path.exists(oxios.path('config.toml'))
        # With the key, only the missing file is said.
        r = oxios.run('start', env={'ANTHROPIC_API_KEY': 'k'}, check=0)
        assert 'ANTHROPIC_API_KEY' not in r.stderr
        assert 'starting with the defaults' in r.stderr
    finally:
        os.close(fd)


def run_quickly(oxios, *args):
    t0 = time.monotonic()
    r = oxios.run(*args, timeout=60)
    return r, time.monotonic() - t0


def test_no_key_fails_at_once_without_a_daemon(oxios):
    oxios.write_config('[engine]\ndefault_model = "openai/gpt-4.1"\n')
    r, took = run_quickly(oxios, 'run', 'hi')
    assert r.returncode != 0
    assert NO_KEY in r.stderr, r.stderr
    assert 'attempts' not in r.stderr
    assert took < 5, took


def test_unreachable_keyless_server_is_not_retried(oxios):
    url = 'http://127.0.0.1:%d/v1' % free_port()
    oxios.write_config('[engine]\ndefault_model = "local/q"\n'
                       'retry_base_ms = 1000\n'
                       '[providers.local]\nbase_url = "%s"\n' % url)
    r, took = run_quickly(oxios, 'run', 'hi')
    assert r.returncode != 0
    assert 'local: connection failed: cannot reach %s/chat/completions' \
        % url in r.stderr
    assert ('; not retried: start that server, or set '
            'providers.local.base_url') in r.stderr
    assert 'attempts' not in r.stderr
    assert took < 5, took


async def ws_error(d):
    async with websockets.connect(
            'ws://127.0.0.1:%d/api/chat/stream' % d.port,
            extra_headers={'Authorization': 'Bearer ' + d.token}) as ws:
        assert json.loads(await ws.recv())['type'] == 'ready'
        await ws.send(json.dumps({'type': 'message', 'content': 'hi'}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg['type'] in ('error', 'done'):
                return msg


def test_no_key_fails_at_once_in_every_chat(oxios):
    # openai/gpt-4.1 at its built-in URL, no key (the tests have no
    # network: a call sent would fail too, but later, after retries).
    d = make_daemon(oxios)
    d.start()
    try:
        t0 = time.monotonic()
        st, _, j = d.post('/api/chat', {'content': 'hi'}, timeout=60)
        assert time.monotonic() - t0 < 5
        assert st >= 400, (st, j)
        assert NO_KEY in json.dumps(j), j
        t0 = time.monotonic()
        msg = asyncio.run(ws_error(d))
        assert time.monotonic() - t0 < 5
        assert msg['type'] == 'error' and NO_KEY in json.dumps(msg), msg
        r, took = run_quickly(oxios, 'run', 'hi')
        assert r.returncode != 0 and NO_KEY in r.stderr, r.stderr
        assert took < 5
    finally:
        d.stop_clean()
