"""Configuration checked once and for all (issue 13, item 12): every value
that would make a later run fail is refused when the configuration loads,
naming file:line:col, and every command that reads it stops at once;
config.toml must be a regular file (a FIFO must not hang anything); an
empty or relative OXIOS_HOME is an error.  And one confinement rule: the
workspace API and the agent's tools answer a table of symbolic-link cases
alike, for reading and for writing, with the same messages."""
import json
import os
import shutil
import socket
import time

import pytest

from test_worker import Worker, landlock_abi

QUICK = 10  # seconds: a refused configuration answers well within this


def refused(oxios, *args, env=None):
    t0 = time.monotonic()
    r = oxios.run(*args, env=env, timeout=QUICK)
    took = time.monotonic() - t0
    assert r.returncode != 0, (args, r.stdout, r.stderr)
    assert took < QUICK, took
    assert 'Sanitizer' not in r.stderr, r.stderr
    return r.stderr


# (config text, file:line:col of the key, what the message says)
BAD = [
    ('[exec]\nallowlist = ["ls", "/bin/sh"]\n', ':2:1:',
     "exec.allowlist: '/bin/sh' is not a program name"),
    ('[exec]\nallowlist = [".."]\n', ':2:1:', "'..' is not a program name"),
    ('\n[kernel]\n  workspace = "relative/ws"\n', ':3:3:',
     "kernel.workspace: 'relative/ws' is not an absolute path"),
    ('[kernel]\nworkspace = "/"\n', ':2:1:', 'the workspace cannot be /'),
    ('[kernel]\nworkspace = "/a\\u0000b"\n', ':2:1:', 'NUL'),
    ('[engine]\ndefault_model = "claude"\n', ':2:1:',
     "engine.default_model: 'claude' is not provider/model"),
    ('[engine]\ndefault_model = "local/qwen3"\n', ':2:1:',
     "names no provider 'local'"),
    ('[engine]\nfallback_models = ["openai/gpt-4.1", "claude"]\n', ':2:1:',
     "engine.fallback_models: 'claude' is not provider/model"),
    ('[engine]\nfallback_models = ["openai/gpt-4.1", "local/q"]\n', ':2:1:',
     "engine.fallback_models: 'local/q' names no provider 'local'"),
    ('[ouroboros]\njudge_models = ["openai/o3", "nobody/x"]\n', ':2:1:',
     "ouroboros.judge_models: 'nobody/x' names no provider 'nobody'"),
    ('[ouroboros]\njudge_models = ["o3"]\n', ':2:1:',
     "ouroboros.judge_models: 'o3' is not provider/model"),
    ('[providers.local]\nkind = "openai"\n', ':1:1:',
     'providers.local: a provider needs a base_url'),
    ('[providers.openai]\nbase_url = "api.openai.com/v1"\n', ':2:1:',
     'is not an http:// or https:// URL'),
    ('[providers.local]\nbase_url = "http://h"\napi_key_env = "A B"\n',
     ':3:1:', "'A B' is not the name of an environment variable"),
    ('[providers.anthropic]\napi_key = "sk-ant\\r\\nX-Evil: 1"\n', ':2:1:',
     'holds a space or a control character'),
    ('[gateway]\nhost = "not a host"\n', ':2:1:',
     'is not a host name or an IP address'),
    ('[gateway]\ncors_origins = ["https://app.example/"]\n', ':2:1:',
     'is not an origin'),
    ('[memory]\nembedder = "api"\n', ':2:1:',
     'memory.embedder = "api" needs memory.embedding_url'),
    ('[memory]\nembedding_url = "localhost:11434"\n', ':2:1:',
     'is not an http:// or https:// URL'),
]


@pytest.mark.parametrize('text,where,what', BAD)
def test_bad_value_refused_at_load(oxios, text, where, what):
    oxios.write_config(text)
    cfg = oxios.path('config.toml')
    for args in (['config', 'show'], ['config', 'get', 'gateway.port'],
                 ['run', 'hello']):
        err = refused(oxios, *args)
        assert err.startswith('oxios: ' + cfg + where), (args, err)
        assert what in err, (args, err)
        # A secret is never echoed, even when it is the bad value.
        assert 'X-Evil' not in err, err


