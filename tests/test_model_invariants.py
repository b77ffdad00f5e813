"""Properties every run must have, over random small scenarios and a long default season."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import DEFAULT_SCENARIO


def check_invariants(res: sim.Result) -> None:
    f, u = res.faults, res.units
    # every fault reported is followed to its repair, its times in order (the call, the centre's decision, the
    # first unit, every skill, the repair); supply is back no later than the repair and not before a unit is there
    assert f["repaired"].notna().all() and f["restored"].notna().all()
    order = f[["reported", "decided", "dispatched", "first_on_site", "on_site", "repair_start",
               "repaired"]].to_numpy()
    assert (np.diff(order, axis=1) >= -1e-9).all()
    assert (f["restored"] <= f["repaired"] + 1e-9).all() and (f["restored"] >= f["first_on_site"] - 1e-9).all()
    # a temporary restoration comes before the repair and is the restoration
    temp = f[f["temp_restored"].notna()]
    assert (temp["temp_restored"] == temp["restored"]).all() and (temp["temp_restored"] <= temp["repaired"]).all()
    # each unit is in one place doing one thing at a time
    for (_, _), acts in u.groupby(["replication", "unit"], sort=False):
        start, end = acts["start"].to_numpy(), acts["end"].to_numpy()
        assert (end >= start - 1e-9).all()
        assert (start[1:] >= end[:-1] - 1e-9).all()
        # and it starts each activity where the previous one left it
        assert np.allclose(acts["from_x_km"].to_numpy()[1:], acts["to_x_km"].to_numpy()[:-1])
        assert np.allclose(acts["from_y_km"].to_numpy()[1:], acts["to_y_km"].to_numpy()[:-1])
    # a crew's repair took as long as drawn (work speed 1 here), and every unit on a job worked all of it
    crew = f[~f["van_repaired"]]
    assert np.allclose(crew["repaired"] - crew["repair_start"], crew["repair_minutes"])
    work = u[u["activity"] == "work"].merge(crew, left_on=["replication", "job"], right_on=["replication", "fault"])
    is_van = work["unit_x"].str.contains("/van")
    assert np.allclose(work.loc[~is_van, "end"], work.loc[~is_van, "repaired"])
    # a unit that waited on site waited for the rest of its job's units, until the repair began
    wait = u[u["activity"] == "wait"].merge(f, left_on=["replication", "job"], right_on=["replication", "fault"])
    assert np.allclose(wait["end"], wait["repair_start"])


def test_invariants_on_a_long_default_season() -> None:
    check_invariants(sim.run(DEFAULT_SCENARIO, replications=2, seed=8))


@st.composite
def small_scenarios(draw: st.DrawFn) -> dict:
    n_zones = draw(st.integers(1, 3))
    zones = {f"z{i}": {"speed_kmh": draw(st.floats(10, 90)), "limits": {"arrive": 60, "restore": 360},
                       "area": {"box": [10.0 * i, 0, 10.0 * i + draw(st.floats(0, 20)), draw(st.floats(0, 20))]}}
             for i in range(n_zones)}
    skills = ["a", "b"]
    types = {f"t{k}": {"skills": [skills[k % 2]], "repair": {"dist": "expon", "scale": draw(st.floats(5, 200))}}
             for k in range(2)}
    types["both"] = {"skills": ["a", "b"], "repair": {"dist": "expon", "scale": draw(st.floats(5, 200))}}
    types["t0"]["van"] = {"work": draw(st.floats(1, 60)), "fixes": draw(st.floats(0, 1)),
                          "restores": draw(st.booleans())}
    def units() -> list[dict]:
        out: list[dict] = [{"name": s, "skills": [s], "count": draw(st.integers(0, 2))} for s in skills]
        out[0]["roster"] = [{"name": "day", "start": "06:00", "end": "18:00", "count": draw(st.integers(1, 2))},
                            {"name": "night", "start": "18:00", "end": "06:00", "count": 1, "on_call": True,
                             "callout": draw(st.floats(0, 60))}]
        out[1]["count"] = max(1, out[1]["count"])
        if draw(st.booleans()):
            out.append({"name": "team", "kind": "team", "skills": skills, "count": 1})
        if draw(st.booleans()):
            out.append({"name": "van", "kind": "van", "count": draw(st.integers(1, 2))})
        return out
    depots = {f"d{i}": {"zone": f"z{i}", "location": [10.0 * i, 0], "units": units()} for i in range(n_zones)}
    per_day = {z: {t: draw(st.floats(0, 30)) for t in types} for z in zones}
    dispatch = {"order": draw(st.sampled_from(["oldest", "most_customers", "critical_first"])),
                "divert": [{"from_types": ["any"], "to_types": ["t0"]}] if draw(st.booleans()) else []}
    return {"name": "prop", "horizon": "3 d", "zones": zones, "fault_types": types,
            "arrivals": {"per_day": per_day}, "depots": depots, "dispatch": dispatch}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(), st.integers(0, 2**32 - 1))
def test_invariants_on_random_scenarios(sc: dict, seed: int) -> None:
    res = sim.run(sc, replications=1, seed=seed)
    if len(res.faults):
        check_invariants(res)
    assert isinstance(res.summary, pd.DataFrame)
