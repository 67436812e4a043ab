"""Configuration through the real binary: first use, show/get/set/list/
reset, bad files, secrets, and docs/config.md kept in step."""
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib

import pytest


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_use_creates_private_home(oxios):
    assert not os.path.exists(oxios.home)
    oxios.run('config', 'show', check=0)
    assert mode(oxios.home) == 0o700
    for sub in ('workspace', 'logs', 'run'):
        assert mode(oxios.path(sub)) == 0o700
    oxios.run('config', 'set', 'gateway.port', '4300', check=0)
    assert mode(oxios.path('config.toml')) == 0o600


def test_show_is_valid_toml_with_defaults(oxios):
    r = oxios.run('config', 'show', check=0)
    doc = tomllib.loads(r.stdout)
    assert doc['gateway'] == {
        'host': '127.0.0.1', 'port': 4200, 'max_body_bytes': 1048576,
        'rate_limit_per_min': 600, 'cors_origins': []}
    assert doc['engine']['default_model'] == 'anthropic/claude-sonnet-4-5'
    for section in ('kernel', 'engine', 'providers', 'gateway', 'exec',
                    'security', 'orchestrator', 'memory', 'cron', 'budget',
                    'audit', 'logging', 'channels'):
        assert section in doc, section
    j = json.loads(oxios.run('config', 'show', '--json', check=0).stdout)
    assert j['gateway']['port'] == 4200
    assert j['engine']['temperature'] == 0.0


def test_set_get_list_reset(oxios):
    oxios.write_config('# mine\n[gateway]\nport = 4200  # keep me\n')
    r = oxios.run('config', 'set', 'gateway.port', '4300', check=0)
    assert r.stdout == 'gateway.port = 4300\n'
    assert oxios.run('config', 'get', 'gateway.port', check=0).stdout == \
        '4300\n'
    text = open(oxios.path('config.toml')).read()
    assert text == '# mine\n[gateway]\nport = 4300  # keep me\n'

    oxios.run('config', 'set', 'engine.default_model', 'openai/gpt-4.1',
              check=0)
    assert oxios.run('config', 'get', 'engine.default_model',
                     check=0).stdout == 'openai/gpt-4.1\n'
    oxios.run('config', 'set', 'exec.allowlist', '["ls", "git"]', check=0)
    oxios.run('config', 'set', 'mcp.servers.files.command', 'mcp-files',
              check=0)
    doc = tomllib.loads(open(oxios.path('config.toml')).read())
    assert doc['exec']['allowlist'] == ['ls', 'git']
    assert doc['mcp']['servers']['files']['command'] == 'mcp-files'

    lines = oxios.run('config', 'list', 'gateway', check=0).stdout
    assert 'gateway.port = 4300  (file)\n' in lines
    assert 'gateway.host = 127.0.0.1  (default)\n' in lines
    assert all(l.startswith('gateway.') for l in lines.splitlines())
    listed = json.loads(oxios.run('config', 'list', '--json',
                                  check=0).stdout)
    port = [e for e in listed if e['key'] == 'gateway.port'][0]
    assert port == {'key': 'gateway.port', 'value': 4300,
                    'type': 'integer', 'source': 'file'}

    oxios.run('config', 'reset', 'gateway.port', check=0)
    assert oxios.run('config', 'get', 'gateway.port', check=0).stdout == \
        '4200\n'
    assert '# keep me' not in open(oxios.path('config.toml')).read()

    r = oxios.run('config', 'reset', check=0)
    assert 'config.toml.bak' in r.stdout
    assert 'mcp-files' in open(oxios.path('config.toml.bak')).read()
    assert 'mcp-files' not in open(oxios.path('config.toml')).read()
    assert oxios.run('config', 'get', 'engine.default_model',
                     check=0).stdout == 'anthropic/claude-sonnet-4-5\n'


def test_set_value_from_stdin(oxios):
    oxios.run('config', 'set', 'engine.default_model', '-',
              stdin='local/qwen3\n', check=0)
    assert oxios.run('config', 'get', 'engine.default_model',
                     check=0).stdout == 'local/qwen3\n'


@pytest.mark.parametrize('key,value,message', [
    ('gateway.port', 'http', "gateway.port: expected integer, got 'http'"),
    ('gateway.port', '70000', 'gateway.port: 70000 is out of range'),
    ('logging.level', 'loud', 'is not one of debug|info|warn|error|off'),
    ('exec.allow_shell', 'yes', 'expected boolean'),
    ('gateway.nope', '1', "unknown key 'gateway.nope'"),
    ('gateway.port', '1\nhost = "0.0.0.0"', 'gateway.port:'),
])
def test_set_refuses_bad_values_and_keeps_file(oxios, key, value, message):
    oxios.write_config('[gateway]\nport = 4200\n')
    r = oxios.run('config', 'set', key, value)
    assert r.returncode == 1
    assert message in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert open(oxios.path('config.toml')).read() == '[gateway]\nport = 4200\n'


