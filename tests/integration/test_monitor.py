"""The resource monitor through the daemon: /api/resources with sane
numbers and the running agents' workers, a history that grows on a short
interval, an impossible threshold that says overloaded and why and makes a
new chat wait for nothing but a refusal with that reason, while /health,
/metrics and `oxios status` still answer."""
import json
import os
import time

from conftest import make_daemon


def wait_for(fn, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.3)  # under gateway.rate_limit_per_min
    raise AssertionError('timed out')


def test_resources_and_history(llm):
    d = make_daemon(llm, '[monitor]\ninterval_secs = 1\nhistory = 4\n')
    d.fake = llm.fake
    d.start()
    try:
        st, _, j = d.get('/api/resources')
        assert st == 200, j
        assert j['sampled'] is True, d.stderr()
        assert 0 < j['memory_percent'] <= 100
        assert j['memory_total_kb'] > 0
        assert j['memory_available_kb'] <= j['memory_total_kb']
        assert j['load']['1m'] >= 0 and j['cpus'] >= 1
        assert j['disk_total_mb'] > 0
        assert 0 <= j['disk_free_mb'] <= j['disk_total_mb']
        assert j['overloaded'] is False and j['agents'] == []
        # The first sample has no CPU delta; later ones do.
        j = wait_for(lambda: (lambda r: r[2] if r[2]['cpu_percent']
                              is not None else None)(d.get('/api/resources')))
        assert 0 <= j['cpu_percent'] <= 100

        # The history grows, one sample a second, up to monitor.history.
        def full():
            st, _, h = d.get('/api/resources/history')
            assert st == 200
            return h if len(h['samples']) == 4 else None
        h = wait_for(full)
        assert h['capacity'] == 4
        at = [s['sampled_at'] for s in h['samples']]
        assert at == sorted(at) and len(set(at)) == 4
        st, _, h = d.get('/api/resources/history?limit=2')
        assert st == 200 and len(h['samples']) == 2
        st, _, h = d.get('/api/resources/history?limit=0')
        assert st == 400

        st, _, o = d.get('/api/resources/overload')
        assert st == 200 and o['overloaded'] is False
        assert o['reason'] is None
        assert o['limits']['min_disk_mb'] == 64

        # Without a token: 401, like the rest of the API.
        st, _, _ = d.get('/api/resources', auth=False)
        assert st == 401

        st, _, text = d.get('/metrics', auth=False)
        assert st == 200
        assert 'oxios_system_memory_percent ' in text
        assert 'oxios_disk_free_bytes ' in text
        assert 'oxios_overloaded 0\n' in text

        r = llm.run('status', check=0)
        assert '  resources  cpu ' in r.stdout, r.stdout
        assert 'MB free' in r.stdout and 'overload' not in r.stdout
        r = llm.run('status', '--json', check=0)
        s = json.loads(r.stdout)
        assert s['resources']['overloaded'] is False

    finally:
        d.stop_clean()
    assert not os.path.exists(llm.path('run', 'resources.json'))


def test_agent_worker_measured(llm):
    d = make_daemon(llm, '[monitor]\ninterval_secs = 1\n'
                    '[exec]\nallowlist = ["sleep"]\n')
    d.start()
    try:
        llm.fake.load({'turns': [
            {'tool_calls': [{'id': 'c1', 'name': 'exec',
                             'arguments': {'mode': 'structured',
                                           'binary': 'sleep',
                                           'args': ['4']}}]},
            {'text': 'done'}]})
        import threading
        res = {}
        t = threading.Thread(target=lambda: res.update(
            r=d.post('/api/chat', {'content': 'sleep'}, timeout=60)))
        t.start()

        def measured():
            st, _, j = d.get('/api/resources')
            assert st == 200, j
            a = [x for x in j['agents'] if x['processes'] >= 2]
            return a[0] if a else None
        a = wait_for(measured, timeout=20)
        assert a['pid'] > 0 and a['rss_kb'] > 0 and a['cpu_ms'] >= 0
        st, _, ag = d.get('/api/agents/' + a['id'])
        assert st == 200, ag
        t.join(60)
        assert res['r'][0] == 200, res
    finally:
        d.stop_clean()


def test_overload_refuses_new_runs(llm):
    d = make_daemon(llm, '[monitor]\ninterval_secs = 1\n'
                    'min_disk_mb = 1000000000\n')
    d.fake = llm.fake
    d.start()
    try:
        # The first sample is taken before the daemon says it is ready.
        st, _, o = d.get('/api/resources/overload')
        assert st == 200 and o['overloaded'] is True, o
        assert o['reason'].startswith('disk: ')
        assert 'under monitor.min_disk_mb 1000000000' in o['reason']
        assert o['limits']['min_disk_mb'] == 1000000000

        llm.fake.load({'turns': [{'text': 'never'}]})
        st, _, j = d.post('/api/chat', {'content': 'hello'}, timeout=60)
        assert st == 503, j
        assert j['error']['code'] == 'cannot_run'
        assert 'overloaded (disk: ' in j['error']['message']
        assert 'new runs are paused' in j['error']['message']
        assert not [q for q in llm.fake.requests()
                    if q['path'].endswith('/completions')]

        st, _, h = d.get('/health', auth=False)
        assert st == 200 and h['status'] == 'ok'
        st, _, text = d.get('/metrics', auth=False)
        assert 'oxios_overloaded 1\n' in text
        r = llm.run('status', check=0)
        assert '  overload   disk: ' in r.stdout, r.stdout
        assert 'new runs are paused' in r.stdout
    finally:
        d.stop_clean()
