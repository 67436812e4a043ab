"""The compaction tree (src/memory/compact.c): a month of dated memories
(the test-only memory clock, OXIOS_TEST_MEMORY_CLOCK_MS) rolled up into
daily, weekly and monthly summaries and a root summary per topic, through
the fake LLM; provenance both ways, idempotence (no request, no change on
a second run), a period that gains a source rewritten, pruning that never
removes an uncovered or protected memory, `memory show --tree` and the
REST tree agreeing."""
import datetime
import json
import sqlite3

import pytest

from conftest import make_daemon
from test_daemon import SSE

CLOCK = 'OXIOS_TEST_MEMORY_CLOCK_MS'


def ms(iso):
    return int(datetime.datetime.fromisoformat(iso).replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)


def run(ox, *args, at=None, check=0):
    env = {CLOCK: str(ms(at))} if at else None
    return ox.run('memory', *args, env=env, check=check)


def add(ox, text, at, *opts):
    r = run(ox, 'add', text, '--json', *opts, at=at)
    return json.loads(r.stdout)['id']


def compact(ox, at):
    return json.loads(run(ox, 'compact', '--json', at=at).stdout)


def chats(ox):
    return [q for q in ox.fake.requests()
            if q['path'].endswith('/chat/completions')]


def rows(ox, sql, *args):
    c = sqlite3.connect(ox.path('oxios.db'))
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def levels(report):
    return {k: (v['written'], v['rewritten'], v['unchanged'], v['pending'])
            for k, v in report['levels'].items()}


def tree_ids(node):
    """A tree as nested (id, [children]) tuples."""
    return (node['id'], [tree_ids(c) for c in node.get('children', [])])


@pytest.fixture
def month(llm):
    """October 2025: one memory a day (ops on even days, garden on odd),
    a preference (not raw material) and a protected episode."""
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    llm.fake.load({'turns': [{'text': 'Summary number %d of the notes' % i}
                             for i in range(200)]})
    ids = {}
    for day in range(1, 32):
        topic = 'ops' if day % 2 == 0 else 'garden'
        ids[day] = add(llm, 'Day %d: %s note about item%d' % (day, topic, day),
                       '2025-10-%02dT09:00:00' % day, '--type', 'episode',
                       '--tags', topic)
    llm.pref = add(llm, 'I prefer tea over coffee', '2025-10-03T10:00:00',
                   '--type', 'preference')
    llm.protected = add(llm, 'Day 5 protected: the vault code changed',
                        '2025-10-05T11:00:00', '--type', 'episode',
                        '--tags', 'ops', '--protect', 'high')
    llm.days = ids
    return llm


