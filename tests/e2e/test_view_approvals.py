"""Browser scenario of the dashboard's Approvals view and the chat's
approval card (tests/e2e/scenarios/approvals.mjs), on a daemon whose
write tool asks a human."""
import tempfile
import os

import pytest

from conftest import Control, ic, scenario


@pytest.fixture(scope='module')
def dash_ask():
    from fake_llm import FakeLLM
    fake = FakeLLM().start()
    home = tempfile.mkdtemp(prefix='oxios-e2e-')
    ox = ic.Oxios(os.path.join(home, 'home'))
    ox.env.update({
        'OPENAI_BASE_URL': fake.url + '/v1',
        'OPENAI_API_KEY': ic.OPENAI_KEY,
    })
    ox.fake = fake
    d = ic.make_daemon(ox, '[security.tools.write]\napproval = "ask"\n')
    d.start()
    d.fake = fake
    d.control = Control(d)
    yield d
    d.control.stop()
    d.stop_clean()
    fake.stop()


def test_approvals(dash_ask):
    scenario(dash_ask, 'approvals')
