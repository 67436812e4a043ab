"""The browser end-to-end tests (tests/e2e): a real daemon (the ASan
binary, OXIOS_BIN) wired to the fake LLM, and one `node run.mjs NAME` per
scenario driving Debian's chromium through playwright-core.  npm's
packages come from package-lock.json (`npm ci`, run by tests/run)."""
import http.server
import importlib.util
import os
import subprocess
import tempfile
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The integration tests' helpers (Oxios, make_daemon, the fake), loaded
# under a name of their own: this directory has its own conftest.
_spec = importlib.util.spec_from_file_location(
    'integration_conftest',
    os.path.join(ROOT, 'tests', 'integration', 'conftest.py'))
ic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ic)

ARTIFACTS = os.environ.get('E2E_ARTIFACTS',
                           os.path.join(HERE, 'artifacts'))


def serve(extra_config='', anthropic=True, prepare=None):
    """A daemon with the fake LLM behind it, for a fixture to yield:
    `extra_config` in its config.toml, the Anthropic provider pointed at
    the fake too when `anthropic`, `prepare(ox, fake)` run on its home
    before it starts.  The caller ends it with stop(d)."""
    from fake_llm import FakeLLM
    fake = FakeLLM().start()
    home = tempfile.mkdtemp(prefix='oxios-e2e-')
    ox = ic.Oxios(os.path.join(home, 'home'))
    if anthropic:
        ox.env.update({'ANTHROPIC_BASE_URL': fake.url,
                       'ANTHROPIC_API_KEY': ic.ANTHROPIC_KEY})
    ox.env.update({
        'OPENAI_BASE_URL': fake.url + '/v1',
        'OPENAI_API_KEY': ic.OPENAI_KEY,
    })
    ox.fake = fake
    d = ic.make_daemon(ox, extra_config)
    if prepare is not None:
        prepare(ox, fake)
    d.start()
    d.fake = fake
    d.control = Control(d)
    return d


def stop(d):
    d.control.stop()
    d.stop_clean()
    d.fake.stop()


@pytest.fixture(scope='module')
def dash():
    """A daemon with the fake LLM behind it, shared by a file's tests."""
    d = serve('[exec]\nallowlist = ["ls", "sleep"]\n')
    yield d
    stop(d)


class Control:
    """What a scenario cannot do from the browser: POST /restart stops
    the daemon (SIGTERM) and starts it again on the same port and home,
    answering once it is ready (a lost and regained connection)."""

    def __init__(self, d):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                if self.path != '/restart':
                    self.send_error(404)
                    return
                d.stop()
                d.start()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def scenario(d, name, timeout=120):
    """Run scenarios/NAME.mjs; fail with what it said."""
    env = dict(os.environ, OXIOS_URL='http://127.0.0.1:%d' % d.port,
               OXIOS_TOKEN=d.token, FAKE_URL=d.fake.url,
               CONTROL_URL=d.control.url,
               E2E_ARTIFACTS=ARTIFACTS)
    r = subprocess.run(['node', os.path.join(HERE, 'run.mjs'), name],
                       cwd=HERE, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
