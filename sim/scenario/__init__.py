"""The scenario: a typed, validated, fully resolved description of one service area and its organisation.

``fields`` (durations, clock times, dates, the shared pydantic base), ``arrivals``, ``crews``, ``expect`` and
``schema`` (the ``Scenario`` model) say what a scenario file may hold; ``checks`` (defaults and cross-checks) and
``messages`` turn problems into issues with their YAML path and line; ``loading`` reads a file, a dict or text;
``derived`` builds variants and copies; ``territory`` gives a scenario's prepared road network; ``figures`` names
the figures a run reports (``urban.arrive``, ``ieee.all.SAIDI``), which ``expect:`` sections refer to.

May import: ``sim.inputs`` and the flat helpers. Never the engine, analysis, output or experiments.
"""

from sim.scenario.loading import load_scenario, scenario_dict
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_dict"]
