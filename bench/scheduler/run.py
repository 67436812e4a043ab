#!/usr/bin/python3
"""bench/scheduler — 50 agents against one rate-limited provider.

    /usr/bin/python3 bench/scheduler/run.py [BIN] [AGENTS] [N] [W]
        (default build/oxios, 50 agents, 10 requests per window of 2 s)

The daemon on loopback with the fake OpenAI provider of tests/fakes (in
this process), which allows N chat requests per fixed window of W seconds
and answers 429 with Retry-After beyond.  AGENTS agents at once, each two
chat turns in one session (two LLM calls), through POST /api/chat.  Three
variants of what Oxios knows of the limit:

  unknown     learned from the 429s alone
  headers     the fake also sends x-ratelimit-{limit,remaining,reset}-requests
              with every answer (the limit per minute, N x 60 / W)
  configured  providers.openai.rpm = N x 60 / W

each run with the scheduler (scheduler.admission = true, the default) and
without it (false: each call goes at once and retries alone, the engine's
default retries).  Per row: makespan (first request to last answer), the
ideal makespan (calls / allowed rate, N/W per second), their ratio, failed
runs (agents whose two turns did not both succeed), the 429s the fake
answered, the p95 of llm_calls.queue_ms, and the failed calls by error
class (from llm_calls).  Never asserts on time: the
figures go to docs/benchmarks.md.
"""
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fakes'))
from fake_llm import FakeLLM  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(ROOT, 'build', 'oxios'))
AGENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10
W = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
CALLS = 2 * AGENTS


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pct(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def post(port, token, body):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    try:
        c.request('POST', '/api/chat', json.dumps(body),
                  {'Content-Type': 'application/json',
                   'Authorization': 'Bearer ' + token})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b'{}')
    except (OSError, ValueError) as e:
        return 0, {'error': str(e)}
    finally:
        c.close()


def agent(port, token, i, out):
    st, j = post(port, token, {'content': 'Hello %d.' % i})
    if st == 200:
        st, j = post(port, token, {'content': 'Again %d.' % i,
                                   'session_id': j.get('session_id')})
    out[i] = (st, time.monotonic(), j)


def run(variant, admission):
    home = tempfile.mkdtemp(prefix='oxios-bench-sched-')
    fake = FakeLLM({'rate_limit': {'requests': N, 'window_s': W,
                                   'headers': variant == 'headers'}})
    fake.start()
    port = free_port()
    rpm = int(round(N * 60 / W))
    cfg = ('[engine]\ndefault_model = "openai/gpt-4.1"\n'
           '[kernel]\nmax_agents = %d\n'
           '[gateway]\nport = %d\nrate_limit_per_min = 1000000\n'
           '[logging]\nlevel = "warn"\n[memory]\nenabled = false\n'
           '[scheduler]\nadmission = %s\n'
           % (AGENTS + 8, port, 'true' if admission else 'false'))
    if variant == 'configured':
        cfg += '[providers.openai]\nrpm = %d\n' % rpm
    with open(os.path.join(home, 'config.toml'), 'w') as f:
        f.write(cfg)
    env = dict(os.environ, OXIOS_HOME=home, OPENAI_API_KEY='sk-bench',
               OPENAI_BASE_URL=fake.url + '/v1')
    token = subprocess.run([BIN, 'token', 'rotate', '--quiet'], env=env,
                           capture_output=True, text=True,
                           check=True).stdout.strip()
    d = subprocess.Popen([BIN, 'start', '--foreground'], env=env,
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        out = [None] * AGENTS
        th = [threading.Thread(target=agent, args=(port, token, i, out))
              for i in range(AGENTS)]
        t0 = time.monotonic()
        for t in th:
            t.start()
        for t in th:
            t.join()
        makespan = max(o[1] for o in out) - t0
        failed = sum(1 for o in out if o[0] != 200)
        limited = fake.load_stats()['rate_limited']
    finally:
        d.terminate()
        d.wait(60)
        fake.stop()
    con = sqlite3.connect(os.path.join(home, 'oxios.db'))
    try:
        rows = con.execute("SELECT queue_ms, status FROM llm_calls "
                           "WHERE kind = 'chat'").fetchall()
    finally:
        con.close()
    shutil.rmtree(home, ignore_errors=True)
    waits = [r[0] or 0 for r in rows]
    errors = {}
    for r in rows:
        if r[1] != 'ok':
            errors[r[1]] = errors.get(r[1], 0) + 1
    ideal = CALLS / (N / W)
    return makespan, ideal, failed, limited, pct(waits, 95), errors


def main():
    print('oxios scheduler bench: %d cores, %s, %s; %d agents x 2 calls, '
          'the fake allows %d requests per %g s' % (
              os.cpu_count(), time.strftime('%Y-%m-%d', time.gmtime()),
              os.path.relpath(BIN, ROOT), AGENTS, N, W))
    print('%-11s %-9s %9s %9s %6s %7s %6s %7s %9s  %s' % (
        'variant', 'admission', 'makespan', 'ideal', 'ratio', 'failed',
        '429s', '429s %', 'p95 wait', 'failed calls'))
    for variant in ('unknown', 'headers', 'configured'):
        for admission in (True, False):
            ms, ideal, failed, limited, p95, errors = run(variant, admission)
            print('%-11s %-9s %8.1fs %8.1fs %6.2f %7d %6d %6.1f%% %7dms  %s'
                  % (variant, 'on' if admission else 'off', ms, ideal,
                     ms / ideal, failed, limited, 100.0 * limited / CALLS,
                     p95, ', '.join('%s %d' % e for e in
                                    sorted(errors.items())) or '-'),
                  flush=True)


if __name__ == '__main__':
    main()
