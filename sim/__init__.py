"""stormcrew: discrete-event simulation of an electric utility's outage repair crews through a storm season.

Data flows one way: scenario -> model -> records -> metrics -> results.

>>> import sim
>>> sc = sim.load_scenario("scenarios/storm_season.yaml")
>>> res = sim.run(sc, replications=2, seed=7)
>>> round(float(res.figure("urban", "arrive")["mean"]), 3) == round(float(
...     sim.run(sc, replications=2, seed=7).figure("urban", "arrive")["mean"]), 3)
True
"""

from sim.errors import InputError, Issue, ScenarioError
from sim.experiments.runner import run
from sim.output.results import Result, package_version
from sim.scenario.loading import load_scenario, scenario_dict
from sim.scenario.schema import Scenario

__version__ = package_version()
__all__ = ["InputError", "Issue", "Result", "Scenario", "ScenarioError", "load_scenario", "run", "scenario_dict",
           "__version__"]
