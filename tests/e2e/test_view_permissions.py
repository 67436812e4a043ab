"""Browser test of the Permissions view (scenarios/permissions.mjs, run by
run.mjs in chromium)."""
from conftest import scenario


def test_permissions(dash):
    scenario(dash, 'permissions')
