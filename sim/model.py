"""One replication: the SimPy wiring of faults, dispatch centre and units. A pure function of (scenario, seed,
replication), so it runs the same in any process or on any worker.

Faults reported before the horizon are followed until they are restored; none is cut off at the horizon.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.dispatch import DispatchCentre
from sim.faults import FaultTable, generate
from sim.records import Records, UnitInfo
from sim.scenario import Scenario
from sim.travel import StraightLineTravel
from sim.units import Unit


def _arrivals(env: simpy.Environment, faults: FaultTable, centre: DispatchCentre) -> Generator[simpy.Event, Any, None]:
    # one process for all arrivals: a timeout per fault, never a process per fault
    for fault, t in enumerate(faults.reported.tolist()):
        if t > env.now:
            yield env.timeout(t - env.now)
        centre.report(fault, env.now)


def _etr_knowledge(sc: Scenario, faults: FaultTable, travel: StraightLineTravel, needs: list[int],
                   mask: Callable[[list[str]], int]) -> tuple[np.ndarray, list[float], dict[tuple[int, int], int]]:
    """What the dispatch centre knows for its ETRs: each fault's typical repair (its type's mean, longer for storm
    damage), the drive from the nearest depot into each zone (to its centre), and the units able to serve each
    (zone, fault type)."""
    means = np.array([ft.repair.mean() for ft in sc.fault_types.values()])
    typical = means[faults.fault_type] if len(faults) else np.empty(0)
    if sc.arrivals.storms is not None:
        typical = np.where(faults.storm >= 0, typical * sc.arrivals.storms.repair_factor, typical)
    zones = list(sc.zones)
    drive = []
    for zi, (name, zone) in enumerate(sc.zones.items()):
        x0, y0, x1, y1 = zone.area.box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        times = [travel.minutes(travel.distance(d.location[0], d.location[1], cx, cy), zones.index(d.zone), zi)
                 for d in sc.depots.values() if name in (d.serves or zones)]
        drive.append(min(times) if times else 0.0)
    capable: dict[tuple[int, int], int] = {}
    for d in sc.depots.values():
        for g in d.units:
            have = mask(g.skills)
            for zi, name in enumerate(zones):
                if name in (d.serves or zones):
                    for ti, need in enumerate(needs):
                        if have & need == need:
                            capable[(zi, ti)] = capable.get((zi, ti), 0) + g.count
    return typical, drive, capable


def simulate(sc: Scenario, seed: int, replication: int) -> Records:
    """Run replication ``replication`` of ``sc`` with master ``seed`` and return its records."""
    faults = generate(sc, seed, replication)
    zone_index = {z: i for i, z in enumerate(faults.zone_names)}
    skill_bit = {s: 1 << i for i, s in enumerate(sorted(
        {s for ft in sc.fault_types.values() for s in ft.skills}
        | {s for d in sc.depots.values() for g in d.units for s in g.skills}))}

    def mask(skills: list[str]) -> int:
        return sum(skill_bit[s] for s in set(skills))

    travel = StraightLineTravel(sc.travel.circuity, [z.speed_kmh for z in sc.zones.values()])
    needs = [mask(ft.skills) for ft in sc.fault_types.values()]
    infos: list[UnitInfo] = []
    records = Records(replication, faults, infos)
    centre = DispatchCentre(faults, travel, needs, records, *_etr_knowledge(sc, faults, travel, needs, mask))
    env = simpy.Environment()
    units: list[Unit] = []
    for depot_name, depot in sc.depots.items():
        serves = tuple(sorted(zone_index[z] for z in (depot.serves or sc.zones)))
        home = (depot.location[0], depot.location[1], zone_index[depot.zone])
        for group in depot.units:
            for k in range(1, group.count + 1):
                infos.append(UnitInfo(f"{depot_name}/{group.name}-{k}", depot_name, f"{depot_name}/{group.name}",
                                      group.kind, tuple(group.skills)))
                units.append(Unit(env, len(units), mask(group.skills), serves, home, centre, travel, records))
    env.process(_arrivals(env, faults, centre))
    env.run()
    for unit in units:
        unit.finish()
    return records
