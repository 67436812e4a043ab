"""The worker's filesystem view (src/security/fsview.c), probed the way a
hostile model would: `exec` tool calls scripted through the fake provider
in a real `oxios run`.  Each probe is a small python3 program (python3 is
in /usr, so the view shows it) that prints one JSON line of what it saw.

What the view must hold: a pathname UNIX socket outside the workspace is
unreachable, /etc/shadow unreadable, /proc shows only the namespace's
processes, the workspace is mounted nosuid,nodev (a setuid file there
changes nobody's euid), /tmp is private, /home and /root are absent, and
files written in the workspace reach the host.  `security.sandbox = off`
really turns the view off (the same probes then see the host: that is
what shows each probe can fail), and `required` refuses to start where
the view cannot be built.

Every test runs twice: as the user running the tests, and (when that is
root) as an unprivileged user (setpriv to 65534), whose worker builds the
view inside a user namespace."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

from conftest import BIN, SCRUB

NOBODY = 65534
MARK = 'FSVIEW:'


def userns_ok():
    r = subprocess.run(['setpriv', '--reuid=%d' % NOBODY,
                        '--regid=%d' % NOBODY, '--clear-groups',
                        'unshare', '-U', '-m', 'true'],
                       capture_output=True)
    return r.returncode == 0


@pytest.fixture(params=['self', 'nobody'])
def who(request):
    if request.param == 'nobody':
        if os.geteuid() != 0:
            pytest.skip('the tests already run unprivileged (uid %d): '
                        'the "self" variant covers it' % os.geteuid())
        if shutil.which('setpriv') is None:
            pytest.skip('no setpriv to switch to an unprivileged user')
        if not userns_ok():
            pytest.skip('user namespaces are not available to an '
                        'unprivileged user on this kernel')
    return request.param


class Agent:
    """oxios run, as `who`, wired to the fake provider, with its home
    (and workspace) in a fresh directory under /tmp that `who` owns."""

    def __init__(self, fake, who):
        self.fake = fake
        self.who = who
        self.top = tempfile.mkdtemp(prefix='oxios-fsview-', dir='/tmp')
        self.home = os.path.join(self.top, 'home')
        self.ws = os.path.join(self.home, 'workspace')
        os.makedirs(self.ws)
        self.uid = NOBODY if who == 'nobody' else os.geteuid()
        if who == 'nobody':
            for d, _, files in os.walk(self.top):
                os.chown(d, NOBODY, NOBODY)
                for f in files:
                    os.chown(os.path.join(d, f), NOBODY, NOBODY)
        self.env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        self.env.update({'OXIOS_HOME': self.home, 'HOME': self.top,
                         'OPENAI_BASE_URL': fake.url + '/v1',
                         'OPENAI_API_KEY': 'sk-openai-test-key-0123456789'})
        self.config('')

    def config(self, extra, workspace=None):
        self.run_ws = workspace or self.ws  # where the probes go
        if workspace:
            extra = '[kernel]\nworkspace = "%s"\n' % workspace + extra
        path = os.path.join(self.home, 'config.toml')
        with open(path, 'w') as f:
            f.write('[engine]\nretry_base_ms = 20\n'
                    'default_model = "openai/gpt-4.1"\n'
                    '[exec]\nallowlist = ["python3", "cat", "ls"]\n' + extra)
        if self.who == 'nobody':
            os.chown(path, NOBODY, NOBODY)

    def run(self, *probes):
        """Run each python3 program as one exec call; returns the run's
        JSON and what each probe printed after MARK (parsed)."""
        calls = []
        for i, code in enumerate(probes):
            name = 'probe%d.py' % i  # exec takes no newline in an argument
            with open(os.path.join(self.run_ws, name), 'w') as f:
                f.write(code)
            os.chown(os.path.join(self.run_ws, name), self.uid, self.uid)
            calls.append({'id': 'p%d' % i, 'name': 'exec',
                          'arguments': {'mode': 'structured',
                                        'binary': 'python3', 'args': [name]}})
        self.fake.reset()
        self.fake.load({'turns': [{'tool_calls': calls},
                                  {'text': 'Done.'}]})
        cmd = [BIN, 'run', '--json', 'probe the sandbox']
        if self.who == 'nobody':
            cmd = ['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY,
                   '--clear-groups'] + cmd
        r = subprocess.run(cmd, env=self.env, capture_output=True,
                           text=True, timeout=60)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            raise AssertionError((r.returncode, r.stdout, r.stderr))
        if r.returncode != 0:
            return out, None
        reqs = [q for q in self.fake.requests()
                if q['path'].endswith('/chat/completions')]
        tools = {m['tool_call_id']: m['content']
                 for m in reqs[-1]['body']['messages'] if m['role'] == 'tool'}
        seen = []
        for i in range(len(probes)):
            m = re.findall('(?m)^' + re.escape(MARK) + '(.*)$',
                           tools['p%d' % i])
            assert m, tools['p%d' % i]
            seen.append(json.loads(m[-1]))
        return out, seen

    def close(self):
        shutil.rmtree(self.top, ignore_errors=True)


@pytest.fixture
def agent(fake, who):
    a = Agent(fake, who)
    yield a
    a.close()


def probe(body):
    """A python3 program: `body` sets `r`, which is printed after MARK."""
    return ('import json, os, socket, subprocess, sys\nr = None\n' + body +
            '\nprint(%r + json.dumps(r))\n' % MARK)


def try_read(path):
    return probe('''
try:
    r = 'read %%d bytes' %% len(open(%r, 'rb').read())
except OSError as e:
    r = type(e).__name__
''' % path)


class Listener:
    """A pathname UNIX socket in a directory under /tmp, outside the
    workspace, open to everyone (so that only the view keeps a command
    from it); counts the connections it accepts."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='oxios-sock-', dir='/tmp')
        os.chmod(self.dir, 0o777)
        self.path = os.path.join(self.dir, 's')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            try:
                c.sendall(b'hello from outside\n')
            finally:
                c.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def connect_probe(path):
    return probe('''
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(%r)
    r = 'connected: ' + s.recv(100).decode()
except OSError as e:
    r = type(e).__name__
''' % path)


