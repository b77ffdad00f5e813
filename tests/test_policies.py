"""A planner's own dispatch policy, named in the scenario as ``module:function`` and found beside the scenario file:
it runs, it gives exactly what the equivalent built-in policy gives, and a wrong name is refused when the scenario
is read, at its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sim
from sim.errors import ScenarioError
from tests.conftest import ROOT, mmc_scenario

VANS = ROOT / "scenarios" / "levers" / "vans.yaml"

POLICIES = '''
def largest_first(faults, fault):
    """Most customers first, ties in report order: the built-in most_customers, written by a planner."""
    return (-float(faults.customers[fault]), float(fault))


def newest_first(faults, fault):
    return (-float(fault),)


def no_divert(faults, heading_to, new):
    return False
'''


def _season(tmp_path: Path, **dispatch: object) -> Path:
    """A busy M/M/2 (load 0.9, so faults wait and the order matters; customers per fault vary) in ``tmp_path``
    beside ``my_policies.py``, with ``dispatch`` changed."""
    data = mmc_scenario(lam_per_min=0.9 * 2 / 60, mean_repair=60, crews=2, horizon=14 * 1440)
    data["fault_types"]["fault"]["customers"] = {"dist": "expon", "scale": 200}
    data["dispatch"] = dispatch
    (tmp_path / "my_policies.py").write_text(POLICIES, encoding="utf-8")
    path = tmp_path / "season.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _faults(path: Path) -> object:
    res = sim.run(sim.load_scenario(path), replications=2, seed=11)
    return res.faults[["replication", "fault", "on_site", "restored"]].reset_index(drop=True)


def test_an_order_of_ones_own_gives_what_the_same_built_in_order_gives(tmp_path: Path) -> None:
    own = _faults(_season(tmp_path, order="my_policies:largest_first"))
    built_in = _faults(_season(tmp_path, order="most_customers"))
    assert own.equals(built_in)


def test_an_order_of_ones_own_changes_the_results(tmp_path: Path) -> None:
    """Newest first serves faults in another order than oldest first: some fault is reached at another time."""
    newest = _faults(_season(tmp_path, order="my_policies:newest_first"))
    oldest = _faults(_season(tmp_path, order="oldest"))
    assert not newest.equals(oldest)


def test_a_divert_rule_of_ones_own_that_never_diverts_equals_no_rules(tmp_path: Path) -> None:
    """On the vans lever (a month): a rule of one's own that never diverts gives what no rules give, and the
    lever's own rules do divert some van (so the comparison can fail)."""
    def season(divert: object) -> sim.Result:
        data = sim.scenario_dict(VANS, relative_to=tmp_path)
        data["horizon"] = "30 d"
        data.setdefault("dispatch", {})["divert"] = divert
        path = tmp_path / "season.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return sim.run(sim.load_scenario(path), replications=2, seed=11)

    (tmp_path / "my_policies.py").write_text(POLICIES, encoding="utf-8")
    mine, none = season("my_policies:no_divert"), season([])
    assert mine.faults["on_site"].equals(none.faults["on_site"])
    assert int(mine.faults["diverted"].sum()) == 0
    rules = sim.scenario_dict(VANS)["dispatch"]["divert"]
    assert int(season(rules).faults["diverted"].sum()) > 0


@pytest.mark.parametrize(("order", "expected"), [
    ("nosuch:fn", "cannot import 'nosuch'"),
    ("my_policies:missing", "'my_policies' has no function 'missing'"),
    ("fastest", "expected one of oldest, most_customers, critical_first, score or a function of your own"),
])
def test_a_wrong_order_is_refused_at_its_place(tmp_path: Path, order: str, expected: str) -> None:
    path = _season(tmp_path, order=order)
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(path)
    issue = err.value.issues[0]
    assert issue.path == ("dispatch", "order")
    assert expected in issue.message
    assert issue.line is not None


def test_a_policy_module_that_fails_to_import_is_named(tmp_path: Path) -> None:
    path = _season(tmp_path, order="broken:order")
    (tmp_path / "broken.py").write_text("raise RuntimeError('half-written')\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="RuntimeError: half-written"):
        sim.load_scenario(path)
