"""A pytest plugin for planners' own test suites: the ``stormcrew`` fixture.

Installed with stormcrew (entry point ``pytest11``), so in any project where stormcrew is installed::

    def test_night_roster_keeps_the_promise(stormcrew):
        stormcrew.check("scenarios/levers/night_roster.yaml").assert_passed()

    def test_urban_response(stormcrew):
        res = stormcrew.run("scenarios/storm_season.yaml", replications=10)
        assert res.figure("urban", "arrive")["ci_low"] >= 0.9
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sim.experiments.check import CheckReport
    from sim.output.results import Result

# pytest loads this plugin into every session of a project where stormcrew is installed (and before coverage
# starts), so stormcrew itself is imported only when a test uses the fixture.


class StormcrewFixture:
    """What the ``stormcrew`` fixture gives a test: run scenarios, check their expectations."""

    def __init__(self, workers: int | None = 1):
        self.workers = workers

    def check(self, *paths: str | Path, baselines: str | Path | None = None) -> CheckReport:
        """Run the ``expect:`` sections of the scenarios at ``paths`` (files or folders)."""
        from sim.experiments.check import check  # noqa: PLC0415 (see the top)

        return check([Path(p) for p in paths], workers=self.workers,
                     baselines=None if baselines is None else Path(baselines))

    def run(self, scenario: str | Path | dict, replications: int | None = None, seed: int | None = None) -> Result:
        """Run a scenario and return its Result."""
        from sim.experiments.runner import run  # noqa: PLC0415 (see the top)

        return run(scenario, replications=replications, seed=seed, workers=self.workers)


@pytest.fixture
def stormcrew() -> StormcrewFixture:
    """Run stormcrew scenarios and check their expectations from a test."""
    return StormcrewFixture()
