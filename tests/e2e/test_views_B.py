"""Browser scenarios of the dashboard's Memory, Audit, Config, System and
Resources views (tests/e2e/scenarios/NAME.mjs), one daemon for the file."""
from conftest import scenario


def test_memory(dash):
    scenario(dash, 'memory')


def test_audit(dash):
    scenario(dash, 'audit')


def test_config(dash):
    scenario(dash, 'config')


def test_system(dash):
    scenario(dash, 'system')


def test_resources(dash):
    scenario(dash, 'resources')
