"""Browser test of the Tokens view and of roles in the views
(scenarios/tokens.mjs, run by run.mjs in chromium)."""
from conftest import scenario


def test_tokens(dash):
    scenario(dash, 'tokens')
