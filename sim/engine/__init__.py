"""The engine: one replication of a season in SimPy, ``simulate(scenario, seed, replication) -> Records``.

``weather`` and ``faults`` draw what breaks and when; ``travel`` says how long a drive takes under the storms of
the moment; ``duty`` keeps shifts and rests; ``jobs`` holds the crew side of a fault; ``policies`` are the
dispatch orders and divert rules, passed to the dispatch centre; ``dispatch`` assigns units to faults; ``units``
drive, work and come free; ``records`` keeps a row per fault, dispatch and unit activity; ``model`` puts them
together.

May import: ``sim.scenario``, ``sim.inputs`` and the flat helpers. Never analysis, output or experiments: the
engine returns records and knows nothing of what is made of them.
"""
