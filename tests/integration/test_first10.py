"""The first ten minutes (issue 16): `oxios -f`, suggestions for a
mistyped command or option, `oxios stop` naming the daemon's pid, and
the rest of what a new user meets first.  The real binary, the fake LLM
and a temporary OXIOS_HOME."""
import json
import os
import pty
import subprocess

import pytest

from conftest import BIN, make_daemon


@pytest.mark.parametrize('flag', ['--foreground', '-f'])
def test_foreground_flag_starts_the_daemon_and_stop_names_its_pid(oxios,
                                                                  flag):
    d = make_daemon(oxios)
    errlog = open(oxios.path('daemon.stderr'), 'a')
    proc = subprocess.Popen([BIN, flag], env=oxios.env,
                            stdout=subprocess.PIPE, stderr=errlog, text=True)
    d.proc = proc
    d.errlog = errlog
    try:
        d.wait_ready()
        assert int(open(oxios.path('run', 'oxios.pid')).read()) == proc.pid
        r = oxios.run('stop', check=0, timeout=60)
        assert 'oxios stopped (pid %d,' % proc.pid in r.stdout, r.stdout
        assert proc.wait(timeout=30) == 0
    finally:
        d.stop()
    err = d.stderr()
    assert 'Sanitizer' not in err and 'runtime error' not in err, err


def test_foreground_flag_passes_the_rest_to_start(oxios):
    r = oxios.run('-f', '--bogus')
    assert r.returncode == 2
    assert 'usage: oxios start' in r.stderr, r.stderr


@pytest.mark.parametrize('args,hint', [
    (['statu'], "unknown command 'statu' (did you mean 'oxios status'?)"),
    (['lgo'], "did you mean 'oxios log'?"),
    (['memroy', 'search', 'x'], "did you mean 'oxios memory'?"),
    (['--stats'], "unknown option '--stats' (did you mean 'oxios "
                  "status'?)"),
    (['--markdown'], "did you mean 'oxios config --markdown'?"),
    (['--json'], "it goes after a command ('oxios COMMAND --json'"),
    (['xyzzy'], "unknown command 'xyzzy' (see: oxios help)"),
    (['--xyzzy'], "unknown option '--xyzzy' (see: oxios help)"),
])
def test_mistakes_suggest_the_right_command(oxios, args, hint):
    r = oxios.run(*args)
    assert r.returncode == 2, r
    assert hint in r.stderr, r.stderr
    assert r.stdout == ''
    assert len(r.stderr.splitlines()) == 1, r.stderr


# ---- memory search: which recall it used ----

def test_memory_search_says_which_recall_it_used(oxios):
    oxios.run('memory', 'add', 'I prefer tabs in C code', check=0)
    r = oxios.run('memory', 'search', 'indentation', check=0)
    assert r.stdout == 'nothing found\n'
    notes = [ln for ln in r.stderr.splitlines() if 'note:' in ln]
    assert len(notes) == 1, r.stderr
    assert 'recall by keywords and TF-IDF' in notes[0]
    assert 'memory.embedder api' in notes[0]
    assert 'memory.embedding_url' in notes[0]
    assert '/v1/embeddings' in notes[0]
    r = oxios.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    assert r.stderr.count('note: recall by keywords and TF-IDF') == 1
    # Not with --json (the array is all of stdout), nor by keywords alone.
    r = oxios.run('memory', 'search', 'tabs', '--json', check=0)
    assert r.stderr == '' and json.loads(r.stdout)[0]['id'] == 1
    r = oxios.run('memory', 'search', 'tabs', '--mode', 'keyword', check=0)
    assert r.stderr == ''


