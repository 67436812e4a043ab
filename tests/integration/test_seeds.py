"""Seeds of Ouroboros: GET /api/seeds..., `oxios seeds`, the YAML files.

Seeds are stored through the hidden `oxios seeds test-put` (write_seed
arguments on stdin, as the engine will hand them over), which also writes
the seed's YAML file; the REST routes and the CLI read them back.  See
docs/ouroboros.md, "Seeds".
"""
import json
import os
import sqlite3

import pytest

from conftest import make_daemon

ARGS = {
    'goal': 'Write hello.txt saying "hello: world" # exactly',
    'task_type': 'code',
    'constraints': ['no network', '  leading spaces', 'ünï ✓\nline 2'],
    'acceptance_criteria': [
        {'id': 'c1', 'description': 'the file exists',
         'verify_command': 'test -f hello.txt',
         'artifacts': ['hello.txt'], 'assertion': '/^ok$/'},
        {'id': 'c2', 'description': 'it says hello'},
    ],
    'evaluation_principles': [{'name': 'correct', 'weight': 3},
                              {'name': 'simple', 'weight': 1}],
    'exit_conditions': ['all criteria pass'],
    'assumptions': ['English'],
}


def put(ox, doc, check=0):
    r = ox.run('seeds', 'test-put', stdin=json.dumps(doc), check=check)
    return json.loads(r.stdout) if check == 0 else r


@pytest.fixture
def seeded(oxios):
    """Two generations of one task and one other seed."""
    oxios.write_config('')
    g1 = put(oxios, {
        'args': ARGS, 'ambiguity': 0.3, 'degraded': True,
        'results': [
            {'criterion_id': 'c1', 'stage': 'mechanical', 'passed': False,
             'detail': {'exit_code': 1, 'stderr': 'no such file'}},
            {'criterion_id': 'c2', 'stage': 'semantic', 'passed': True,
             'score': 0.85},
            {'criterion_id': None, 'stage': 'semantic', 'passed': True,
             'score': 0.8}]})
    args2 = dict(ARGS, rationale='c1 failed: hello.txt was missing')
    g2 = put(oxios, {
        'args': args2, 'parent': g1['id'], 'ambiguity': 0.1,
        'status': 'passed', 'stop_reason': 'every criterion passed',
        'results': [
            {'criterion_id': 'c1', 'stage': 'mechanical', 'passed': True,
             'score': 1},
            {'criterion_id': 'c2', 'stage': 'consensus', 'passed': True}]})
    other = put(oxios, {'args': dict(ARGS, goal='Another task')})
    return oxios, g1, g2, other


def test_put_writes_yaml_and_rows(seeded):
    ox, g1, g2, other = seeded
    assert g1['generation'] == 1 and g1['root_id'] == g1['id']
    assert g2['generation'] == 2 and g2['root_id'] == g1['id']
    ws = ox.path('workspace', 'seeds', g1['id'])
    assert g1['yaml'] == os.path.join(ws, 'gen-1.yaml')
    assert g2['yaml'] == os.path.join(ws, 'gen-2.yaml')
    text = open(g2['yaml']).read()
    assert 'generation: 2' in text
    assert 'rationale: "c1 failed: hello.txt was missing"' in text
    assert 'goal: "Write hello.txt saying \\"hello: world\\" # exactly"' \
        in text
    assert oct(os.stat(g2['yaml']).st_mode & 0o777) == '0o600'

    # The rows as the store wrote them: indexed columns and the spec.
    db = sqlite3.connect(ox.path('oxios.db'))
    rows = db.execute('SELECT id, parent_id, root_id, generation, status, '
                      'stop_reason, spec FROM seeds ORDER BY created_at'
                      ).fetchall()
    assert [r[3] for r in rows] == [1, 2, 1]
    assert rows[0][1] is None and rows[1][1] == g1['id']
    assert rows[0][4] == 'superseded' and rows[1][4] == 'passed'
    spec = json.loads(rows[0][6])
    assert spec['goal'] == ARGS['goal']
    assert spec['evaluation_principles'] == [
        {'name': 'correct', 'weight': 0.75},
        {'name': 'simple', 'weight': 0.25}]
    # Frozen: the spec cannot be changed, even by hand.
    with pytest.raises(sqlite3.IntegrityError, match='frozen'):
        db.execute("UPDATE seeds SET spec = '{}' WHERE id = ?",
                   (g1['id'],))
    db.close()


def test_put_refuses_bad_arguments(oxios):
    oxios.write_config('')
    bad = dict(ARGS, acceptance_criteria=[
        {'id': 'a', 'description': 'x'}, {'id': 'a', 'description': 'y'}])
    r = put(oxios, {'args': bad}, check=1)
    assert ("acceptance_criteria[1].id: 'a' is already the id of "
            "acceptance_criteria[0]") in r.stderr
    r = put(oxios, {'args': dict(ARGS, acceptance_criteria=[])}, check=1)
    assert 'at least one criterion' in r.stderr
    r = put(oxios, {'args': ARGS, 'parent': 'nope'}, check=1)
    assert 'no seed nope' in r.stderr