PROCS = probe('''
r = []
for p in os.listdir('/proc'):
    if p.isdigit():
        try:
            r.append(open('/proc/%s/cmdline' % p, 'rb').read()
                     .replace(b'\\0', b' ').decode())
        except OSError:
            pass
''')

def exists_probe(*paths):
    return probe('r = {p: os.path.exists(p) for p in %r}' % (paths,))


def test_outside_socket_unreachable(agent):
    lst = Listener()
    try:
        out, (seen,) = agent.run(connect_probe(lst.path))
        assert out['sandbox']['fs_view'] is True, out['sandbox']
        assert not seen.startswith('connected'), seen
        assert seen in ('FileNotFoundError', 'PermissionError'), seen
        assert lst.accepted == 0
        # Without the view (and Landlock up to ABI 7 covers no pathname
        # socket) the same probe reaches it: the probe can fail.
        agent.config('[security]\nsandbox = "off"\n')
        out, (seen,) = agent.run(connect_probe(lst.path))
        assert out['sandbox']['fs_view'] is False
        assert seen == 'connected: hello from outside\n', seen
        assert lst.accepted == 1
    finally:
        lst.close()


def test_shadow_unreadable(agent):
    out, seen = agent.run(try_read('/etc/shadow'), try_read('/etc/gshadow'),
                          try_read('/etc/passwd'))
    assert seen[0] in ('PermissionError', 'FileNotFoundError'), seen
    assert seen[1] in ('PermissionError', 'FileNotFoundError'), seen
    assert seen[2].startswith('read '), seen  # /etc itself is there
    assert out['sandbox']['fs_view_masked'] >= 1
    if agent.uid == 0 and os.path.exists('/etc/shadow'):
        agent.config('[security]\nsandbox = "off"\n')
        out, seen = agent.run(try_read('/etc/shadow'))
        assert seen[0].startswith('read '), seen  # root, Landlock's /etc


