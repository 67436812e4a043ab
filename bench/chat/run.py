#!/usr/bin/python3
"""bench/chat — end-to-end chat latency through the daemon.

    /usr/bin/python3 bench/chat/run.py [BIN] [N]   (default build/oxios, 200)

Starts the daemon on loopback with the fake OpenAI provider of
tests/fakes (in this process), then sends N sequential `POST /api/chat`
requests, each a new session: first answered at once by the model, then
with one tool call (`ls`, run by the sandboxed worker) before the answer.
Prints the median and p99 of the whole request, the fake provider's own
round trip measured from here for the same answers, and the kernel's
overhead (a chat minus its provider round trips).  Never asserts on time:
the figures go to docs/benchmarks.md.
"""
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fakes'))
from fake_llm import FakeLLM  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(ROOT, 'build', 'oxios'))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
WARMUP = 10


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def turns(tool, n):
    out = []
    for i in range(n):
        if tool:
            out.append({'text': 'Looking.', 'tool_calls': [
                {'id': 'call_%d' % i, 'name': 'ls',
                 'arguments': {'path': '.'}}]})
        out.append({'text': 'Done: the workspace is listed.'})
    return {'turns': out}


def provider_rt(fake, tool, n):
    """The fake's round trip for the same answers, from a fresh
    connection each time (as the daemon makes them)."""
    fake.load(turns(tool, n))
    body = json.dumps({'model': 'gpt-4.1', 'stream': True,
                       'stream_options': {'include_usage': True},
                       'messages': [{'role': 'user', 'content': 'hi'}]})
    per_call = []
    for _ in range(n * (2 if tool else 1)):
        t0 = time.perf_counter()
        c = http.client.HTTPConnection('127.0.0.1', fake.port, timeout=10)
        c.request('POST', '/v1/chat/completions', body,
                  {'Content-Type': 'application/json',
                   'Authorization': 'Bearer sk-bench'})
        c.getresponse().read()
        c.close()
        per_call.append((time.perf_counter() - t0) * 1000)
    calls = 2 if tool else 1
    return [sum(per_call[i:i + calls]) for i in range(0, len(per_call),
                                                       calls)]


def chats(port, token, fake, tool, n):
    fake.load(turns(tool, n + WARMUP))
    times = []
    for i in range(n + WARMUP):
        t0 = time.perf_counter()
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        c.request('POST', '/api/chat',
                  json.dumps({'content': 'list the workspace'}),
                  {'Content-Type': 'application/json',
                   'Authorization': 'Bearer ' + token})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        dt = (time.perf_counter() - t0) * 1000
        if r.status != 200 or body.get('tool_calls') != (1 if tool else 0):
            sys.exit('chat failed: %d %s' % (r.status, body))
        if i >= WARMUP:
            times.append(dt)
    return times


def main():
    home = tempfile.mkdtemp(prefix='oxios-bench-chat-')
    fake = FakeLLM().start()
    port = free_port()
    with open(os.path.join(home, 'config.toml'), 'w') as f:
        f.write('[engine]\ndefault_model = "openai/gpt-4.1"\n'
                '[gateway]\nport = %d\nrate_limit_per_min = 1000000\n'
                '[logging]\nlevel = "warn"\n[memory]\nenabled = false\n'
                '[audit]\nenabled = true\n' % port)
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
        time.sleep(0.5)  # the worker pool fills
        print('oxios chat bench: %d cores, %d chats each, %s, %s' % (
            os.cpu_count(), N, time.strftime('%Y-%m-%d', time.gmtime()),
            os.path.relpath(BIN, ROOT)))
        print('%-14s %9s %9s %12s %12s %12s' % (
            '', 'median', 'p99', 'provider', 'overhead', 'overhead'))
        print('%-14s %9s %9s %12s %12s %12s' % (
            '', 'ms', 'ms', 'median ms', 'median ms', 'p99 ms'))
        for tool in (False, True):
            e2e = chats(port, token, fake, tool, N)
            prov = provider_rt(fake, tool, N)
            pm = statistics.median(prov)
            over = [t - pm for t in e2e]
            print('%-14s %9.2f %9.2f %12.2f %12.2f %12.2f' % (
                'one tool call' if tool else 'no tool',
                statistics.median(e2e), pct(e2e, 99), pm,
                statistics.median(over), pct(over, 99)))
    finally:
        d.terminate()
        d.wait(30)
        fake.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == '__main__':
    main()