def test_config_set_refuses_the_same_and_keeps_the_file(oxios):
    oxios.write_config('[gateway]\nport = 4200\n')
    before = open(oxios.path('config.toml')).read()
    for key, value, what in [
            ('exec.allowlist', 'ls,/bin/sh', "'/bin/sh' is not a program"),
            ('kernel.workspace', 'ws', 'is not an absolute path'),
            ('engine.default_model', 'local/x', "names no provider 'local'"),
            ('providers.openai.base_url', 'ftp://h', 'is not an http'),
            ('gateway.host', 'a b', 'is not a host name'),
            ('memory.embedder', 'api', 'needs memory.embedding_url')]:
        err = refused(oxios, 'config', 'set', key, value)
        assert what in err, (key, err)
        assert len(err.splitlines()) == 1, err
    assert open(oxios.path('config.toml')).read() == before
    # What it accepts loads: a provider, then the model that names it.
    oxios.run('config', 'set', 'providers.local.base_url',
              'http://127.0.0.1:9/v1', check=0)
    oxios.run('config', 'set', 'engine.default_model', 'local/qwen3', check=0)
    oxios.run('config', 'set', 'exec.allowlist', 'sh,git', check=0)
    assert oxios.run('config', 'get', 'exec.allowlist',
                     check=0).stdout == '["sh", "git"]\n'


def test_environment_is_held_to_the_same_rules(oxios):
    err = refused(oxios, 'config', 'show',
                  env={'OPENAI_BASE_URL': 'api.openai.com'})
    assert 'environment variable OPENAI_BASE_URL: providers.openai.' \
        'base_url' in err, err


def test_what_the_load_accepts_the_worker_accepts(oxios, tmp_path):
    """The allowlist rule is the worker's own (path_is_name): the worker
    refuses what the load refuses, and starts with what it accepts."""
    ws = tmp_path / 'ws'
    ws.mkdir()
    w = Worker({'workspace': str(ws), 'allowlist': ['/bin/sh']},
               env=oxios.env)
    try:
        assert w.ready['type'] == 'error', w.ready
        assert 'allowlist' in w.ready['error'], w.ready
    finally:
        w.close()
    w = Worker({'workspace': str(ws), 'allowlist': ['sh', 'ls']},
               env=oxios.env)
    try:
        assert w.ready['type'] == 'ready', w.ready
    finally:
        w.close()


# ---- config.toml must be a regular file ----

COMMANDS = [['config', 'show'], ['config', 'get', 'gateway.port'],
            ['config', 'set', 'gateway.port', '4300'], ['config', 'list'],
            ['run', 'hello'], ['status']]


def special_file(kind, path, tmp_path):
    if kind == 'fifo':
        os.mkfifo(path)
    elif kind == 'directory':
        os.mkdir(path)
    elif kind == 'socket':
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        return s
    elif kind == 'character device':
        os.symlink('/dev/null', path)
    return None


@pytest.mark.parametrize('kind', ['fifo', 'directory', 'socket',
                                  'character device'])
def test_config_that_is_not_a_regular_file(oxios, tmp_path, kind):
    cfg = oxios.path('config.toml')
    os.makedirs(oxios.home, exist_ok=True)
    if os.path.lexists(cfg):
        os.unlink(cfg)
    keep = special_file(kind, cfg, tmp_path)
    try:
        name = 'FIFO' if kind == 'fifo' else kind
        for args in COMMANDS:
            err = refused(oxios, *args)
            assert ('%s: is a %s; the configuration must be a regular '
                    'file' % (cfg, name)) in err, (args, err)
    finally:
        if keep is not None:
            keep.close()
    # Nothing replaced it behind the user's back.
    assert not os.path.isfile(cfg)


def test_config_symlink_to_a_regular_file_is_followed(oxios, tmp_path):
    real = tmp_path / 'real.toml'
    real.write_text('[gateway]\nport = 4301\n')
    os.makedirs(oxios.home, exist_ok=True)
    os.symlink(real, oxios.path('config.toml'))
    assert oxios.run('config', 'get', 'gateway.port',
                     check=0).stdout == '4301\n'


def test_config_too_large(oxios):
    oxios.write_config('#' * (1024 * 1024 + 1) + '\n')
    err = refused(oxios, 'config', 'show')
    assert 'larger than 1048576 bytes' in err, err


# ---- OXIOS_HOME ----