def test_a_month_compacts_into_days_weeks_a_month_and_roots(month):
    ox = month
    # The week of Oct 27 is not over on Nov 1: nothing above the days.
    early = compact(ox, '2025-11-01T12:00:00')
    assert early['model'] is True
    assert early['levels']['daily']['written'] == 31
    assert early['levels']['weekly']['written'] == 4  # W40..W43
    assert early['levels']['monthly']['written'] == 0  # W44 still open
    ox.fake.reset()
    ox.fake.load({'turns': [{'text': 'Later summary %d' % i}
                            for i in range(100)]})
    rep = compact(ox, '2025-12-01T00:00:00')
    assert levels(rep) == {'daily': (0, 0, 31, 0), 'weekly': (1, 0, 4, 0),
                           'monthly': (1, 0, 0, 0), 'root': (2, 0, 0, 0)}
    assert rep['calls'] == len(chats(ox)) == 4
    # Each summary lists its sources.
    summ = {(lv, p): i for i, lv, p in rows(
        ox, 'SELECT memory_id, level, period FROM memory_summaries')}
    assert sorted(p for lv, p in summ if lv == 'weekly') == \
        ['2025-W40', '2025-W41', '2025-W42', '2025-W43', '2025-W44']
    assert sorted(p for lv, p in summ if lv == 'root') == ['garden', 'ops']

    def sources(sid):
        return sorted(r[0] for r in rows(
            ox, 'SELECT source_id FROM memory_summary_sources '
            'WHERE summary_id = ?', sid))
    assert sources(summ[('daily', '2025-10-05')]) == \
        sorted([ox.days[5], ox.protected])
    assert sources(summ[('daily', '2025-10-03')]) == [ox.days[3]]
    week40 = sources(summ[('weekly', '2025-W40')])
    assert week40 == sorted(summ[('daily', '2025-10-%02d' % d)]
                            for d in range(1, 6))
    assert sources(summ[('monthly', '2025-10')]) == sorted(
        i for (lv, p), i in summ.items() if lv == 'weekly')
    assert sources(summ[('root', 'ops')]) == [summ[('monthly', '2025-10')]]
    # The ROOT index: the topics, each led by its root summary; the days,
    # weeks and the month are under them in the tree, not a topic.
    topics = json.loads(run(ox, 'topics', '--json').stdout)
    assert sorted(t['topic'] for t in topics) == \
        ['garden', 'ops', 'preference']
    ops = json.loads(run(ox, 'topics', 'ops', '--json').stdout)
    assert summ[('root', 'ops')] in ops['ids']
    # The preference is no raw material.
    assert not rows(ox, 'SELECT 1 FROM memory_summary_sources WHERE '
                    'source_id = ?', ox.pref)
    # The tree from the month down to the raw memories, and back up.
    t = json.loads(run(ox, 'show', str(summ[('monthly', '2025-10')]),
                       '--tree', '--json').stdout)
    assert t['level'] == 'monthly' and t['period'] == '2025-10'
    assert t['parents'][0]['level'] == 'root'
    raw = set()

    def walk(n):
        if not n.get('children'):
            raw.add(n['id'])
        for c in n.get('children', []):
            walk(c)
    walk(t)
    assert raw == set(ox.days.values()) | {ox.protected}
    up = json.loads(run(ox, 'show', str(ox.days[12]), '--tree',
                        '--json').stdout)
    assert [p['level'] for p in up['parents']] == ['daily']
    assert up['children'] == []
    text = run(ox, 'show', str(summ[('weekly', '2025-W41')]),
               '--tree').stdout
    assert 'in #%d [monthly 2025-10]' % summ[('monthly', '2025-10')] in text
    assert '[weekly 2025-W41]' in text and '  #' in text
    # A summary is a memory: search finds it.
    found = json.loads(run(ox, 'search', 'Later summary', '--type',
                           'summary', '--json').stdout)
    assert found and all(f['type'] == 'summary' for f in found)


def test_a_second_compaction_changes_nothing(month):
    ox = month
    compact(ox, '2025-12-01T00:00:00')
    before = rows(ox, 'SELECT id, content, type FROM memories ORDER BY id')
    edges = rows(ox, 'SELECT * FROM memory_summary_sources ORDER BY 1, 2')
    ox.fake.reset()
    rep = compact(ox, '2025-12-02T00:00:00')
    assert chats(ox) == [] and rep['calls'] == 0
    assert levels(rep) == {'daily': (0, 0, 31, 0), 'weekly': (0, 0, 5, 0),
                           'monthly': (0, 0, 1, 0), 'root': (0, 0, 2, 0)}
    assert rows(ox, 'SELECT id, content, type FROM memories ORDER BY id') \
        == before
    assert rows(ox, 'SELECT * FROM memory_summary_sources ORDER BY 1, 2') \
        == edges


def test_a_period_that_gains_a_source_is_rewritten(month):
    ox = month
    compact(ox, '2025-12-01T00:00:00')
    summ = {(lv, p): i for i, lv, p in rows(
        ox, 'SELECT memory_id, level, period FROM memory_summaries')}
    late = add(ox, 'Day 15 again: a late ops note', '2025-10-15T20:00:00',
               '--type', 'fact', '--tags', 'ops')
    ox.fake.reset()
    ox.fake.load({'turns': [{'text': 'Rewritten %d' % i} for i in range(9)]})
    rep = compact(ox, '2025-12-01T00:00:00')
    # The day, its week, the month and the roots over the month:
    # rewritten in place.
    assert levels(rep) == {'daily': (0, 1, 30, 0), 'weekly': (0, 1, 4, 0),
                           'monthly': (0, 1, 0, 0), 'root': (0, 2, 0, 0)}
    assert len(chats(ox)) == 5
    prompt = chats(ox)[0]['body']['messages'][-1]['content']
    assert 'The summary so far' in prompt and 'a late ops note' in prompt
    after = {(lv, p): i for i, lv, p in rows(
        ox, 'SELECT memory_id, level, period FROM memory_summaries')}
    assert after == summ
    day = summ[('daily', '2025-10-15')]
    assert late in [r[0] for r in rows(
        ox, 'SELECT source_id FROM memory_summary_sources WHERE '
        'summary_id = ?', day)]
    assert rows(ox, 'SELECT content FROM memories WHERE id = ?', day) == \
        [('Rewritten 0',)]


