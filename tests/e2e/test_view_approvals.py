"""Browser scenario of the dashboard's Approvals view and the chat's
approval card (tests/e2e/scenarios/approvals.mjs), on a daemon whose
write tool asks a human."""
import pytest

from conftest import scenario, serve, stop


@pytest.fixture(scope='module')
def dash_ask():
    d = serve('[security.tools.write]\napproval = "ask"\n', anthropic=False)
    yield d
    stop(d)


def test_approvals(dash_ask):
    scenario(dash_ask, 'approvals')
