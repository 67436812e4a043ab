"""Shared fixtures: the real oxios binary, run with a temporary OXIOS_HOME."""
import contextlib
import os
import subprocess
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get('OXIOS_BIN', os.path.join(ROOT, 'build', 'oxios'))

# Variables of the user's environment that would change what oxios does.
SCRUB = ('ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENAI_BASE_URL',
         'ANTHROPIC_BASE_URL', 'OXIOS_API_KEY', 'OXIOS_LOG_LEVEL',
         'TELEGRAM_BOT_TOKEN', 'NO_COLOR')


# Plain runs unless a test asks for the protocol (ouroboros.mode's
# default, auto, would spend a scripted turn on a triage call): every
# oxios started by a test inherits this; test_ouroboros.py drops it.
os.environ['OXIOS_OUROBOROS_MODE'] = 'never'


class Oxios:
    def __init__(self, home):
        self.home = str(home)
        self.env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        self.env['OXIOS_HOME'] = self.home

    def run(self, *args, stdin=None, env=None, check=None, timeout=60):
        e = dict(self.env)
        if env:
            e.update(env)
        r = subprocess.run([BIN] + list(args), input=stdin, env=e,
                           capture_output=True, text=True, timeout=timeout)
        if check is not None:
            assert r.returncode == check, (r.returncode, r.stdout, r.stderr)
        return r

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def write_config(self, text):
        os.makedirs(self.home, exist_ok=True)
        with open(self.path('config.toml'), 'w') as f:
            f.write(text)


@pytest.fixture
def oxios(tmp_path):
    return Oxios(tmp_path / 'home')


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def bin_path():
    return BIN


# The fake LLM providers (tests/fakes), in-process.
import sys  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tests', 'fakes'))


@pytest.fixture
def fake():
    from fake_llm import FakeLLM
    f = FakeLLM().start()
    yield f
    f.stop()


ANTHROPIC_KEY = 'sk-ant-test-key-0123456789'
OPENAI_KEY = 'sk-openai-test-key-0123456789'


@pytest.fixture
def llm(oxios, fake):
    """oxios wired to the fake: both providers, fast retries."""
    oxios.env.update({
        'ANTHROPIC_BASE_URL': fake.url,
        'ANTHROPIC_API_KEY': ANTHROPIC_KEY,
        'OPENAI_BASE_URL': fake.url + '/v1',
        'OPENAI_API_KEY': OPENAI_KEY,
    })
    oxios.write_config('[engine]\nretry_base_ms = 20\nidle_timeout_secs = 1\n'
                       'connect_timeout_secs = 2\n')
    oxios.fake = fake
    return oxios


# The daemon (oxios start --foreground) on a free port, with its API token.
import http.client  # noqa: E402
import json as _json  # noqa: E402
import signal as _signal  # noqa: E402
import socket as _socket  # noqa: E402
import time as _time  # noqa: E402


def free_port():
    s = _socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """A running daemon and a small HTTP client for it."""

    def __init__(self, ox, port, extra_config=''):
        self.ox = ox
        self.port = port
        self.extra_config = extra_config
        self.proc = None
        self.token = None

    def start(self, wait=True):
        self.errlog = open(self.ox.path('daemon.stderr'), 'a')
        self.proc = subprocess.Popen([BIN, 'start', '--foreground'],
                                     env=self.ox.env, stdout=subprocess.PIPE,
                                     stderr=self.errlog, text=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        end = _time.time() + timeout
        while _time.time() < end:
            if self.proc.poll() is not None:
                raise AssertionError('daemon exited: %d\n%s' % (
                    self.proc.returncode, self.stderr()))
            try:
                st, _, _ = self.request('GET', '/health', auth=False)
                if st == 200:
                    return
            except OSError:
                pass
            _time.sleep(0.05)
        raise AssertionError('daemon not ready\n' + self.stderr())

    def stderr(self):
        with open(self.ox.path('daemon.stderr')) as f:
            return f.read()

    def stop(self, sig=_signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.errlog.close()
        return rc

    def stop_clean(self):
        """Stop; the daemon must exit 0 with no sanitizer report."""
        rc = self.stop()
        err = self.stderr()
        assert 'Sanitizer' not in err and 'runtime error' not in err, err
        assert rc == 0, (rc, err)

    def conn(self, timeout=30):
        return http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, auth=True, headers=None,
                raw=None, token=None, timeout=30):
        h = dict(headers or {})
        if auth:
            h['Authorization'] = 'Bearer ' + (token or self.token)
        data = raw
        if body is not None:
            data = _json.dumps(body).encode()
            h.setdefault('Content-Type', 'application/json')
        c = self.conn(timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            text = r.read()
            try:
                j = _json.loads(text) if text else None
            except ValueError:
                j = text.decode(errors='replace')
            return r.status, dict(r.getheaders()), j
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body=body, **kw)


def make_daemon(ox, extra_config=''):
    port = free_port()
    cfg = ('[engine]\nretry_base_ms = 20\nidle_timeout_secs = 30\n'
           'connect_timeout_secs = 2\n'
           'default_model = "openai/gpt-4.1"\n'
           '[gateway]\nport = %d\n' % port) + extra_config
    ox.write_config(cfg)
    r = ox.run('token', 'rotate', '--quiet', check=0)
    d = Daemon(ox, port, extra_config)
    d.token = r.stdout.strip()
    return d


@pytest.fixture
def daemon(llm):
    """A daemon wired to the fake LLM (OpenAI format), token in .token."""
    d = make_daemon(llm)
    d.fake = llm.fake
    d.start()
    yield d
    d.stop_clean()


@contextlib.contextmanager
def dribbling(socks, every):
    """A slow client's trick, for as long as the block runs: one more
    header line on each of `socks` every `every` seconds."""
    stop = threading.Event()

    def drip():
        n = 0
        while not stop.is_set():
            for s in socks:
                try:
                    s.sendall(b'X-Slow-%d: y\r\n' % n)
                except OSError:
                    pass
            n += 1
            stop.wait(every)
    t = threading.Thread(target=drip)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()


import pty as _pty  # noqa: E402
import select as _select  # noqa: E402


class Terminal:
    """A command on a pseudo-terminal, as a person at a terminal runs it:
    expect() what it prints, send() a line, interrupt() it (Ctrl-C).  As
    a context manager, a test that fails kills it."""

    def __init__(self, argv, env):
        self.pid, self.fd = _pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.out = b''

    def _read(self, left):
        r, _, _ = _select.select([self.fd], [], [], left)
        if not r:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            chunk = b''
        self.out += chunk
        return bool(chunk)

    def expect(self, text, timeout=30, since=0):
        """Read until `text` is in out[since:]; the offset after it."""
        want = text.encode()
        end = _time.time() + timeout
        while want not in self.out[since:]:
            left = end - _time.time()
            if left <= 0:
                raise AssertionError('no %r in %r' % (text,
                                                      self.out[-2000:]))
            if not self._read(left):
                raise AssertionError('EOF before %r: %r' % (text,
                                                            self.out))
        return self.out.index(want, since) + len(want)

    def send(self, line):
        os.write(self.fd, line.encode() + b'\r')

    def interrupt(self):
        os.kill(self.pid, _signal.SIGINT)

    def wait(self, timeout=60):
        """Read to the end; the exit code."""
        end = _time.time() + timeout
        while _time.time() < end and self._read(end - _time.time()):
            pass
        if _time.time() >= end:
            os.kill(self.pid, _signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        return os.waitstatus_to_exitcode(status)

    def close(self):
        if self.pid is not None:
            os.kill(self.pid, _signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
