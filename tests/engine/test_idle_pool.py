"""sim.engine.dispatch.IdlePool: the index of idle units. Its search must give exactly the order a full scan sorted
by (ETA, unit index) gives, whatever the cells, call-outs, speeds, skills and units still driving; and it must ask
for few routes when many units stand idle far from the fault."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from sim.engine.dispatch import IdlePool, Station
from sim.engine.travel import StraightLineTravel
from sim.engine.units import Unit

PACE = 1.0  # minutes per km: straight roads at 60 km/h


class _Centre:
    def next_for(self, unit: Unit) -> None:
        return None


def _units(n: int, rng: np.random.Generator, extent: float, moving: float = 0.2,
           places: int | None = None) -> tuple[simpy.Environment, list[Unit]]:
    env = simpy.Environment()
    travel = StraightLineTravel(1.0, [60.0])
    spots = rng.uniform(0, extent, (places or n, 2))
    out = []
    for i in range(n):
        x, y = spots[rng.integers(len(spots))] if places else spots[i]
        u = Unit(env, i, int(rng.integers(1, 8)), (0,), (float(x), float(y), 0), _Centre(), travel, None,  # type: ignore[arg-type]
                 speed_factor=float(rng.choice([1.0, 0.5, 1.5])), on_call=bool(rng.random() < 0.3),
                 callout=float(rng.choice([0.0, 20.0])))
        if rng.random() < moving:  # on its way home: arrives somewhere between now (10) and later
            tx, ty = rng.uniform(0, extent, 2)
            u._leg = (0.0, u.x, u.y, 0, float(tx), float(ty), 0, float(rng.uniform(5, 30)), 1.0)
        out.append(u)
    return env, out


def _eta_of(fx: float, fy: float, now: float, calls: list[int]) -> object:
    def eta(key: Station | None, unit: Unit) -> float:
        calls[0] += 1
        if key is None:
            x, y, _ = unit.position(now)
            return unit.callout_delay(now) + PACE * math.hypot(x - fx, y - fy) / unit.speed_factor
        return key[3] + PACE * math.hypot(key[0] - fx, key[1] - fy) / key[4]
    return eta


def _full_scan(units: list[Unit], fx: float, fy: float, now: float, need: int) -> list[tuple[float, int]]:
    """What dispatch did before the index: every station's one unit of each kind, every driving unit, sorted."""
    kinds: dict[tuple, dict[int, Unit]] = {}
    out = []
    for u in units:
        at = u.standing(now)
        if need and not u.skills & need:
            continue
        if at is None:
            x, y, _ = u.position(now)
            out.append((PACE * math.hypot(x - fx, y - fy) / u.speed_factor, u.index))
            continue
        kinds.setdefault((at[0], at[1], at[2], u.callout_delay(now), u.speed_factor, u.skills), {})[u.index] = u
    for key, members in kinds.items():
        out.append((key[3] + PACE * math.hypot(key[0] - fx, key[1] - fy) / key[4], min(members)))
    return sorted(out)


@pytest.mark.parametrize(("cell", "places"), [(0.5, None), (3.0, None), (50.0, None), (2.0, 30), (0.1, 5)])
def test_the_search_gives_the_full_scans_order(cell: float, places: int | None) -> None:
    rng = np.random.default_rng(int(cell * 10) + (places or 0))
    env, units = _units(300, rng, 40.0, places=places)
    pool = IdlePool(cell)
    for u in units:
        pool.add(u, 10.0)
    for u in units[::7]:  # some sent since
        pool.remove(u)
    left = [u for u in units if u.index in pool]
    for now in (10.0, 18.0, 40.0):  # later, more of the driving units have arrived and are filed
        for _ in range(20):
            fx, fy = rng.uniform(-10, 50, 2)
            need = int(rng.choice([0, 1, 2, 4, 3]))
            got = [(t, i) for t, i, _ in pool.soonest(fx, fy, now, need, PACE * (1 - 1e-9),
                                                      _eta_of(fx, fy, now, [0]))]
            assert got == _full_scan(left, fx, fy, now, need)


def test_few_routes_are_asked_for_among_many_idle_units() -> None:
    """2,000 units standing over 100 x 100 km: the soonest is found asking for a few dozen routes at most, where a
    scan asks for one per station."""
    rng = np.random.default_rng(3)
    _, units = _units(2000, rng, 100.0, moving=0.0)
    pool = IdlePool(100.0 / 64)
    for u in units:
        pool.add(u, 0.0)
    asked = []
    for _ in range(50):
        fx, fy = rng.uniform(0, 100, 2)
        calls = [0]
        first = next(pool.soonest(fx, fy, 0.0, 1, PACE * (1 - 1e-9), _eta_of(fx, fy, 0.0, calls)))
        assert first[:2] == _full_scan(units, fx, fy, 0.0, 1)[0]
        asked.append(calls[0])
    assert max(asked) < 60, asked


def test_counts_of_skills_follow_adds_and_removals() -> None:
    rng = np.random.default_rng(1)
    _, units = _units(20, rng, 10.0, moving=0.0)
    pool = IdlePool(1.0)
    for u in units:
        pool.add(u, 0.0)
    assert pool.skills() == np.bitwise_or.reduce([u.skills for u in units])
    for u in units:
        pool.remove(u)
        pool.remove(u)  # twice: no harm
    assert len(pool) == 0 and not pool.kinds and not pool.stations and not pool.cells
    assert not pool.can(1, full=False) and not pool.can(0, full=True)
