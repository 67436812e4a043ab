"""oxios onboard: non-interactive defaults and flags, and the interactive
dialogue on a terminal, where a typed key is never echoed."""
import os
import tomllib

from conftest import Terminal


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


def test_interactive_on_a_terminal(oxios, bin_path, fake):
    key = 'sk-typed-never-echoed-7'
    fake.load({'api_key': key})
    env = dict(oxios.env, OPENAI_BASE_URL=fake.url + '/v1')
    t = Terminal([bin_path, 'onboard'], env)
    t.expect('No API key in the environment')
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
    # The key typed in was checked: one GET /models, with it.
    assert 'Checking openai at %s/v1 ... ok: it answers and takes the key' \
        % fake.url in out, out
    got = fake.requests()
    assert [(q['method'], q['path']) for q in got] == [('GET', '/v1/models')]
    assert got[0]['headers']['authorization'] == 'Bearer ' + key
    c = config(oxios)
    assert c['engine']['default_model'] == 'openai/gpt-4.1'
    assert c['providers']['openai']['api_key'] == key


def test_defaults_to_the_provider_whose_key_is_set(oxios, bin_path, fake):
    fake.load({'api_key': 'sk-env-key', 'models': ['gpt-4.1', 'gpt-x']})
    env = dict(oxios.env, OPENAI_API_KEY='sk-env-key',
               OPENAI_BASE_URL=fake.url + '/v1')
    t = Terminal([bin_path, 'onboard'], env)
    t.expect('Found in the environment: OPENAI_API_KEY.')
    t.expect('Provider (anthropic, openai, local) [openai]: ')
    t.send('')
    t.expect('Model [gpt-4.1]: ')
    t.send('')
    t.expect('Using OPENAI_API_KEY from the environment.')
    t.expect('Workspace directory')
    t.send('')
    assert t.wait() == 0
    out = t.out.decode()
    assert 'sk-env-key' not in out
    assert ('ok: it answers and takes the key (2 models, the chosen one '
            'among them)') in out, out
    assert config(oxios)['engine']['default_model'] == 'openai/gpt-4.1'
    # A refused key is said, and the setup stands.
    fake.load({'api_key': 'sk-other'})
    t = Terminal([bin_path, 'onboard'], env)
    for prompt in ('[openai]: ', '[gpt-4.1]: ', 'Workspace directory'):
        t.expect(prompt)
        t.send('')
    assert t.wait() == 0
    assert b'the key was refused (HTTP 401)' in t.out, t.out
    # Without a terminal, a first run takes that provider too.
    oxios.run('config', 'unset', 'engine.default_model', check=0)
    oxios.run('onboard', env={'OPENAI_API_KEY': 'sk-env-key'}, check=0)
    assert config(oxios)['engine']['default_model'] == 'openai/gpt-4.1'


def test_enter_keeps_the_current_values(oxios, bin_path, tmp_path):
    ws = tmp_path / 'ws'
    oxios.run('onboard', '--provider', 'local', '--model', 'llama-9b',
              '--base-url', 'http://127.0.0.1:9/v1', '--workspace', str(ws),
              check=0)
    before = config(oxios)
    # Only OPENAI_API_KEY is set: the current provider still wins.
    env = dict(oxios.env, OPENAI_API_KEY='sk-not-this-one')
    t = Terminal([bin_path, 'onboard', '--offline'], env)
    t.expect('[default]: the current value.')
    t.expect('Provider (anthropic, openai, local) [local]: ')
    t.send('')
    t.expect('Model [llama-9b]: ')
    t.send('')
    t.expect('Base URL of the OpenAI-compatible server '
             '[http://127.0.0.1:9/v1]: ')
    t.send('')
    t.expect('Workspace directory [%s]: ' % ws)
    t.send('')
    assert t.wait() == 0
    assert b'Checking' not in t.out  # --offline
    assert config(oxios) == before
    # So does --yes.
    oxios.run('onboard', '--yes', env={'OPENAI_API_KEY': 'x'}, check=0)
    assert config(oxios) == before


def test_a_stored_key_is_kept_on_enter(oxios, bin_path):
    key = 'sk-stored-key-1'
    oxios.run('onboard', '--provider', 'openai', '--key-stdin',
              stdin=key + '\n', check=0)
    t = Terminal([bin_path, 'onboard', '--offline'], oxios.env)
    t.expect('Provider (anthropic, openai, local) [openai]: ')
    t.send('')
    t.expect('Model [gpt-4.1]: ')
    t.send('')
    t.expect('API key: [k]eep the one in config.toml, or [p]aste a new '
             'one [k]: ')
    t.send('')
    t.expect('Workspace directory')
    t.send('')
    assert t.wait() == 0
    assert b'the one in config.toml (kept)' in t.out
    assert key.encode() not in t.out
    assert config(oxios)['providers']['openai']['api_key'] == key


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


def test_a_provider_of_the_file_is_kept(oxios, bin_path, fake):
    fake.load({'require_key': False, 'models': ['m1', 'm2']})
    oxios.write_config('[engine]\ndefault_model = "corp/m1"\n'
                       '[providers.corp]\nbase_url = "%s/v1"\n' % fake.url)
    before = config(oxios)
    t = Terminal([bin_path, 'onboard'], oxios.env)
    t.expect('Provider (anthropic, openai, local) [corp]: ')
    t.send('')
    t.expect('Model [m1]: ')
    t.send('')
    t.expect('Workspace directory')
    t.send('')
    assert t.wait() == 0
    assert b'API key: [' not in t.out  # no key asked
    assert b'Checking corp at %s/v1 ... ok: it answers (2 models, the ' \
        b'chosen one among them)' % fake.url.encode() in t.out, t.out
    assert config(oxios) == before
    # Another name is still refused.
    r = oxios.run('onboard', '--provider', 'corp2')
    assert r.returncode == 2 and "unknown provider 'corp2'" in r.stderr
