"""oxios __worker, the sandboxed hands of an agent, driven over its socket
(docs/worker-protocol.md): the policy and ready lines, calls and results,
malformed input, and escapes that must fail with a clear tool error while
the worker keeps serving: writes and reads outside the workspace, symbolic
links and "..", the network, the CPU limit, other processes' secrets,
namespaces, device nodes; nothing outlives the worker's process group."""
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN

KEY = 'sk-ant-worker-test-0123456789'


def landlock_abi():
    """The kernel's Landlock ABI, asked independently of oxios."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return abi if abi > 0 else 0


class Worker:
    """`oxios __worker` with one end of a socketpair as its fd 3."""

    def __init__(self, policy, env=None):
        self.sock, child = socket.socketpair()
        env = dict(os.environ if env is None else env)
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (child)
            try:
                os.setpgid(0, 0)
                if child.fileno() != 3:
                    os.dup2(child.fileno(), 3)
                else:
                    os.set_inheritable(3, True)
                os.closerange(4, 4096)
                os.execve(BIN, [BIN, '__worker'], env)
            finally:
                os._exit(127)
        child.close()
        self.buf = b''
        self.next_id = 0
        self.status = None
        self.send(dict(policy, type='policy'))
        self.ready = self.recv(timeout=15)

    def send(self, obj):
        self.sock.sendall((json.dumps(obj) + '\n').encode())

    def recv(self, timeout=60):
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no line from the worker')
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise EOFError('the worker closed its socket')
                self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def call(self, tool, timeout=60, **args):
        self.next_id += 1
        self.send({'type': 'call', 'id': self.next_id, 'tool': tool,
                   'args': args})
        r = self.recv(timeout)
        assert r['type'] == 'result' and r['id'] == self.next_id, r
        return r

    def ok(self, tool, **args):
        r = self.call(tool, **args)
        assert r['ok'] is True, r
        return r['output']

    def fails(self, tool, *needles, **args):
        """The call must fail, its error naming every needle."""
        r = self.call(tool, **args)
        assert r['ok'] is False, r
        for n in needles:
            assert n in r['error'], (n, r['error'])
        return r['error']

    def wait(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = st
                return st
            time.sleep(0.02)
        raise TimeoutError('the worker did not exit')

    def close(self):
        if self.status is None:
            self.sock.close()
            try:
                self.wait()
            except TimeoutError:
                os.killpg(self.pid, signal.SIGKILL)
                self.wait()
        return self.status


@pytest.fixture
def home(tmp_path):
    """An OXIOS_HOME with a config (and a secret in it), its workspace
    inside, and a user's home with a secret outside both."""
    h = tmp_path / 'home'
    (h / 'workspace').mkdir(parents=True)
    (h / 'config.toml').write_text('# secret: hunter2\n')
    user = tmp_path / 'user'
    user.mkdir()
    (user / 'secret').write_text('hunter2\n')
    return h


