"""Browser test of the Memory view's compaction levels
(scenarios/memory_tree.mjs): a home with a month of dated memories (the
test-only memory clock) compacted through the fake LLM before the daemon
starts, then a topic opened down to its raw memories."""
import os
import tempfile

import pytest

from conftest import Control, ic, scenario

CLOCK = 'OXIOS_TEST_MEMORY_CLOCK_MS'
OCT_1_2025 = 1759276800000
DAY = 86400000


@pytest.fixture(scope='module')
def compacted():
    from fake_llm import FakeLLM
    fake = FakeLLM().start()
    home = tempfile.mkdtemp(prefix='oxios-e2e-')
    ox = ic.Oxios(os.path.join(home, 'home'))
    ox.env.update({
        'OPENAI_BASE_URL': fake.url + '/v1',
        'OPENAI_API_KEY': ic.OPENAI_KEY,
    })
    ox.fake = fake
    d = ic.make_daemon(ox)
    for day in range(14):
        ox.run('memory', 'add', 'Ops note of day %d about host%d' %
               (day + 1, day), '--type', 'episode', '--tags', 'ops',
               env={CLOCK: str(OCT_1_2025 + day * DAY + 3600000)}, check=0)
    fake.load({'turns': [{'text': 'Summary %d of the ops notes' % i}
                         for i in range(40)]})
    ox.run('memory', 'compact', env={CLOCK: str(OCT_1_2025 + 62 * DAY)},
           check=0)
    d.start()
    d.fake = fake
    d.control = Control(d)
    yield d
    d.control.stop()
    d.stop_clean()
    fake.stop()


def test_memory_tree(compacted):
    scenario(compacted, 'memory_tree')