def test_pruning_never_removes_an_uncovered_or_protected_memory(month):
    ox = month
    # Made on the clock's own day: no summary covers it yet.
    fresh = add(ox, 'An ops note of today', '2025-12-01T08:00:00',
                '--type', 'episode', '--tags', 'ops')
    cfg = open(ox.path('config.toml')).read()
    ox.write_config(cfg + '[memory]\nprune_covered_days = 10\n')
    rep = compact(ox, '2025-12-01T12:00:00')
    left = {r[0] for r in rows(ox, 'SELECT id FROM memories')}
    assert fresh in left and ox.protected in left and ox.pref in left
    assert not set(ox.days.values()) & left
    assert sorted(rep['pruned_ids']) == sorted(ox.days.values())
    # Provenance stays: the day still lists what it covered.
    t = json.loads(run(ox, 'show', str(rows(
        ox, "SELECT memory_id FROM memory_summaries WHERE period = "
        "'2025-10-12'")[0][0]), '--tree', '--json').stdout)
    assert t['children'] == [{'id': ox.days[12], 'gone': True}]


def test_no_model_writes_no_summary(oxios):
    add(oxios, 'Day 1: a note', '2025-10-01T09:00:00', '--type', 'episode')
    rep = compact(oxios, '2025-12-01T00:00:00')
    assert rep['model'] is False and rep['calls'] == 0
    assert levels(rep)['daily'] == (0, 0, 0, 1)
    assert rep['levels']['weekly'].get('waiting') is True
    assert rows(oxios, 'SELECT COUNT(*) FROM memory_summaries') == [(0,)]
    # The text says why the day waits, and what to do.
    text = run(oxios, 'compact', at='2025-12-01T00:00:00', check=0).stdout
    assert 'daily    0 written, 0 rewritten, 0 unchanged, 1 pending' in text
    assert 'pending: no chat model' in text and 'oxios onboard' in text


def test_rest_compact_and_tree_agree_with_the_cli(month):
    ox = month
    ox.env[CLOCK] = str(ms('2025-12-01T00:00:00'))
    d = make_daemon(ox)
    d.fake = ox.fake
    d.start()
    sse = SSE(d)
    try:
        status, _, rep = d.post('/api/memory/compact')
        assert status == 200, rep
        assert rep['levels']['root']['written'] == 2
        ev = json.loads(sse.events_until('memory.compacted')[-1]['data'])
        assert ev['levels'] == rep['levels'] and ev['calls'] == rep['calls']
        assert ev['actor'] and ev['pruned'] == 0
        mid = rows(ox, "SELECT memory_id FROM memory_summaries WHERE "
                   "level = 'monthly'")[0][0]
        status, _, tree = d.get('/api/memory/%d/tree' % mid)
        assert status == 200
        cli = json.loads(run(ox, 'show', str(mid), '--tree',
                             '--json').stdout)
        assert tree == cli and tree_ids(tree)[1]
        assert d.get('/api/memory/999999/tree')[0] == 404
        assert d.get('/api/memory/x/tree')[0] == 400
        status, _, again = d.post('/api/memory/compact')
        assert status == 200 and again['calls'] == 0
        # A viewer may read the tree but not compact.
        assert d.post('/api/memory/compact', auth=False)[0] == 401
    finally:
        sse.close()
        d.stop_clean()