def test_rest_routes(seeded):
    ox, g1, g2, other = seeded
    d = make_daemon(ox)
    d.start()
    try:
        st, _, j = d.get('/api/seeds', auth=False)
        assert st == 401

        st, _, j = d.get('/api/seeds')
        assert st == 200, j
        assert j['total'] == 3 and j['offset'] == 0 and j['limit'] == 50
        assert [s['id'] for s in j['seeds']] == [other['id'], g2['id'],
                                                 g1['id']]
        first = j['seeds'][2]
        assert first['goal'] == ARGS['goal']
        assert first['status'] == 'superseded'
        assert first['degraded'] is True and first['ambiguity'] == 0.3
        st, _, j = d.get('/api/seeds?limit=1&offset=1')
        assert st == 200 and [s['id'] for s in j['seeds']] == [g2['id']]
        st, _, j = d.get('/api/seeds?limit=0')
        assert st == 400, j

        st, _, j = d.get('/api/seeds/' + g2['id'])
        assert st == 200, j
        assert j['parent_id'] == g1['id'] and j['generation'] == 2
        assert j['status'] == 'passed'
        assert j['stop_reason'] == 'every criterion passed'
        assert j['constraints'] == ARGS['constraints']
        assert j['acceptance_criteria'][0]['verify_command'] == \
            'test -f hello.txt'
        assert j['acceptance_criteria'][1]['verify_command'] is None

        st, _, j = d.get('/api/seeds/' + g2['id'] + '/evolution')
        assert st == 200, j
        assert j['root_id'] == g1['id']
        gens = j['generations']
        assert [g['generation'] for g in gens] == [1, 2]
        assert gens[0]['passed'] is False and gens[0]['score'] == 0.5
        c1 = gens[0]['criteria'][0]
        assert c1['id'] == 'c1' and c1['passed'] is False
        assert c1['results'][0]['stage'] == 'mechanical'
        assert c1['results'][0]['detail'] == {'exit_code': 1,
                                              'stderr': 'no such file'}
        assert gens[0]['verdicts'][0]['score'] == 0.8
        assert gens[1]['passed'] is True and gens[1]['score'] == 1.0
        assert gens[1]['seed']['rationale'].startswith('c1 failed')
        # Asked through the first generation: the same lineage.
        st, _, k = d.get('/api/seeds/' + g1['id'] + '/evolution')
        assert st == 200 and k == j

        for path in ('/api/seeds/0e8400e2-9b1d-41d4-a716-446655440000',
                     '/api/seeds/0e8400e2-9b1d-41d4-a716-446655440000'
                     '/evolution', '/api/seeds/nope',
                     '/api/seeds/nope/evolution'):
            st, _, j = d.get(path)
            assert st == 404, (path, j)
            assert j['error']['code'] == 'not_found', j
            assert 'no seed' in j['error']['message'], j
        # The YAML files hold the same seeds (read by another YAML
        # implementation when there is one).
        yaml = pytest.importorskip('yaml')
        for g in (g1, g2, other):
            st, _, j = d.get('/api/seeds/' + g['id'])
            del j['status'], j['stop_reason']
            with open(g['yaml']) as f:
                assert yaml.safe_load(f) == j
    finally:
        d.stop_clean()


def test_cli(seeded):
    ox, g1, g2, other = seeded
    r = ox.run('seeds', check=0)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ['ID', 'GEN', 'STATUS', 'CREATED', 'GOAL']
    assert lines[1].startswith(other['id'])
    assert g2['id'] + ' 2   passed' in lines[2]
    assert 'Write hello.txt saying' in lines[3]
    r = ox.run('seeds', 'list', '--limit', '1', check=0)
    assert '(3 in all: --offset 1 for more)' in r.stdout
    r = ox.run('seeds', 'list', '--json', '--offset', '2', check=0)
    assert [s['id'] for s in json.loads(r.stdout)['seeds']] == [g1['id']]

    r = ox.run('seeds', 'show', g1['id'], check=0)
    assert 'generation 1 of root %s, parent -' % g1['id'] in r.stdout
    assert 'ambiguity: 0.30 (degraded' in r.stdout
    assert '  c1: the file exists\n      verify: test -f hello.txt\n' \
        '      artifact: hello.txt\n      assertion: /^ok$/\n' in r.stdout
    assert '  correct: 0.750' in r.stdout
    r = ox.run('seeds', 'show', g2['id'], '--json', check=0)
    assert json.loads(r.stdout)['rationale'].startswith('c1 failed')

    r = ox.run('seeds', 'evolution', g2['id'], check=0)
    assert 'lineage of root %s: 2 generations' % g1['id'] in r.stdout
    assert 'c1: failed\n      mechanical fail\n' in r.stdout
    assert 'c2: passed (score 0.85)' in r.stdout
    assert 'passed: every criterion passed  score 1.00  passed' in r.stdout
    r = ox.run('seeds', 'evolution', g1['id'], '--json', check=0)
    assert len(json.loads(r.stdout)['generations']) == 2

    r = ox.run('seeds', 'show', 'nope', check=1)
    assert 'no seed nope' in r.stderr
    r = ox.run('seeds', 'evolution', check=2)
    assert 'name one seed' in r.stderr
    r = ox.run('seeds', 'list', '--limit', '0', check=2)
    r = ox.run('help', 'seeds', check=0)
    assert 'evolution ID [--json]' in r.stdout
    assert 'test-put' not in r.stdout


def test_empty(oxios):
    oxios.write_config('')
    r = oxios.run('seeds', check=0)
    assert r.stdout == 'no seeds yet\n'
    r = oxios.run('seeds', 'list', '--json', check=0)
    assert json.loads(r.stdout) == {'seeds': [], 'total': 0, 'limit': 20,
                                    'offset': 0}