@pytest.mark.parametrize('text,where,what', [
    ('[gateway]\nport = "4200"\n', ':2:1:',
     'gateway.port: expected integer, got string'),
    ('[gateway]\nport = 1\n[gateway]\n', ':3:', 'defined'),
    ('[engine]\ndefault_model = "a/b\n', ':2:', ''),
    ('title = \xff\n', ':1:', ''),
    ('[logging]\nlevel = "chatty"\n', ':2:1:', 'is not one of'),
    ('[memory]\nhnsw_m = 1.5\n', ':2:1:', 'expected integer, got float'),
    ('gateway = 1\n', ':1:1:', 'expected a table'),
])
def test_bad_config_one_clear_line(oxios, text, where, what):
    os.makedirs(oxios.home, exist_ok=True)
    with open(oxios.path('config.toml'), 'w', encoding='latin-1') as f:
        f.write(text)
    for args in (['config', 'show'], ['config', 'get', 'gateway.port']):
        r = oxios.run(*args)
        assert r.returncode == 1, r
        assert r.stdout == ''
        lines = r.stderr.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith('oxios: %s%s' % (
            oxios.path('config.toml'), where)), lines[0]
        assert what in lines[0]
    # `doctor` reports it as a failed check and still runs the others.
    r = oxios.run('doctor')
    assert r.returncode == 1
    assert re.search(r'^fail  config ', r.stdout, re.M)
    assert re.search(r'^ok    database ', r.stdout, re.M)


def test_unreadable_config(oxios, tmp_path):
    os.makedirs(oxios.path('config.toml'))  # a directory in the way
    r = oxios.run('config', 'show')
    assert r.returncode == 1
    assert r.stderr == 'oxios: %s: Is a directory\n' % oxios.path(
        'config.toml')
    shutil.rmtree(oxios.path('config.toml'))

    if os.geteuid() != 0:
        oxios.write_config('[gateway]\nport = 1\n')
        os.chmod(oxios.path('config.toml'), 0)
        r = oxios.run('config', 'show')
    else:
        # As root, read permissions do not apply: drop to nobody, in a
        # folder nobody can reach (pytest's tmp_path is private to root).
        top = tempfile.mkdtemp(prefix='oxios-nobody-')
        os.chmod(top, 0o755)
        home = os.path.join(top, 'home')
        os.mkdir(home, 0o700)
        with open(os.path.join(home, 'config.toml'), 'w') as f:
            f.write('[gateway]\nport = 1\n')
        os.chmod(os.path.join(home, 'config.toml'), 0)
        for p in (home, os.path.join(home, 'config.toml')):
            os.chown(p, 65534, 65534)
        try:
            r = subprocess.run(
                ['setpriv', '--reuid=65534', '--regid=65534',
                 '--clear-groups', oxios_bin(), 'config', 'show'],
                env=dict(oxios.env, OXIOS_HOME=home), capture_output=True,
                text=True)
        finally:
            shutil.rmtree(top)
    assert r.returncode == 1
    assert r.stderr.endswith('config.toml: Permission denied\n'), r.stderr
    assert len(r.stderr.splitlines()) == 1


def oxios_bin():
    from conftest import BIN
    return BIN


def test_unknown_keys_warn_with_location(oxios):
    oxios.write_config('[gateway]\nprot = 4300\n')
    r = oxios.run('config', 'get', 'gateway.port', check=0)
    assert r.stdout == '4200\n'
    assert r.stderr == ("oxios: warning: %s:2:1: unknown key 'gateway.prot'"
                        " (ignored)\n" % oxios.path('config.toml'))


SECRET = 'sk-ant-api03-very-secret-value'


def test_secrets_never_shown(oxios):
    env = {'ANTHROPIC_API_KEY': SECRET, 'OXIOS_API_KEY': SECRET + '2'}
    outputs = []
    for args in (['config', 'show'], ['config', 'show', '--json'],
                 ['config', 'list'], ['config', 'list', '--json'],
                 ['config', 'get', 'providers.anthropic.api_key'],
                 ['config', 'get', 'gateway.api_key'],
                 ['doctor'], ['doctor', '--json']):
        r = oxios.run(*args, env=env)
        assert r.returncode == 0, (args, r.stderr)
        outputs.append(r.stdout + r.stderr)
    for out in outputs:
        assert SECRET not in out
    assert oxios.run('config', 'get', 'providers.anthropic.api_key',
                     env=env).stdout == '<redacted>\n'

    # A key stored in the file is not shown either.
    r = oxios.run('config', 'set', 'providers.openai.api_key', '-',
                  stdin=SECRET + '\n', check=0)
    assert SECRET not in r.stdout + r.stderr
    assert mode(oxios.path('config.toml')) == 0o600
    for args in (['config', 'show'], ['config', 'list', 'providers'],
                 ['doctor']):
        r = oxios.run(*args)
        assert SECRET not in r.stdout + r.stderr
    log = open(oxios.path('logs', 'oxios.log')).read() if os.path.exists(
        oxios.path('logs', 'oxios.log')) else ''
    assert SECRET not in log


def test_environment_overrides(oxios):
    oxios.write_config('[providers.openai]\nbase_url = "http://file/v1"\n')
    r = oxios.run('config', 'list', 'providers.openai',
                  env={'OPENAI_BASE_URL': 'http://127.0.0.1:9/v1'}, check=0)
    assert ('providers.openai.base_url = http://127.0.0.1:9/v1  '
            '(env:OPENAI_BASE_URL)') in r.stdout
    r = oxios.run('config', 'show', env={'OXIOS_LOG_LEVEL': 'loud'})
    assert r.returncode == 1
    assert 'environment variable OXIOS_LOG_LEVEL' in r.stderr


def test_docs_config_md_matches_schema(oxios, root):
    """docs/config.md carries the table `oxios config schema --markdown`
    prints; a key added to the schema must be documented."""
    table = oxios.run('config', 'schema', '--markdown', check=0).stdout
    doc = open(os.path.join(root, 'docs', 'config.md')).read()
    m = re.search(r'<!-- schema:begin -->\n(.*?)<!-- schema:end -->', doc,
                  re.S)
    assert m, 'docs/config.md lacks the schema markers'
    assert m.group(1) == table, \
        'docs/config.md is stale: regenerate with scripts/gen-config-doc.sh'
