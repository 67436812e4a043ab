"""Browser tests of the Agents, Sessions, Seeds, Scheduler and Budgets
views (scenarios/NAME.mjs, run by run.mjs in chromium)."""
from conftest import scenario


def test_agents(dash):
    scenario(dash, 'agents')
