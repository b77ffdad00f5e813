"""Analysis: figures from the engine's records (compliance with the limits, IEEE 1366 indices and major event
days, time series and restoration curves, confidence intervals), fitting a season to an outage log, and the reach
of each depot.

May import: ``sim.engine``, ``sim.scenario``, ``sim.inputs`` and the flat helpers. Never output or experiments.
"""
