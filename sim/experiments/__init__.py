"""Experiments: many replications and their comparisons. ``runner`` runs replications on worker processes
(results independent of the worker count), ``variants`` compares policies with common random numbers, ``sweep``
and ``staff`` search over parameters, ``check`` holds a scenario to its ``expect:`` section and baseline,
``validation`` compares a run with a recorded outage log.

May import: every layer below (output, analysis, engine, scenario, inputs) and the flat helpers.
"""
