"""A scenario's prepared road network: its ``travel.network`` file read, snapped and prepared once per process
(and kept in the disk cache), with the depots and staging points kept as junctions."""

from __future__ import annotations

import os
from pathlib import Path

from sim.errors import Issue, ScenarioError
from sim.inputs.roadcache import prepared_network
from sim.inputs.roads import PreparedNetwork
from sim.scenario.schema import Scenario


def load_network(sc: Scenario) -> PreparedNetwork:
    """The scenario's prepared road network (ScenarioError if the file is missing, broken or disconnected)."""

    t = sc.travel
    assert t.network is not None
    path = sc.path_of(t.network)
    try:
        st = os.stat(path)
    except OSError:
        raise ScenarioError(str(path), [Issue((), "file not found; expected an OpenStreetMap (.osm.pbf, .osm, "
                                              ".graphml) or GeoJSON road network")]) from None
    keep = [tuple(d.location) for d in sc.depots.values()] + [
        tuple(p) for d in sc.depots.values() for g in d.units for p in g.staging]
    net = prepared_network(str(Path(path).resolve()), st.st_mtime_ns, st.st_size, t.units, t.origin,
                            tuple(sorted(t.speeds.items())), tuple(z.area.shape() for z in sc.zones.values()),
                            tuple(t.terrain.get(z, 1.0) for z in sc.zones), t.snap_speed_kmh,
                            tuple((float(a), float(b)) for a, b in keep), sc.crs, t.network)
    far = []
    for name, d in sc.depots.items():
        places = [(("depots", name, "location"), f"depot {name}", d.location)] + [
            (("depots", name, "units", k, "staging"), f"staging point {j} of {name}/{g.name}", p)
            for k, g in enumerate(d.units) for j, p in enumerate(g.staging)]
        for where, what, (x, y) in places:
            _, km = net.snap_one(float(x), float(y))
            if km > t.max_snap_km:
                far.append(Issue(where, f"{what} at [{x:g}, {y:g}] is {km:.3g} km from the nearest road node of "
                                 f"{t.network}; expected at most travel.max_snap_km ({t.max_snap_km:g} km): is it "
                                 "in the right place, in the right CRS?"))
    if far:
        raise ScenarioError(str(t.network), far)
    return net


def hub_junctions(sc: Scenario, net: PreparedNetwork) -> frozenset[int]:
    """The junctions most trips start from (depots, staging points, mutual aid's staging): on a county's network,
    trips from them search from them once, in full. A scenario's own (not the shared network's), so that what one
    scenario declared never changes another's routes in the same process."""
    if net.dense:
        return frozenset()
    hubs = [d.location for d in sc.depots.values()] + [
        p for d in sc.depots.values() for g in d.units for p in g.staging]
    if sc.mutual_aid is not None:
        hubs.append(sc.mutual_aid.staging)
    return frozenset(net.snap_one(float(x), float(y))[0] for x, y in hubs)
