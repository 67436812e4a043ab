"""Shared fixtures: the real oxios binary, run with a temporary OXIOS_HOME."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get('OXIOS_BIN', os.path.join(ROOT, 'build', 'oxios'))

# Variables of the user's environment that would change what oxios does.
SCRUB = ('ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENAI_BASE_URL',
         'ANTHROPIC_BASE_URL', 'OXIOS_API_KEY', 'OXIOS_LOG_LEVEL',
         'TELEGRAM_BOT_TOKEN', 'NO_COLOR')


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
