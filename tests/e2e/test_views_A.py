"""Browser tests of the Agents, Sessions, Seeds, Scheduler and Budgets
views (scenarios/NAME.mjs, run by run.mjs in chromium)."""
import json

from conftest import scenario


def test_agents(dash):
    scenario(dash, 'agents')


def test_sessions(dash):
    scenario(dash, 'sessions')


SEED = {
    'goal': 'Write hello.txt saying hello',
    'task_type': 'code',
    'constraints': ['no network'],
    'acceptance_criteria': [
        {'id': 'c1', 'description': 'the file exists',
         'verify_command': 'test -f hello.txt'},
        {'id': 'c2', 'description': 'it says hello'},
    ],
    'evaluation_principles': [{'name': 'correct', 'weight': 1}],
    'exit_conditions': ['all criteria pass'],
    'assumptions': ['English'],
}


def put_seed(d, doc):
    r = d.ox.run('seeds', 'test-put', stdin=json.dumps(doc))
    return json.loads(r.stdout)


def test_seeds(dash):
    g1 = put_seed(dash, {'args': SEED, 'results': [
        {'criterion_id': 'c1', 'stage': 'mechanical', 'passed': False,
         'detail': {'exit_code': 1, 'stderr': 'no such file'}},
        {'criterion_id': 'c2', 'stage': 'semantic', 'passed': True,
         'score': 1}]})
    put_seed(dash, {
        'args': dict(SEED, rationale='c1 failed: hello.txt was missing'),
        'parent': g1['id'], 'status': 'passed',
        'stop_reason': 'every criterion passed',
        'results': [
            {'criterion_id': 'c1', 'stage': 'mechanical', 'passed': True,
             'score': 1},
            {'criterion_id': 'c2', 'stage': 'semantic', 'passed': True,
             'score': 1}]})
    put_seed(dash, {'args': dict(SEED, goal='Another task')})
    scenario(dash, 'seeds')


def test_scheduler(dash):
    scenario(dash, 'scheduler')


def test_budgets(dash):
    scenario(dash, 'budgets')
