from __future__ import annotations

from collections.abc import Iterator

import pytest

from fanlens.simulators.run import RunningSimulator, start_simulator, world_records
from tests.simulators.worlds import small_world


def _start(platform: str, **options: object) -> Iterator[RunningSimulator]:
    records = small_world(platform) + world_records("tiny", 0, platform)
    sim = start_simulator(platform, records, **options)
    yield sim
    sim.stop()


@pytest.fixture(scope="session")
def youtube_sim() -> Iterator[RunningSimulator]:
    yield from _start("youtube")


@pytest.fixture(scope="session")
def bluesky_sim() -> Iterator[RunningSimulator]:
    yield from _start("bluesky")


@pytest.fixture(scope="session")
def mastodon_sim() -> Iterator[RunningSimulator]:
    yield from _start("mastodon")


@pytest.fixture
def sims(
    youtube_sim: RunningSimulator, bluesky_sim: RunningSimulator, mastodon_sim: RunningSimulator
) -> Iterator[dict[str, RunningSimulator]]:
    # The simulators live for the whole session: give each test fresh rate-limit windows, so a
    # test's requests never spend another test's budget (a 429 would look like a broken page).
    for sim in (bluesky_sim, mastodon_sim):
        sim.set_faults(budget={})
    yield {"youtube": youtube_sim, "bluesky": bluesky_sim, "mastodon": mastodon_sim}
    for sim in (youtube_sim, bluesky_sim, mastodon_sim):
        sim.clear_faults()