@pytest.mark.parametrize('value,what', [
    ('', 'OXIOS_HOME is set but empty'),
    ('relative/home', "OXIOS_HOME 'relative/home' is a relative path"),
])
def test_oxios_home_empty_or_relative(oxios, tmp_path, value, what):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for args in (['config', 'show'], ['status'], ['run', 'hi'],
                     ['doctor']):
            err = refused(oxios, *args, env={'OXIOS_HOME': value})
            assert err.startswith('oxios: ' + what), (args, err)
            assert len(err.splitlines()) == 1, err
        # Nothing was made in the working directory or in ~/.oxios.
        assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
        # Commands that need no home still run.
        assert oxios.run('version', env={'OXIOS_HOME': value},
                         check=0).stdout.startswith('oxios ')
    finally:
        os.chdir(cwd)


# ---- one confinement rule ----

def make_tree(ws, outside):
    """The table's tree, made fresh in the workspace `ws`."""
    for name in os.listdir(ws):
        p = os.path.join(ws, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    with open(os.path.join(ws, 'in.txt'), 'w') as f:
        f.write('inside\n')
    os.mkdir(os.path.join(ws, 'sub'))
    with open(os.path.join(ws, 'sub', 'f.txt'), 'w') as f:
        f.write('deep\n')
    links = {
        'link_in': 'in.txt',                  # relative, inside
        'link_deep': 'sub/f.txt',
        'link_dotdot_in': 'sub/../in.txt',    # '..' that stays inside
        'sub/link_up_in': '../in.txt',
        'dir_link': 'sub',                    # a directory, inside
        'link_abs_in': os.path.join(ws, 'in.txt'),  # absolute: refused
        'link_out_abs': str(outside / 'secret.txt'),
        'link_out_rel': '../outside/secret.txt',
        'dir_out': str(outside),
        'loop1': 'loop2', 'loop2': 'loop1',
        'dangling_in': 'nothere.txt',
        'dangling_out': '../outside/nothere.txt',
    }
    for name, target in links.items():
        os.symlink(target, os.path.join(ws, name))
    # A hard link to a file outside (same file system): it IS a file of
    # the workspace; reading serves it, writing replaces it (never the
    # outside file).
    os.link(outside / 'hard.txt', os.path.join(ws, 'hard'))


CASES = ['in.txt', 'link_in', 'link_deep', 'link_dotdot_in',
         'sub/link_up_in', 'dir_link/f.txt', 'link_abs_in', 'link_out_abs',
         'link_out_rel', 'dir_out/secret.txt', 'loop1', 'dangling_in',
         'dangling_out', 'hard', 'dir_link', 'sub']
FOLLOWED = {'in.txt': 'inside\n', 'link_in': 'inside\n',
            'link_deep': 'deep\n', 'link_dotdot_in': 'inside\n',
            'sub/link_up_in': 'inside\n', 'dir_link/f.txt': 'deep\n',
            'hard': 'hard outside\n'}
OUTSIDE = ['link_abs_in', 'link_out_abs', 'link_out_rel',
           'dir_out/secret.txt', 'dangling_out']


@pytest.fixture
def both(daemon, tmp_path, oxios):
    """The daemon's workspace API and a worker on the same workspace."""
    ws = os.path.realpath(daemon.ox.path('workspace'))
    os.makedirs(ws, exist_ok=True)
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_text('top-secret-content\n')
    (outside / 'hard.txt').write_text('hard outside\n')
    w = Worker({'workspace': ws, 'allowlist': ['ls'],
                'exec_timeout_secs': 30, 'cpu_secs': 30}, env=oxios.env)
    assert w.ready['type'] == 'ready', w.ready
    yield daemon, w, ws, outside
    w.close()


def api_read(d, path):
    st, _, j = d.get('/api/workspace/file/' + path)
    if st == 200:
        return True, j['content']
    return False, (st, j['error']['message'])


def tool_read(w, path):
    r = w.call('read', path=path)
    if r['ok']:
        # The tool numbers lines: "     1\tinside".
        return True, ''.join(line.split('\t', 1)[1] + '\n'
                             for line in r['output'].splitlines())
    return False, r['error']


def test_reading_one_rule(both):
    d, w, ws, outside = both
    make_tree(ws, outside)
    for path in CASES:
        a_ok, a = api_read(d, path)
        t_ok, t = tool_read(w, path)
        assert a_ok == t_ok, (path, a, t)
        if a_ok:
            assert a == t == FOLLOWED[path], (path, a, t)
            continue
        status, msg = a
        assert msg == t or msg + ' (use ls)' == t, (path, msg, t)
        assert 'top-secret' not in msg, msg
        if path in OUTSIDE:
            assert status == 403, (path, status, msg)
            assert 'leads outside the workspace' in msg or \
                'not followed on this kernel' in msg, (path, msg)
        elif path == 'loop1':
            assert status == 403 and 'too many symbolic links' in msg, msg
        elif path == 'dangling_in':
            assert status == 404 and 'No such file' in msg, msg
        else:
            assert path in ('dir_link', 'sub'), path
            assert status == 409 and 'is a directory' in msg, msg
    assert set(FOLLOWED) == {p for p in CASES if tool_read(w, p)[0]}


def snapshot(ws, outside):
    """What the tree holds: every file's content by where it lives."""
    out = {}
    for top in (ws, str(outside)):
        for dirpath, dirs, files in os.walk(top):
            for f in files:
                p = os.path.join(dirpath, f)
                if os.path.islink(p):
                    out[p] = '-> ' + os.readlink(p)
                elif not f.startswith('.oxios-'):
                    out[p] = open(p).read()
                else:
                    out[p] = 'TEMPORARY FILE LEFT'
    return out


def test_writing_one_rule(both):
    d, w, ws, outside = both
    for path in CASES:
        make_tree(ws, outside)
        st, _, j = d.request('PUT', '/api/workspace/file/' + path,
                             body={'content': 'new\n'})
        api = (st, j)
        after_api = snapshot(ws, outside)
        make_tree(ws, outside)
        r = w.call('write', path=path, content='new\n')
        after_tool = snapshot(ws, outside)
        assert (st == 200) == r['ok'], (path, api, r)
        assert after_api == after_tool, (path, api, r)
        assert open(outside / 'secret.txt').read() == 'top-secret-content\n'
        assert open(outside / 'hard.txt').read() == 'hard outside\n'
        assert not os.path.exists(outside / 'nothere.txt')
        if st == 200:
            assert path in FOLLOWED, path
            assert r['output'].startswith('replaced '), r
            assert j['created'] is False, j
            continue
        assert j['error']['message'] == r['error'], (path, j, r)
        if path in OUTSIDE:
            assert st == 403, (path, j)
    # A new file, and a new one under a linked directory, land inside.
    make_tree(ws, outside)
    st, _, j = d.request('PUT', '/api/workspace/file/dir_link/n/new.txt',
                         body={'content': 'x'})
    assert st == 200 and j['created'] is True, j
    assert open(os.path.join(ws, 'sub', 'n', 'new.txt')).read() == 'x'
    assert w.ok('write', path='dir_link/m/new.txt', content='y') == \
        'created dir_link/m/new.txt (1 bytes)'
    assert open(os.path.join(ws, 'sub', 'm', 'new.txt')).read() == 'y'
    st, _, j = d.request('PUT', '/api/workspace/file/dir_out/n/new.txt',
                         body={'content': 'x'})
    assert st == 403, j
    assert w.call('write', path='dir_out/n/new.txt',
                  content='x')['error'] == j['error']['message']
    assert sorted(os.listdir(outside)) == ['hard.txt', 'secret.txt']


@pytest.mark.skipif(landlock_abi() == 0, reason='no Landlock')
@pytest.mark.parametrize('view', [True, False], ids=['fsview', 'landlock'])
def test_worker_cannot_hard_link_a_file_from_outside(tmp_path, oxios, view):
    """What the hard-link row of docs/security.md relies on: a command of
    the agent cannot make one.  With the filesystem view the file is not
    there at all; without it, Landlock refuses the reparenting."""
    ws = tmp_path / 'ws'
    ws.mkdir()
    (tmp_path / 'outside.txt').write_text('outside\n')
    (ws / 'l.py').write_text('import os\nos.link(%r, "hl")\n' %
                             str(tmp_path / 'outside.txt'))
    w = Worker({'workspace': str(ws), 'allowlist': ['python3'],
                'exec_timeout_secs': 30, 'cpu_secs': 30,
                'sandbox_off': not view}, env=oxios.env)
    try:
        assert w.ready['type'] == 'ready', w.ready
        r = w.call('exec', binary='python3', args=['l.py'])
        why = 'No such file' if view else 'cross-device link'
        assert r['ok'] is False and why in r['error'], r
        assert not (ws / 'hl').exists()
    finally:
        w.close()