def test_host_processes_invisible(agent):
    mine = open('/proc/self/cmdline', 'rb').read().replace(
        b'\0', b' ').decode()
    out, (procs,) = agent.run(PROCS)
    assert out['sandbox']['fresh_proc'] is True
    assert procs, procs
    assert all('pytest' not in c for c in procs), procs
    assert mine not in procs
    assert len(procs) < 10, procs  # the worker, its init, the probe
    agent.config('[security]\nsandbox = "off"\n')
    out, (procs,) = agent.run(PROCS)
    assert mine in procs  # the host's /proc: the probe can fail


def test_workspace_is_nosuid_nodev(agent):
    out, (seen,) = agent.run(probe('''
import stat
ws = os.getcwd()
st = os.statvfs(ws)
line = [l.split() for l in open('/proc/self/mountinfo')
        if l.split()[4] == ws]
r = {'ws': ws, 'nosuid': bool(st.f_flag & os.ST_NOSUID),
     'nodev': bool(st.f_flag & os.ST_NODEV),
     'opts': line[-1][5] if line else None}
'''))
    assert seen['ws'] == os.path.realpath(agent.ws)
    assert seen['nosuid'] and seen['nodev'], seen
    assert 'nosuid' in seen['opts'].split(',') and 'nodev' in \
        seen['opts'].split(','), seen
    agent.config('[security]\nsandbox = "off"\n')
    out, (seen,) = agent.run(probe(
        'r = bool(os.statvfs(os.getcwd()).f_flag & os.ST_NOSUID)'))
    assert seen is False  # the host's /tmp is not nosuid here


def test_setuid_file_gives_nothing(agent):
    """A setuid copy of a program owned by another user runs with the
    caller's euid: the workspace is nosuid (and no_new_privs is set)."""
    if os.geteuid() != 0:
        pytest.skip('making a file owned by another user needs root')
    other = 4321
    dst = os.path.join(agent.ws, 'suid-python')
    shutil.copy('/usr/bin/python3', dst)
    os.chown(dst, other, other)
    os.chmod(dst, 0o4755)
    assert os.stat(dst).st_mode & 0o4000
    out, (seen,) = agent.run(probe('''
p = subprocess.run(['./suid-python', '-c', 'import os; print(os.geteuid())'],
                   capture_output=True, text=True)
r = {'euid': p.stdout.strip(), 'err': p.stderr[-200:],
     'mode': oct(os.stat('suid-python').st_mode)}
'''))
    assert seen['mode'].endswith('4755'), seen  # the bit is there ...
    assert seen['euid'] == str(agent.uid), seen  # ... and gives nothing
    # And a command can set the bit on its own copy: still nothing.
    out, (seen,) = agent.run(probe('''
import shutil
shutil.copy('/usr/bin/python3', 'mine')
os.chmod('mine', 0o4755)
p = subprocess.run(['./mine', '-c', 'import os; print(os.geteuid())'],
                   capture_output=True, text=True)
r = p.stdout.strip()
'''))
    assert seen == str(agent.uid), seen


def test_tmp_is_private_home_and_root_absent(agent):
    host = tempfile.NamedTemporaryFile(prefix='oxios-hostfile-', dir='/tmp')
    try:
        out, (seen,) = agent.run(exists_probe(host.name, '/home', '/root',
                                              '/run', '/var', '/sys'))
        assert seen == {host.name: False, '/home': False, '/root': False,
                        '/run': False, '/var': False, '/sys': False}, seen
        # /tmp works, and what is written there stays in the view.
        out, (seen,) = agent.run(probe('''
open('/tmp/inside', 'w').write('x')
r = os.listdir('/tmp')
'''))
        assert 'inside' in seen
        assert not os.path.exists('/tmp/inside')
        agent.config('[security]\nsandbox = "off"\n')
        out, (seen,) = agent.run(exists_probe(host.name, '/home', '/root'))
        assert seen == {host.name: True, '/home': os.path.exists('/home'),
                        '/root': os.path.exists('/root')}, seen
    finally:
        host.close()


