"""Inputs: the territory and history files a planner brings, read into arrays in km and minutes.

Zones and their geometry, road networks and their disk cache, GIS layers, outage logs, daily SAIDI histories and
coordinate handling. Every reader names the file, the place in it and what is expected when it refuses one.

May import: the flat helpers (``sim.errors``, ``sim.bounds``, ``sim.atomic``, ``sim.distributions``, ...) and other
modules of this layer. Never the scenario, the engine or anything above: a reader takes plain values, not a
``Scenario``.
"""