@pytest.mark.parametrize('on', [True, False])
def test_dream_compacts_unless_turned_off(month, on):
    ox = month
    cfg = open(ox.path('config.toml')).read()
    ox.write_config(cfg + '[memory]\ncompaction = %s\n' % str(on).lower())
    ox.fake.reset()
    rep = json.loads(run(ox, 'dream', at='2025-12-01T00:00:00').stdout)
    made = rows(ox, 'SELECT level, COUNT(*) FROM memory_summaries '
                'GROUP BY level ORDER BY level')
    if on:
        c = rep['compaction']
        assert c['levels']['monthly']['written'] == 1
        assert c['levels']['root']['written'] == 2
        # (Dream merged near-duplicate notes first: fewer days.)
        assert dict(made) == {k: v['written']
                              for k, v in c['levels'].items()}
        assert c['levels']['daily']['written'] > 10
        # Written by the dream: audited as its memory writes.
        actors = rows(ox, "SELECT DISTINCT actor FROM audit_log WHERE "
                      "action = 'memory_write' AND resource IN (SELECT "
                      "'memory:' || memory_id FROM memory_summaries)")
        assert actors == [('dream',)]
        # Alike summaries are not near-duplicates to merge: the next
        # dream keeps them all and asks the model nothing.
        ox.fake.reset()
        again = json.loads(run(ox, 'dream', at='2025-12-01T00:00:00').stdout)
        assert rows(ox, 'SELECT level, COUNT(*) FROM memory_summaries '
                    'GROUP BY level ORDER BY level') == made
        assert again['compaction']['calls'] == 0 and chats(ox) == []
    else:
        assert rep['compaction'] is None and made == []


def test_a_refused_call_leaves_the_period_for_next_time(month):
    ox = month
    cfg = open(ox.path('config.toml')).read()
    # A daily budget no call fits in: the gate refuses before sending.
    ox.write_config(cfg + '[budget]\ndaily_usd = 0.000001\n')
    ox.fake.reset()
    rep = compact(ox, '2025-12-01T00:00:00')
    assert chats(ox) == []
    assert rep['calls'] == 1 and 'budget' in rep['refused']
    assert levels(rep)['daily'] == (0, 0, 0, 31)
    assert rep['levels']['weekly'].get('waiting') is True
    assert rows(ox, 'SELECT COUNT(*) FROM memory_summaries') == [(0,)]
    assert rows(ox, "SELECT COUNT(*) FROM memories WHERE type = "
                "'summary'") == [(0,)]
    text = run(ox, 'compact', at='2025-12-01T00:00:00', check=0).stdout
    assert "pending: the model's call was refused (" in text
    assert 'budget' in text
    # With the budget gone, the next run does them.
    ox.write_config(cfg)
    rep = compact(ox, '2025-12-01T00:00:00')
    assert levels(rep)['daily'] == (31, 0, 0, 0) and 'refused' not in rep


def test_the_call_cap_leaves_the_rest_for_the_next_run(llm):
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n'
                     '[memory]\ncompaction_max_calls = 2\n')
    llm.fake.load({'turns': [{'text': 'Summary %d' % i} for i in range(20)]})
    for day in range(1, 6):
        add(llm, 'Day %d: a note' % day, '2025-10-%02dT09:00:00' % day,
            '--type', 'episode')
    rep = compact(llm, '2025-10-10T00:00:00')
    assert rep['calls'] == 2 and len(chats(llm)) == 2
    assert levels(rep)['daily'] == (2, 0, 0, 3)
    assert rep['capped'] is True and rep['max_calls'] == 2
    text = run(llm, 'compact', at='2025-10-10T00:00:00', check=0).stdout
    assert 'pending: a run makes at most 2 model calls' in text
    # Two more, then the last; then nothing is capped.
    rep = compact(llm, '2025-10-10T00:00:00')
    assert levels(rep)['daily'] == (1, 0, 4, 0), rep
    assert 'capped' not in rep


def test_tree_of_a_memory_in_no_summary_says_why(oxios):
    fact = json.loads(run(oxios, 'add', 'The build runs nightly', '--type',
                          'fact', '--json').stdout)['id']
    pref = json.loads(run(oxios, 'add', 'I like short commit titles',
                          '--type', 'preference', '--json').stdout)['id']
    text = run(oxios, 'show', str(fact), '--tree').stdout
    assert text.endswith('(in no summary yet: `oxios memory compact` rolls '
                         'closed days up)\n'), text
    text = run(oxios, 'show', str(pref), '--tree').stdout
    assert '(a preference: only episodes, sessions, conversations, facts ' \
        'and knowledge roll up into summaries)' in text, text