def test_memory_search_with_an_api_embedder(llm):
    cfg = ('[engine]\nretry_base_ms = 20\n[memory]\nembedder = "api"\n'
           'embedding_url = "%s/v1"\nembedding_model = "fake-embed"\n')
    llm.write_config(cfg % llm.fake.url)
    llm.env['OXIOS_EMBEDDING_API_KEY'] = 'sk-openai-test-key-0123456789'
    llm.run('memory', 'add', 'I prefer tabs in C code', check=0)
    r = llm.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    assert 'note:' not in r.stderr, r.stderr
    # The embedder down: the search goes on by keywords and says why.
    llm.write_config(cfg % 'http://127.0.0.1:9')
    r = llm.run('memory', 'search', 'tabs', check=0)
    assert 'I prefer tabs in C code' in r.stdout
    notes = [ln for ln in r.stderr.splitlines() if 'note:' in ln]
    assert len(notes) == 1, r.stderr
    assert 'recall by keywords only: the embedder failed' in notes[0]
    assert 'cannot reach http://127.0.0.1:9/v1/embeddings' in notes[0]


# ---- GET /api/metrics: Prometheus, like /metrics ----

def test_api_metrics_is_prometheus_with_json_on_request(daemon):
    st, h, text = daemon.get('/api/metrics')
    assert st == 200, text
    assert h['Content-Type'] == 'text/plain; version=0.0.4; charset=utf-8'
    assert '# TYPE oxios_http_requests_total counter' in text
    assert 'oxios_llm_calls_total' in text or 'oxios_agents' in text
    st, h2, public = daemon.get('/metrics', auth=False)
    assert st == 200 and h2['Content-Type'] == h['Content-Type']
    # The same families, in the same order (the counts move on).
    def families(t):
        return [ln for ln in t.splitlines() if ln.startswith('# TYPE')]
    assert families(text) == families(public)
    st, h, j = daemon.get('/api/metrics?format=json')
    assert st == 200 and h['Content-Type'].startswith('application/json')
    assert {'http', 'agents', 'llm'} <= set(j)
    st, _, text = daemon.get('/api/metrics?format=prometheus')
    assert st == 200 and '# TYPE oxios_http_requests_total' in text
    st, _, j = daemon.get('/api/metrics?format=xml')
    assert st == 400 and j['error']['code'] == 'bad_format'
    st, _, j = daemon.get('/api/metrics', auth=False)
    assert st == 401


# ---- oxios chat PROMPT ----

CHAT_CFG = ('[engine]\nretry_base_ms = 20\n'
            'default_model = "openai/gpt-4.1"\n')


def user_messages(fake):
    msgs = [q for q in fake.requests()
            if q['path'].endswith('/completions')][-1]['body']['messages']
    return [m['content'] for m in msgs if m['role'] == 'user']


def test_chat_prompt_is_the_first_message_then_stdin(llm):
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi there.'},
                             {'text': 'You said hello first.'}]})
    r = llm.run('chat', 'hello', 'there', stdin='what did I say?\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Hi there.\nYou said hello first.\n', r.stdout
    assert user_messages(llm.fake) == ['hello there', 'what did I say?']


def test_chat_prompt_alone_answers_and_ends_with_stdin(llm):
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi.'}]})
    r = llm.run('chat', '--model', 'openai/gpt-4.1-mini', 'hello', stdin='')
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Hi.\n'
    reqs = [q for q in llm.fake.requests()
            if q['path'].endswith('/completions')]
    assert len(reqs) == 1 and reqs[0]['body']['model'] == 'gpt-4.1-mini'


def test_chat_prompt_on_a_terminal_goes_on_interactively(llm):
    from test_chat import read_until
    llm.write_config(CHAT_CFG)
    llm.fake.load({'turns': [{'text': 'Hi there.'},
                             {'text': 'You said hello first.'}]})
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, 'chat', 'hello'], dict(llm.env, TERM='dumb'))
    out = [b'']
    read_until(fd, 'you> hello', out)
    read_until(fd, 'Hi there.', out)
    # Then the prompt, for the next message.
    out2 = [out[0][out[0].index(b'Hi there.'):]]
    read_until(fd, 'you> ', out2)
    os.write(fd, b'what did I say?\r')
    read_until(fd, 'You said hello first.', out2)
    os.write(fd, b'.quit\r')
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    os.close(fd)
    assert user_messages(llm.fake) == ['hello', 'what did I say?']