@pytest.fixture
def spawn(home):
    workers = []

    def start(env=None, **policy):
        p = {'workspace': str(home / 'workspace'),
             'allowlist': ['cat', 'ls', 'touch', 'python3', 'env', 'sleep',
                           'mknod', 'unshare'],
             'exec_timeout_secs': 30, 'cpu_secs': 30}
        p.update(policy)
        e = dict(os.environ, OXIOS_HOME=str(home), HOME=str(home.parent /
                                                             'user'),
                 ANTHROPIC_API_KEY=KEY, OPENAI_API_KEY=KEY,
                 OXIOS_API_KEY=KEY)
        if env:
            e.update(env)
        w = Worker(p, e)
        workers.append(w)
        return w
    yield start
    for w in workers:
        if w.status is None:
            try:
                os.killpg(w.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            w.wait()


def live(word):
    """pids of live (not zombie) processes whose command line starts with
    word."""
    found = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
            with open('/proc/%s/stat' % d) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if cmd.startswith(word) and state != 'Z':
            found.append(int(d))
    return found


def gone(word, timeout=3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not live(word):
            return True
        time.sleep(0.02)
    return False


def test_ready_report(spawn):
    w = spawn()
    assert w.ready['type'] == 'ready' and w.ready['version'] == 1
    sb = w.ready['sandbox']
    assert sb['landlock'] == landlock_abi()
    assert sb['seccomp'] is True
    assert sb['no_new_privs'] is True
    assert sb['rlimits'] is True
    assert sb['network'] is False
    assert isinstance(sb['warnings'], list)
    assert sb['workspace'] == os.path.realpath(w.ready['sandbox']
                                               ['workspace'])
    assert w.ok('ls') == '.tmp/\n'
    assert w.close() == 0  # EOF: exit 0


@pytest.fixture
def confined(spawn):
    """A worker under Landlock (skipped only where the kernel has none),
    without its filesystem view, so that what these tests try meets
    Landlock, the second layer (test_sandbox_fs.py tests the view)."""
    if landlock_abi() == 0:
        pytest.skip('this kernel has no Landlock')
    return spawn(sandbox_off=True)


def test_write_outside_fails(confined, tmp_path):
    w = confined
    target = tmp_path / 'escaped'
    w.fails('write', 'absolute paths are not allowed', path=str(target),
            content='x')
    w.fails('write', 'leaves the workspace', path='../escaped', content='x')
    w.fails('exec', 'Permission denied', binary='touch', args=[str(target)])
    w.fails('exec', 'Permission denied', binary='touch', args=['/tmp/x-%d'
                                                                % os.getpid()])
    assert not target.exists()
    assert not os.path.exists('/tmp/x-%d' % os.getpid())
    assert w.ok('write', path='inside.txt', content='ok') == \
        'created inside.txt (2 bytes)'


def test_oxios_home_is_out_of_reach(confined, home):
    w = confined
    w.fails('read', 'leaves the workspace', path='../config.toml')
    err = w.fails('exec', 'Permission denied', binary='cat',
                  args=[str(home / 'config.toml')])
    assert 'hunter2' not in err
    w.fails('exec', 'Permission denied', binary='ls', args=[str(home)])


def test_symlink_out_fails(confined, home):
    w = confined
    ws = home / 'workspace'
    os.symlink(home / 'config.toml', ws / 'cfg')
    os.symlink(home, ws / 'h')
    w.fails('read', 'leads outside the workspace', path='cfg')
    w.fails('read', 'leads outside the workspace', path='h/config.toml')
    w.fails('ls', 'leads outside the workspace', path='h')
    w.fails('write', 'leads outside the workspace', path='h/new', content='x')
    assert not (home / 'new').exists()
    # Programs follow the link, and Landlock stops them there.
    err = w.fails('exec', 'Permission denied', binary='cat', args=['cfg'])
    assert 'hunter2' not in err
    assert w.ok('grep', pattern='hunter2') == 'no matches\n'


def test_dotdot_fails(confined):
    w = confined
    for path in ('..', '../config.toml', 'a/../../config.toml',
                 './../workspace/../config.toml'):
        w.fails('read', 'leaves the workspace', path=path)
    w.fails('ls', 'leaves the workspace', path='..')
    w.fails('find', 'leaves the workspace', pattern='*', path='..')
    w.fails('grep', 'leaves the workspace', pattern='x', path='../..')
    w.fails('exec', 'leaves the workspace', binary='ls', cwd='..')
    w.fails('read', 'NUL byte', path='a\u0000b')
    assert w.ok('ls', path='sub/..') == '.tmp/\n'


def test_system_dirs_readable_home_not(confined, home):
    w = confined
    f = '/etc/hostname' if os.path.exists('/etc/hostname') else \
        '/etc/os-release'
    with open(f) as fh:
        want = fh.read()
    assert w.ok('exec', binary='cat', args=[f]) == want
    secret = home.parent / 'user' / 'secret'
    err = w.fails('exec', 'Permission denied', binary='cat',
                  args=[str(secret)])
    assert 'hunter2' not in err
    # $HOME inside the sandbox is the workspace.
    assert w.ok('exec', binary='env').count('HOME=%s\n' % os.path.realpath(
        home / 'workspace')) == 1
    # No writing to system directories either.
    w.fails('exec', 'Permission denied', binary='touch', args=['/etc/x'])


def listener():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    srv.settimeout(0.5)
    return srv


CONNECT = '''import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", %d), timeout=5)
    s.sendall(b"hi")
    print("connected")
except OSError as e:
    print("refused:", e)
    sys.exit(3)
'''


def test_network_refused(spawn):
    w = spawn()
    srv = listener()
    port = srv.getsockname()[1]
    w.ok('write', path='connect.py', content=CONNECT % port)
    w.fails('exec', 'exit code 3', 'refused:', binary='python3',
            args=['connect.py'])
    with pytest.raises(socket.timeout):
        srv.accept()
    assert w.ok('ls').startswith('.tmp/')


def test_network_allowed(spawn):
    w = spawn(allow_network=True)
    assert w.ready['sandbox']['network'] is True
    srv = listener()
    srv.settimeout(10)
    port = srv.getsockname()[1]
    w.ok('write', path='connect.py', content=CONNECT % port)
    got = []
    t = threading.Thread(target=lambda: got.append(srv.accept()))
    t.start()
    assert w.ok('exec', binary='python3', args=['connect.py']) == \
        'connected\n'
    t.join()
    assert got


def test_cpu_limit_kills_command(spawn):
    w = spawn(cpu_secs=1)
    t0 = time.monotonic()
    w.fails('exec', 'killed by SIGXCPU: CPU limit 1 s', binary='python3',
            args=['-c', 'while True: pass'])
    assert time.monotonic() - t0 < 10
    assert w.ok('exec', binary='python3', args=['-c', 'print(6 * 7)']) == \
        '42\n'


def test_grep_cannot_run_away(spawn, home):
    """A pattern that backtracking matchers take minutes over is refused
    (backreferences) or answered at once (linear time), and the worker
    goes on serving."""
    w = spawn(cpu_secs=5)
    (home / 'workspace' / 'a.txt').write_text(('a' * 40 + '\n') * 50)
    t0 = time.monotonic()
    w.fails('grep', 'backreferences are not supported',
            pattern=r'(.*)(.*)(.*)(.*)(.*)\5\4\3\2\1x')
    assert w.ok('grep', pattern=r'^(a|a)*(a|aa)*b') == 'no matches\n'
    assert time.monotonic() - t0 < 5
    assert w.ok('grep', pattern=r'\ba{40}\b', max_results=1) == \
        'a.txt:1:' + 'a' * 40 + '\n(stopped after 1 matches)\n'


def test_no_keys_in_environment(spawn):
    w = spawn(sandbox_off=True)  # our /proc/PID is visible: Landlock's
    out = w.ok('exec', binary='env')
    assert KEY not in out
    for name in ('ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OXIOS_API_KEY',
                 'OXIOS_HOME'):
        assert name not in out
    ws = os.path.realpath(w.ready['sandbox']['workspace'])
    assert sorted(out.splitlines()) == sorted([
        'PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=' + ws,
        'TMPDIR=' + ws + '/.tmp', 'LANG=C.UTF-8'])
    # Nor in the worker's own /proc/PID/environ (it re-executed itself).
    pids = [w.pid] + [int(p) for p in open(
        '/proc/%d/task/%d/children' % (w.pid, w.pid)).read().split()]
    for pid in pids:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            assert KEY.encode() not in f.read()
    # A command cannot read another process's environment: ours has it.
    if landlock_abi() > 0:
        os.environ['OXIOS_TEST_SECRET'] = KEY
        try:
            err = w.fails('exec', 'Permission denied', binary='cat',
                          args=['/proc/%d/environ' % os.getpid()])
            assert KEY not in err
        finally:
            del os.environ['OXIOS_TEST_SECRET']


def test_namespaces_and_devices_refused(spawn):
    w = spawn()
    w.fails('exec', 'Operation not permitted', binary='unshare',
            args=['--user', 'true'])
    w.fails('exec', 'Operation not permitted', binary='mknod',
            args=['disk', 'b', '8', '0'])
    assert not os.path.exists(os.path.join(w.ready['sandbox']['workspace'],
                                           'disk'))


def test_killing_the_group_leaves_nothing(spawn):
    w = spawn(allow_shell=True)
    w.next_id += 1
    w.send({'type': 'call', 'id': w.next_id, 'tool': 'exec',
            'args': {'mode': 'shell', 'command': 'sleep 331.25 & setsid sleep 332.25 & '
                              'sleep 333.25'}})
    deadline = time.monotonic() + 10
    while len(live('sleep 33')) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    pids = live('sleep 33')
    assert len(pids) == 3
    os.killpg(w.pid, signal.SIGKILL)
    w.wait()
    assert gone('sleep 33'), live('sleep 33')


def test_hangup_ends_the_command(spawn):
    w = spawn()
    w.next_id += 1
    w.send({'type': 'call', 'id': w.next_id, 'tool': 'exec',
            'args': {'binary': 'sleep', 'args': ['334.25']}})
    deadline = time.monotonic() + 10
    while not live('sleep 334.25') and time.monotonic() < deadline:
        time.sleep(0.02)
    assert live('sleep 334.25')
    w.sock.close()
    w.wait()
    assert gone('sleep 334.25')


def test_timeout_kills_even_setsid(spawn):
    w = spawn(allow_shell=True, exec_timeout_secs=1)
    w.fails('exec', 'timed out after 1 s', mode='shell', command='setsid sleep 341.25 & '
            'echo started; sleep 342.25')
    assert gone('sleep 341.25') and gone('sleep 342.25')
    assert w.ok('exec', binary='sleep', args=['0']) == '(no output)'


def test_structured_exec_rules(spawn):
    w = spawn()
    w.fails('exec', 'shell mode is not allowed', mode='shell', command='ls | wc -l')
    w.fails('exec', "'rm' is not an allowed program", binary='rm',
            args=['-rf', '.'])
    w.fails('exec', "metacharacter ';'", binary='ls', args=['; rm -rf .'])
    w.fails('exec', 'is not an allowed program', binary='/usr/bin/rm')
    assert w.ok('exec', binary='/usr/bin/env', args=['-0']) is not None


def test_output_is_capped(spawn):
    w = spawn(max_output_bytes=2048)
    r = w.call('exec', binary='python3',
               args=['-c', 'print("x" * 100000)'])
    assert r['ok'] is True and r['truncated'] is True
    assert 'output cut' in r['output'] and len(r['output']) < 2300


def test_malformed_requests_keep_it_serving(spawn):
    w = spawn()
    w.sock.sendall(b'this is not json\n')
    r = w.recv()
    assert r == {'type': 'result', 'id': None, 'ok': False,
                 'error': r['error']}
    assert r['error'].startswith('malformed request')
    for bad, msg in (({'type': 'call', 'id': 7}, "'tool' must be"),
                     ({'type': 'nope', 'id': 8}, '"type" must be "call"'),
                     ({'type': 'call', 'tool': 'ls'}, "'id' must be"),
                     ([1, 2], 'not a JSON object')):
        w.send(bad)
        r = w.recv()
        assert r['ok'] is False and msg in r['error'], r
    w.send({'type': 'call', 'id': 9, 'tool': 'ls', 'args': [1]})
    r = w.recv()
    assert r['id'] == 9 and 'must be an object' in r['error']
    w.send({'type': 'call', 'id': 10, 'tool': 'format_disk', 'args': {}})
    assert w.recv()['error'] == "unknown tool 'format_disk'"
    # A line over the cap (16 MiB) is skipped whole.
    w.sock.sendall(b'{"type":"call","id":11,"tool":"write","args":'
                   b'{"path":"big","content":"' + b'a' * (17 << 20) +
                   b'"}}\n')
    r = w.recv()
    assert r['ok'] is False and 'request too large' in r['error']
    assert w.ok('ls') == '.tmp/\n'
    assert w.close() == 0


@pytest.mark.parametrize('policy, msg', [
    ({}, "'workspace' must be an absolute path"),
    ({'workspace': 'rel'}, "'workspace' must be an absolute path"),
    ({'workspace': '/tmp', 'allowlist': ['/bin/sh']}, 'program names'),
    ({'workspace': '/tmp', 'cpu_secs': -1}, "'cpu_secs' must be"),
    ({'workspace': '/dev/null/ws'}, 'Not a directory'),
])
def test_bad_policy_is_refused(policy, msg):
    w = Worker.__new__(Worker)
    w.sock, child = socket.socketpair()
    w.buf, w.status = b'', None
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        try:
            os.dup2(child.fileno(), 3)
            os.closerange(4, 4096)
            os.execv(BIN, [BIN, '__worker'])
        finally:
            os._exit(127)
    child.close()
    w.pid = pid
    w.send(dict(policy, type='policy'))
    r = w.recv()
    assert r['type'] == 'error' and msg in r['error'], r
    st = w.wait()
    assert os.WIFEXITED(st) and os.WEXITSTATUS(st) != 0


def test_needs_fd_3():
    r = subprocess.run([BIN, '__worker'], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2
    assert 'fd 3' in r.stderr


def test_sandbox_required(spawn):
    if landlock_abi() == 0:
        pytest.skip('this kernel has no Landlock')
    w = spawn(sandbox_required=True)
    assert w.ready['type'] == 'ready'