def test_a_busy_day_is_taken_in_over_runs_and_a_cut_note_never_pruned(llm):
    """More notes than one prompt holds (32 KiB): a run covers those the
    model was shown, the next takes in the rest; a note longer than a
    prompt shows of a source (2000 bytes) is never pruned."""
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n'
                     '[memory]\nprune_covered_days = 1\n')
    llm.fake.load({'turns': [{'text': 'Busy day summary %d' % i}
                             for i in range(20)]})
    ids = [add(llm, 'Note %02d of the busy day: ' % i + 'x' * 1900,
               '2025-10-01T09:%02d:00' % i, '--type', 'episode')
           for i in range(24)]
    long_id = add(llm, 'A long note: ' + 'y' * 3000, '2025-10-01T10:00:00',
                  '--type', 'episode')
    ids.append(long_id)
    day = "SELECT memory_id FROM memory_summaries WHERE level = 'daily'"
    edges = 'SELECT COUNT(*) FROM memory_summary_sources WHERE ' \
            'summary_id = ? AND seen >= 0'
    rep = compact(llm, '2025-10-01T23:59:59')
    assert levels(rep)['daily'] == (0, 0, 0, 0)  # the day is not over
    rep = compact(llm, '2025-10-02T00:30:00')
    assert levels(rep)['daily'][0] == 1, rep
    [(sid,)] = rows(llm, day)
    [(first,)] = rows(llm, edges, sid)
    assert 0 < first < len(ids), first
    prompt = chats(llm)[-1]['body']['messages'][-1]['content']
    assert 'Note 00 of the busy day' in prompt
    # A day later the model refuses (a bad key): the day waits, and
    # pruning takes only the notes the summary was shown.
    llm.fake.load({'turns': [{'text': 'never',
                              'fault': {'status': 401, 'times': 50}}]})
    rep = compact(llm, '2025-10-03T00:30:00')
    assert levels(rep)['daily'] == (0, 0, 0, 1) and rep['refused'], rep
    left = {i for (i,) in rows(llm, 'SELECT id FROM memories WHERE '
                               "type = 'episode'")}
    assert len(set(ids) - left) == first, (first, left)
    assert long_id in left
    # The next run takes in the rest; nothing is lost uncovered.
    llm.fake.load({'turns': [{'text': 'Busy day, the rest %d' % i}
                             for i in range(20)]})
    rep = compact(llm, '2025-10-04T00:30:00')
    assert levels(rep)['daily'][1] == 1, rep  # rewritten with the rest
    prompt = chats(llm)[-1]['body']['messages'][-1]['content']
    assert 'The summary so far' in prompt and 'Note 00 ' not in prompt
    left = {i for (i,) in rows(llm, 'SELECT id FROM memories WHERE '
                               "type = 'episode'")}
    assert left == {long_id}, left  # cut in its prompt: never pruned
    # Every note has its edge: live for the long one, gone for the pruned.
    assert rows(llm, 'SELECT COUNT(*) FROM memory_summary_sources WHERE '
                'summary_id = ?', sid) == [(len(ids),)]


