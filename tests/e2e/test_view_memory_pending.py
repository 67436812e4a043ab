"""Browser test of why a compaction leaves periods pending
(scenarios/memory_pending.mjs): three closed days of notes (the
test-only memory clock) and a cap of one model call a run."""
import pytest

from conftest import scenario, serve, stop

CLOCK = 'OXIOS_TEST_MEMORY_CLOCK_MS'
OCT_1_2025 = 1759276800000
DAY = 86400000


def three_days(ox, fake):
    for day in range(3):
        ox.run('memory', 'add', 'Garden note of day %d' % (day + 1),
               '--type', 'episode', '--tags', 'garden',
               env={CLOCK: str(OCT_1_2025 + day * DAY + 3600000)}, check=0)
    fake.load({'turns': [{'text': 'Summary %d of the garden notes' % i}
                         for i in range(10)]})


@pytest.fixture(scope='module')
def capped():
    d = serve('[memory]\ncompaction_max_calls = 1\n', anthropic=False,
              prepare=three_days)
    yield d
    stop(d)


def test_memory_pending(capped):
    scenario(capped, 'memory_pending')
