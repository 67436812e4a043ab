"""The CLI skeleton: help, version, exit codes, completion, colour."""
import os
import pty
import select
import subprocess

import pytest


def test_version(oxios):
    r = oxios.run('--version', check=0)
    assert r.stdout.startswith('oxios 0.1.0 (')
    assert 'sqlite' in r.stdout
    assert oxios.run('version', check=0).stdout == r.stdout


def test_help_lists_visible_commands(oxios):
    r = oxios.run('help', check=0)
    for name in ('onboard', 'doctor', 'config', 'completion', 'help',
                 'version'):
        assert '\n  %s ' % name in r.stdout
    assert '__toml' not in r.stdout
    assert oxios.run('--help', check=0).stdout == r.stdout


def test_help_of_a_command(oxios):
    r = oxios.run('help', 'config', check=0)
    assert r.stdout.startswith('usage: oxios config ')
    assert 'set KEY VALUE' in r.stdout
    assert oxios.run('config', '--help', check=0).stdout == r.stdout
    assert oxios.run('doctor', '-h', check=0).stdout.startswith(
        'usage: oxios doctor')


@pytest.mark.parametrize('args', [
    ['nonesuch'], ['--bogus'], ['start', 'stray'], ['stop', '--timeout', 'x'],
    ['status', '--yaml'], ['log', '-n', 'x'], ['token', 'frob'], ['help', 'nonesuch'], ['help', 'a', 'b'],
    ['version', 'extra'], ['completion'], ['completion', 'tcsh'],
    ['config'], ['config', 'frobnicate'], ['config', 'get'],
    ['config', 'set', 'gateway.port'], ['doctor', '--yaml'],
    ['onboard', '--provider'], ['onboard', 'stray'],
])
def test_usage_errors_exit_2_on_stderr(oxios, args):
    r = oxios.run(*args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert r.stdout == ''
    assert r.stderr.strip() != ''


def test_errors_exit_1(oxios):
    r = oxios.run('config', 'get', 'no.such.key')
    assert r.returncode == 1
    assert r.stderr == "oxios: unknown key 'no.such.key' " \
                       "(see: oxios config schema)\n"
    assert r.stdout == ''


def test_bash_completion(oxios, tmp_path):
    script = oxios.run('completion', 'bash', check=0).stdout
    path = tmp_path / 'oxios.bash'
    path.write_text(script)
    assert subprocess.run(['bash', '-n', str(path)]).returncode == 0

    # Drive the completion function as bash would.
    def complete(*words):
        prog = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_oxios\n'
                'printf "%%s\\n" "${COMPREPLY[@]}"\n' % (
                    path, ' '.join("'%s'" % w for w in words),
                    len(words) - 1))
        env = dict(oxios.env, PATH=os.path.dirname(oxios_bin()) + ':' +
                   os.environ['PATH'])
        r = subprocess.run(['bash', '-c', prog], env=env,
                           capture_output=True, text=True)
        return r.stdout.split()

    assert complete('oxios', 'con') == ['config']
    assert complete('oxios', 'do') == ['doctor']
    assert sorted(complete('oxios', 'config', 's')) == ['schema', 'set',
                                                        'show']
    assert complete('oxios', 'config', 'get', 'gateway.p') == ['gateway.port']
    assert complete('oxios', 'completion', 'z') == ['zsh']
    assert '__toml' not in complete('oxios', '')


def oxios_bin():
    from conftest import BIN
    return BIN


@pytest.mark.parametrize('shell', ['zsh', 'fish'])
def test_other_shells(oxios, shell):
    script = oxios.run('completion', shell, check=0).stdout
    for name in ('onboard', 'doctor', 'config', 'completion'):
        assert name in script
    assert '__toml' not in script
    assert 'config schema --keys' in script


def run_in_pty(argv, env):
    """Run argv with a terminal as stdout; return what it printed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b''
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                break
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode()


def test_colour_on_terminals_unless_no_color(oxios, bin_path):
    env = dict(oxios.env, TERM='xterm')
    coloured = run_in_pty([bin_path, 'doctor'], env)
    assert '\x1b[32mok' in coloured
    plain = run_in_pty([bin_path, 'doctor'], dict(env, NO_COLOR='1'))
    assert '\x1b[' not in plain
    assert 'ok' in plain
    # Not a terminal: never coloured.
    assert '\x1b[' not in oxios.run('doctor').stdout


def test_keys_are_listed_for_completion(oxios):
    keys = oxios.run('config', 'schema', '--keys', check=0).stdout.split()
    assert 'gateway.port' in keys
    assert not any('*' in k for k in keys)


def test_binary_does_not_link_libcurl(bin_path):
    """libcurl and its ~30 libraries are loaded only by commands that talk
    HTTP (src/llm/curl_dl.h), not at every start nor in workers."""
    r = subprocess.run(['readelf', '-d', bin_path], capture_output=True,
                       text=True, check=True)
    needed = [l for l in r.stdout.splitlines() if '(NEEDED)' in l]
    assert needed, r.stdout
    assert not any('libcurl' in l for l in needed), needed
