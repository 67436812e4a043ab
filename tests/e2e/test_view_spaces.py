"""Browser test of the Spaces view (scenarios/spaces.mjs, run by run.mjs
in chromium)."""
from conftest import scenario


def test_spaces(dash):
    scenario(dash, 'spaces')
