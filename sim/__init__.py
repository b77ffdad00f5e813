"""stormcrew: discrete-event simulation of an electric utility's outage repair crews through a storm season.

Data flows one way: scenario -> model -> records -> metrics -> results.

>>> import sim
>>> sc = sim.load_scenario("scenarios/storm_season.yaml")
>>> res = sim.run(sc, replications=2, seed=7)
>>> round(float(res.figure("urban", "arrive")["mean"]), 3) == round(float(
...     sim.run(sc, replications=2, seed=7).figure("urban", "arrive")["mean"]), 3)
True
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, Issue, ScenarioError

if TYPE_CHECKING:
    from sim.experiments.runner import run
    from sim.output.results import Result, load_result
    from sim.scenario.loading import load_scenario, scenario_dict
    from sim.scenario.schema import Scenario

# The public API is imported on first use (PEP 562): ``import sim`` (and the pytest plugin, and ``stormcrew
# --help``) do not pay for numpy, pandas, scipy and SimPy until a name that needs them is asked for.
_LAZY = {"run": "sim.experiments.runner", "Result": "sim.output.results", "load_result": "sim.output.results",
         "load_scenario": "sim.scenario.loading",
         "scenario_dict": "sim.scenario.loading", "Scenario": "sim.scenario.schema"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


try:
    __version__ = version("stormcrew")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["InputError", "Issue", "Result", "Scenario", "ScenarioError", "load_result", "load_scenario", "run",
           "scenario_dict", "__version__"]
