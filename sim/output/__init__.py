"""Output: the results of a run as a folder (``Result`` and its files, kept safe by ``outfolder``) and the HTML
report drawn from that folder.

May import: ``sim.analysis`` and everything below it. Never experiments, the CLI or the public API.
"""
