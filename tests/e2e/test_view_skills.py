"""Browser test of the Skills view (scenarios/skills.mjs, run by run.mjs
in chromium)."""
from conftest import scenario


def test_skills(dash):
    scenario(dash, 'skills')
