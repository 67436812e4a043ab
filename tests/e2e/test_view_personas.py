"""Browser test of the Personas view (scenarios/personas.mjs, run by
run.mjs in chromium)."""
from conftest import scenario


def test_personas(dash):
    scenario(dash, 'personas')
