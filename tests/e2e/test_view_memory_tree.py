"""Browser test of the Memory view's compaction levels
(scenarios/memory_tree.mjs): a home with a month of dated memories (the
test-only memory clock) compacted through the fake LLM before the daemon
starts, then a topic opened down to its raw memories."""
import pytest

from conftest import scenario, serve, stop

CLOCK = 'OXIOS_TEST_MEMORY_CLOCK_MS'
OCT_1_2025 = 1759276800000
DAY = 86400000


def month_compacted(ox, fake):
    """Fourteen dated days of notes, compacted before the daemon starts."""
    for day in range(14):
        ox.run('memory', 'add', 'Ops note of day %d about host%d' %
               (day + 1, day), '--type', 'episode', '--tags', 'ops',
               env={CLOCK: str(OCT_1_2025 + day * DAY + 3600000)}, check=0)
    fake.load({'turns': [{'text': 'Summary %d of the ops notes' % i}
                         for i in range(40)]})
    ox.run('memory', 'compact', env={CLOCK: str(OCT_1_2025 + 62 * DAY)},
           check=0)


@pytest.fixture(scope='module')
def compacted():
    d = serve(anthropic=False, prepare=month_compacted)
    yield d
    stop(d)


def test_memory_tree(compacted):
    scenario(compacted, 'memory_tree')