def test_workspace_writes_reach_the_host(agent):
    out, (seen,) = agent.run(probe('''
open('made-inside.txt', 'w').write('from the view\\n')
os.makedirs('sub/dir')
open('sub/dir/f', 'w').write('deep')
tmp = os.environ['TMPDIR']
open(os.path.join(tmp, 't'), 'w').write('tmpdir')
r = {'cwd': os.getcwd(), 'tmpdir': tmp}
'''))
    ws = os.path.realpath(agent.ws)
    assert seen == {'cwd': ws, 'tmpdir': ws + '/.tmp'}, seen
    with open(os.path.join(ws, 'made-inside.txt')) as f:
        assert f.read() == 'from the view\n'
    with open(os.path.join(ws, 'sub/dir/f')) as f:
        assert f.read() == 'deep'
    with open(os.path.join(ws, '.tmp/t')) as f:
        assert f.read() == 'tmpdir'
    assert os.stat(os.path.join(ws, 'made-inside.txt')).st_uid == agent.uid


def test_required_and_off_in_the_report(agent):
    agent.config('[security]\nsandbox = "required"\n')
    out, (seen,) = agent.run(exists_probe('/home'))
    assert out['sandbox']['fs_view'] is True and seen == {'/home': False}
    assert out['sandbox']['landlock_scoped'] in (True, False)
    agent.config('[security]\nsandbox = "off"\n')
    out, _ = agent.run(exists_probe('/home'))
    assert out['sandbox']['fs_view'] is False
    assert any('no filesystem view (security.sandbox = off)' in w
               for w in out['sandbox']['warnings']), out['sandbox']


def test_no_capability_left(agent):
    """The worker needs CAP_SYS_ADMIN (over its own namespaces) to build
    the view: none is left to a command.  Root keeps only chown,
    dac_override and fowner (bits 0, 1, 3)."""
    out, (seen,) = agent.run(probe('''
r = {l.split(':')[0]: int(l.split()[1], 16) for l in open('/proc/self/status')
     if l.startswith(('CapEff', 'CapPrm', 'CapAmb', 'CapInh', 'NoNewPrivs'))}
'''))
    want = 0b1011 if agent.uid == 0 else 0
    assert seen == {'CapInh': 0, 'CapPrm': want, 'CapEff': want,
                    'CapAmb': 0, 'NoNewPrivs': 1}, seen


def test_required_refuses_what_cannot_be_viewed(agent):
    """A workspace under /dev cannot be shown in the view: `auto` runs
    without it and says so, `required` refuses to start the worker."""
    if not os.path.isdir('/dev/shm'):
        pytest.skip('no /dev/shm')
    ws = tempfile.mkdtemp(prefix='oxios-fsview-', dir='/dev/shm')
    os.chown(ws, agent.uid, agent.uid)
    try:
        agent.config('', workspace=ws)
        out, (seen,) = agent.run(exists_probe('/home'))
        assert out['sandbox']['fs_view'] is False
        assert any('no filesystem view' in w and 'cannot be shown' in w
                   for w in out['sandbox']['warnings']), out['sandbox']
        agent.config('[security]\nsandbox = "required"\n', workspace=ws)
        out, seen = agent.run(exists_probe('/home'))
        assert seen is None
        assert 'the filesystem view is required' in out['error'], out
    finally:
        shutil.rmtree(ws, ignore_errors=True)


def landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return abi if abi > 0 else 0


def test_abstract_socket_outside_unreachable(agent):
    """Abstract UNIX sockets have no path for the view to hide: Landlock's
    scope (ABI 6+) keeps a command from the test's one."""
    if landlock_abi() < 6:
        pytest.skip('Landlock ABI %d cannot scope abstract sockets'
                    % landlock_abi())
    name = '\0oxios-fsview-%d' % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(name)
    s.listen(1)
    try:
        out, (seen,) = agent.run(probe('''
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(%r)
    r = 'connected'
except OSError as e:
    r = type(e).__name__
''' % name))
        assert out['sandbox']['landlock_scoped'] is True
        assert seen == 'PermissionError', seen
    finally:
        s.close()