def test_one_compaction_at_a_time(llm):
    import fcntl
    add(llm, 'Day 1: a note', '2025-10-01T09:00:00', '--type', 'episode')
    with open(llm.path('memory.compact.lock'), 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = run(llm, 'compact', at='2025-12-01T00:00:00', check=None)
        assert r.returncode == 1, r
        assert 'a compaction is already running' in r.stderr
        d = make_daemon(llm)
        d.start()
        try:
            st, _, j = d.post('/api/memory/compact')
            assert st == 409 and j['error']['code'] == 'busy', j
        finally:
            d.stop_clean()
    r = run(llm, 'compact', at='2025-12-01T00:00:00')
    assert r.returncode == 0, r.stderr



def compact_during(ox, at, meanwhile, call=1):
    """Compact at `at`, running meanwhile() while model call number `call`
    waits (the fake stalls it), and return the report."""
    import threading
    import time
    out = {}
    t = threading.Thread(target=lambda: out.update(r=compact(ox, at)))
    t.start()
    deadline = time.time() + 30
    while len(chats(ox)) < call and time.time() < deadline:
        time.sleep(0.02)
    assert len(chats(ox)) >= call, 'the compaction never asked the model'
    meanwhile()
    t.join(60)
    assert 'r' in out, 'the compaction did not finish'
    return out['r']


def sources_of(ox, level, period):
    return sorted(r[0] for r in rows(
        ox, 'SELECT s.source_id FROM memory_summary_sources s JOIN '
        'memory_summaries m ON m.memory_id = s.summary_id '
        'WHERE m.level = ? AND m.period = ?', level, period))


def test_a_source_forgotten_during_the_call_is_covered_by_nothing(llm):
    # The newest source is forgotten while the model writes the day's
    # summary, and a new memory takes its id (SQLite reuses the largest):
    # the summary covers neither — the new memory is not what the model
    # read — and the next run takes the new one in.
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    llm.fake.load({'turns': [{'text': 'Day one summary',
                              'fault': {'stall_ms': 1500}}] +
                   [{'text': 'Summary %d' % i} for i in range(20)]})
    day = '2025-10-01T09:00:00'
    a = add(llm, 'Day 1: the ops note alpha', day, '--type', 'episode')
    b = add(llm, 'Day 1: the ops note beta', day, '--type', 'episode')
    c = add(llm, 'Day 1: the ops note gamma', day, '--type', 'episode')
    new = {}

    def meanwhile():
        run(llm, 'forget', str(c), check=0)
        new['id'] = add(llm, 'Day 1: written later, never summarised',
                        '2025-10-01T10:00:00', '--type', 'episode')
    rep = compact_during(llm, '2025-12-01T00:00:00', meanwhile)
    assert new['id'] == c  # the id was reused: the case under test
    assert rep['levels']['daily']['written'] == 1, rep
    assert sources_of(llm, 'daily', '2025-10-01') == [a, b]
    up = json.loads(run(llm, 'show', str(c), '--tree', '--json').stdout)
    assert up['parents'] == []
    # Nothing is lost: the next run rewrites the day with the new memory.
    rep = compact(llm, '2025-12-01T00:00:00')
    assert rep['levels']['daily']['rewritten'] == 1, rep
    assert sources_of(llm, 'daily', '2025-10-01') == [a, b, c]


def test_a_summary_forgotten_during_its_rewrite_is_not_brought_back(llm):
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    llm.fake.load({'turns': [{'text': 'Summary %d' % i} for i in range(20)]})
    day = '2025-10-01T09:00:00'
    a = add(llm, 'Day 1: the garden note alpha', day, '--type', 'episode')
    compact(llm, '2025-10-02T12:00:00')
    (summary,), = rows(llm, "SELECT memory_id FROM memory_summaries WHERE "
                       "level = 'daily'")
    b = add(llm, 'Day 1: the garden note beta', day, '--type', 'episode')
    llm.fake.reset()
    llm.fake.load({'turns': [{'text': 'Rewritten day',
                              'fault': {'stall_ms': 1500}}] +
                   [{'text': 'Summary %d' % i} for i in range(20)]})

    def meanwhile():
        run(llm, 'forget', str(summary), check=0)
    rep = compact_during(llm, '2025-10-02T12:00:00', meanwhile)
    # The rewrite rolled back: no row, no edge, no text of the summary.
    assert rep['levels']['daily']['rewritten'] == 0, rep
    assert rep['levels']['daily']['pending'] == 1, rep
    assert not rows(llm, 'SELECT 1 FROM memories WHERE id = ?', summary)
    assert not rows(llm, 'SELECT 1 FROM memory_summaries WHERE '
                    'memory_id = ?', summary)
    assert not rows(llm, 'SELECT 1 FROM memory_summary_sources WHERE '
                    'summary_id = ?', summary)
    assert not rows(llm, "SELECT 1 FROM memories WHERE content = "
                    "'Rewritten day'")
    # The next run writes the day anew over both sources.
    rep = compact(llm, '2025-10-02T12:00:00')
    assert rep['levels']['daily']['written'] == 1, rep
    assert sources_of(llm, 'daily', '2025-10-01') == [a, b]


def test_an_edge_keeps_the_version_the_model_was_shown(llm):
    # A day's summary changes while the model writes its week's (here by
    # hand: one compaction runs at a time, so only a bug could do it):
    # the week's edge keeps the version its prompt showed, and the next
    # run takes the newer one in.
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n')
    llm.fake.load({'turns': [{'text': 'Summary %d' % i} for i in range(20)]})
    for day in range(1, 6):  # 2025-W40 ends on Sunday the 5th
        add(llm, 'Day %d: a note' % day, '2025-10-%02dT09:00:00' % day,
            '--type', 'episode')
    rep = compact(llm, '2025-10-10T00:00:00')
    assert levels(rep)['weekly'] == (1, 0, 0, 0), rep
    add(llm, 'Day 3: another note', '2025-10-03T15:00:00', '--type',
        'episode')
    (day3,), = rows(llm, "SELECT memory_id FROM memory_summaries WHERE "
                    "period = '2025-10-03'")
    (week,), = rows(llm, "SELECT memory_id FROM memory_summaries WHERE "
                    "period = '2025-W40'")
    llm.fake.reset()
    llm.fake.load({'turns': [{'text': 'Day 3, rewritten'},
                             {'text': 'The week, rewritten',
                              'fault': {'stall_ms': 1500}}] +
                   [{'text': 'Summary %d' % i} for i in range(20)]})

    def meanwhile():
        c = sqlite3.connect(llm.path('oxios.db'), timeout=10)
        try:
            c.execute('UPDATE memory_summaries SET version = version + 1 '
                      'WHERE memory_id = ?', (day3,))
            c.commit()
        finally:
            c.close()
    rep = compact_during(llm, '2025-10-10T00:00:00', meanwhile, call=2)
    assert levels(rep)['weekly'] == (0, 1, 0, 0), rep
    assert rows(llm, 'SELECT version FROM memory_summaries WHERE '
                'memory_id = ?', day3) == [(3,)]
    assert rows(llm, 'SELECT seen FROM memory_summary_sources WHERE '
                'summary_id = ? AND source_id = ?', week, day3) == [(2,)]
    rep = compact(llm, '2025-10-10T00:00:00')
    assert levels(rep)['weekly'] == (0, 1, 0, 0), rep
    assert rows(llm, 'SELECT seen FROM memory_summary_sources WHERE '
                'summary_id = ? AND source_id = ?', week, day3) == [(3,)]


def test_an_agent_walks_down_the_tree_with_memory_read(month):
    # From a topic's root summary down to a day's notes, one memory_read
    # a level: each summary lists what it covers, each memory what covers
    # it.
    from test_memory import call, tool_results
    ox = month
    compact(ox, '2025-12-01T00:00:00')
    summ = {(lv, p): i for i, lv, p in rows(
        ox, 'SELECT memory_id, level, period FROM memory_summaries')}
    root, month_ = summ[('root', 'ops')], summ[('monthly', '2025-10')]
    day = summ[('daily', '2025-10-12')]
    ox.fake.reset()
    ox.fake.load({'turns': [
        {'tool_calls': [call('memory_read', 'r1', id=root),
                        call('memory_read', 'r2', id=day),
                        call('memory_read', 'r3', id=ox.days[12]),
                        call('memory_read', 'r4', id=ox.pref)]},
        {'text': 'done'}]})
    r = ox.run('run', 'what happened in ops?', timeout=60)
    assert r.returncode == 0, r.stderr
    res = {k: json.loads(v) for k, v in tool_results(chats(ox)[1]).items()}
    assert res['r1']['tree'] == {'level': 'root', 'period': 'ops',
                                 'covers': [month_]}
    assert res['r2']['tree']['level'] == 'daily'
    assert res['r2']['tree']['covers'] == [ox.days[12]]
    assert [p['level'] for p in res['r2']['tree']['covered_by']] == \
        ['weekly']
    assert res['r3']['tree'] == {'covered_by': [
        {'id': day, 'level': 'daily', 'period': '2025-10-12'}]}
    assert 'tree' not in res['r4']  # a preference is in no summary
    # And the model is told how to walk it.
    tools = {t['function']['name']: t['function']['description']
             for t in chats(ox)[0]['body']['tools']}
    assert 'tree.covers' in tools['memory_read']
