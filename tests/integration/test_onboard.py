"""oxios onboard: non-interactive defaults and flags, and the interactive
dialogue on a terminal, where a typed key is never echoed."""
import os
import pty
import select
import time
import tomllib


def config(oxios):
    with open(oxios.path('config.toml'), 'rb') as f:
        return tomllib.load(f)


def test_non_interactive_defaults(oxios):
    r = oxios.run('onboard', check=0)
    assert 'Oxios is set up in' in r.stdout
    assert os.path.exists(oxios.path('oxios.db'))
    assert os.stat(oxios.path('config.toml')).st_mode & 0o777 == 0o600
    assert config(oxios) == {}  # the template: every key commented
    assert oxios.run('config', 'get', 'engine.default_model',
                     check=0).stdout == 'anthropic/claude-sonnet-4-5\n'
    assert 'ANTHROPIC_API_KEY' in r.stdout


def test_flags(oxios):
    oxios.run('onboard', '--provider', 'openai', '--model', 'gpt-4.1-mini',
              check=0)
    assert config(oxios)['engine']['default_model'] == 'openai/gpt-4.1-mini'
    # Re-running without flags keeps what was chosen.
    oxios.run('onboard', '--yes', check=0)
    assert config(oxios)['engine']['default_model'] == 'openai/gpt-4.1-mini'


def test_local_provider(oxios, tmp_path):
    ws = tmp_path / 'ws'
    oxios.run('onboard', '--provider', 'local', '--model', 'qwen3',
              '--base-url', 'http://127.0.0.1:8080/v1',
              '--workspace', str(ws), check=0)
    c = config(oxios)
    assert c['engine']['default_model'] == 'local/qwen3'
    assert c['providers']['local'] == {'kind': 'openai',
                                       'base_url': 'http://127.0.0.1:8080/v1'}
    assert c['kernel']['workspace'] == str(ws)
    assert ws.is_dir()


def test_key_from_stdin_is_stored_not_shown(oxios):
    key = 'sk-onboard-secret-42'
    r = oxios.run('onboard', '--provider', 'openai', '--key-stdin',
                  stdin=key + '\n', check=0)
    assert key not in r.stdout + r.stderr
    assert config(oxios)['providers']['openai']['api_key'] == key
    assert os.stat(oxios.path('config.toml')).st_mode & 0o777 == 0o600
    r = oxios.run('onboard', '--key-stdin', stdin='')
    assert r.returncode == 1
    assert 'no key on stdin' in r.stderr


def test_bad_input(oxios):
    r = oxios.run('onboard', '--provider', 'skynet')
    assert r.returncode == 2
    assert "unknown provider 'skynet'" in r.stderr
    r = oxios.run('onboard', '--workspace', 'relative/dir', '--yes')
    assert r.returncode == 1
    assert 'absolute' in r.stderr


class Terminal:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.out = b''

    def expect(self, text, timeout=20):
        end = time.time() + timeout
        while text.encode() not in self.out:
            left = end - time.time()
            if left <= 0:
                raise AssertionError('no %r in %r' % (text, self.out))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b''
                if not chunk:
                    raise AssertionError('EOF before %r: %r' % (text,
                                                                self.out))
                self.out += chunk

    def send(self, line):
        os.write(self.fd, line.encode() + b'\n')

    def wait(self):
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.out += chunk
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_interactive_on_a_terminal(oxios, bin_path):
    key = 'sk-typed-never-echoed-7'
    t = Terminal([bin_path, 'onboard'], oxios.env)
    t.expect('Provider (anthropic, openai, local) [anthropic]: ')
    t.send('openai')
    t.expect('Model [gpt-4.1]: ')
    t.send('')
    t.expect('[p]aste it now')
    t.send('p')
    t.expect('API key (not shown): ')
    t.send(key)
    t.expect('Workspace directory')
    t.send('')
    assert t.wait() == 0
    out = t.out.decode()
    assert 'Oxios is set up' in out
    assert key not in out
    c = config(oxios)
    assert c['engine']['default_model'] == 'openai/gpt-4.1'
    assert c['providers']['openai']['api_key'] == key


def test_onboarding_makes_the_api_token_once(oxios):
    r = oxios.run('onboard', check=0)
    line = [l for l in r.stdout.splitlines() if 'API token:' in l][0]
    token = line.split()[-1]
    assert token.startswith('oxt_') and len(token) == 47
    with open(oxios.path('auth', 'token.hash')) as f:
        stored = f.read()
    assert token not in stored and stored.startswith('blake2b-256:')
    assert oct(os.stat(oxios.path('auth', 'token.hash')).st_mode & 0o777) \
        == '0o600'
    # Onboarding again keeps it (and does not show it again).
    r = oxios.run('onboard', '--yes', check=0)
    assert 'oxt_' not in r.stdout and 'API token: exists' in r.stdout
    r = oxios.run('token', 'status', '--json', check=0)
    assert '"exists": true' in r.stdout
