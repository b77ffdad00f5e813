"""A pytest plugin for planners' own test suites: the ``stormcrew`` fixture.

Installed with stormcrew (entry point ``pytest11``), so in any project where stormcrew is installed::

    def test_night_roster_keeps_the_promise(stormcrew):
        stormcrew.check("scenarios/night_roster.yaml").assert_passed()

    def test_urban_response(stormcrew):
        res = stormcrew.run("scenarios/storm_season.yaml", replications=10)
        assert res.figure("urban", "arrive")["ci_low"] >= 0.9
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.check import CheckReport, check
from sim.experiments.runner import run
from sim.output.results import Result


class StormcrewFixture:
    """What the ``stormcrew`` fixture gives a test: run scenarios, check their expectations."""

    def __init__(self, workers: int | None = 1):
        self.workers = workers

    def check(self, *paths: str | Path, baselines: str | Path | None = None) -> CheckReport:
        """Run the ``expect:`` sections of the scenarios at ``paths`` (files or folders)."""
        return check([Path(p) for p in paths], workers=self.workers,
                     baselines=None if baselines is None else Path(baselines))

    def run(self, scenario: str | Path | dict, replications: int | None = None, seed: int | None = None) -> Result:
        """Run a scenario and return its Result."""
        return run(scenario, replications=replications, seed=seed, workers=self.workers)


@pytest.fixture
def stormcrew() -> StormcrewFixture:
    """Run stormcrew scenarios and check their expectations from a test."""
    return StormcrewFixture()
