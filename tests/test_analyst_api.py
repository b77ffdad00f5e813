"""The analyst's side: a saved run loads back as the Result the run returned, results and scenarios print short,
the report's figures come one by one, two runs compare paired or unpaired, the tables carry calendar times and
categories."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.errors import InputError
from tests.conftest import DEFAULT_SCENARIO

TABLES = ("faults", "units", "per_replication", "summary", "storms", "timeseries", "restoration", "days",
          "dispatches", "unit_summary")


@pytest.fixture(scope="module")
def short_run() -> sim.Result:
    sc = sim.load_scenario(DEFAULT_SCENARIO).with_changes(horizon=21 * 1440.0)
    return sim.run(sc, replications=3, seed=4)


def test_a_saved_run_loads_back_table_by_table(short_run: sim.Result, tmp_path: Path) -> None:
    folder = short_run.save(tmp_path / "run")
    loaded = sim.load_result(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, name).reset_index(drop=True),
                                      getattr(short_run, name).reset_index(drop=True), check_dtype=False,
                                      obj=name)
    assert loaded.scenario.digest() == short_run.scenario.digest()
    assert (loaded.seed, loaded.replications) == (short_run.seed, short_run.replications)
    assert loaded.t_med == short_run.t_med
    assert loaded.figure("urban", "arrive") == short_run.figure("urban", "arrive")


def test_a_folder_that_is_not_a_run_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a stormcrew run's results folder"):
        sim.load_result(tmp_path)


def test_a_damaged_results_folder_is_refused_naming_it(short_run: sim.Result, tmp_path: Path) -> None:
    folder = short_run.save(tmp_path / "run")
    (folder / "faults.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="a damaged results folder"):
        sim.load_result(folder)


class _Checker(html.parser.HTMLParser):
    """Tags opened and closed in order (a void-free subset: p, b, table, tr, th, td, thead, tbody)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_result_and_scenario_print_short_with_the_headline(short_run: sim.Result) -> None:
    text = repr(short_run)
    assert text.startswith("<Result 'storm_season': 3 replications, seed 4")
    assert "urban.arrive" in text and len(text) < 400
    checker = _Checker()
    checker.feed(short_run._repr_html_())
    checker.close()
    assert checker.stack == []
    shown = " ".join(checker.text)
    urban = short_run.figure("urban", "arrive")
    assert f"{100 * urban['mean']:.1f} %" in shown
    assert "SAIDI" in shown
    sc_text = repr(short_run.scenario)
    assert "3 zones (urban, rural, mountain)" in sc_text and "60 units" in sc_text and "21 days" in sc_text
    checker = _Checker()
    checker.feed(short_run.scenario._repr_html_())
    checker.close()
    assert checker.stack == []


@pytest.mark.parametrize("name", ["compliance", "time_to_site", "time_to_restore", "backlog", "restoration", "map",
                                  "timeline"])
def test_each_figure_of_the_report_comes_with_data(short_run: sim.Result, name: str) -> None:
    fig = getattr(short_run.plot, name)()
    assert len(fig.data) > 0
    def size(values: object) -> int:
        return 0 if values is None else len(values)

    assert any(size(getattr(trace, "x", None)) > 0 or size(getattr(trace, "y", None)) > 0 for trace in fig.data)


def test_the_report_page_is_made_from_the_same_figures(short_run: sim.Result) -> None:
    page = short_run.report_html()
    for title in ("Compliance by zone", "Time to site", "Map:", "Unit timeline"):
        assert title in page


def test_compare_pairs_runs_on_the_same_seed_and_not_others(short_run: sim.Result) -> None:
    sc = short_run.scenario
    fewer_crews = sc.resolved()
    fewer_crews["depots"]["city"]["units"][0]["count"] = 0
    other = sim.run(sim.load_scenario(fewer_crews, base_dir=sc.path_of(".")), replications=3, seed=4)
    paired = short_run.compare(other)
    assert set(paired["method"]) == {"paired"}
    assert {"all.arrive", "urban.arrive", "ieee.all.SAIDI"} <= set(paired["figure"])
    row = paired.set_index("figure").loc["urban.arrive"]
    expected = (other.values("urban.arrive") - short_run.values("urban.arrive")).mean()
    assert row["difference"] == pytest.approx(expected)
    reseeded = sim.run(sim.load_scenario(fewer_crews, base_dir=sc.path_of(".")), replications=3, seed=5)
    unpaired = short_run.compare(reseeded, figures=["urban.arrive"])
    assert list(unpaired["method"]) == ["welch"]
    assert unpaired["difference"].iloc[0] == pytest.approx(
        reseeded.values("urban.arrive").mean() - short_run.values("urban.arrive").mean())


def test_tables_carry_calendar_times_and_categories(short_run: sim.Result) -> None:
    f, u, d = short_run.faults, short_run.units, short_run.dispatches
    start = pd.Timestamp(short_run.scenario.start)
    for col in ("reported", "on_site", "restored", "repaired"):
        gap = (f[f"{col}_at"] - start).dt.total_seconds() / 60 - f[col]
        assert gap.abs().max() < 1e-3, col
    assert ((u["start_at"] - start).dt.total_seconds() / 60 - u["start"]).abs().max() < 1e-3
    assert ((d["time_at"] - start).dt.total_seconds() / 60 - d["time"]).abs().max() < 1e-3
    for table in (f, u, d, short_run.unit_summary):
        assert isinstance(table["unit"].dtype, pd.CategoricalDtype)
    assert list(f["unit"].cat.categories) == list(u["unit"].cat.categories)
    assert isinstance(f["zone"].dtype, pd.CategoricalDtype) and isinstance(f["fault_type"].dtype,
                                                                            pd.CategoricalDtype)
