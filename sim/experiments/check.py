"""Expectations and baselines: does a staffing policy still keep its promises?

``check`` runs every scenario that has an ``expect:`` section (all replications of all scenarios in one pool of
worker processes), judges each expectation by its rule, and compares every figure with a stored baseline when
there is one. A figure has *moved* when the Welch interval of the difference between now and the baseline
excludes zero; the level is Bonferroni-corrected over the figures compared (1 - (1 - confidence) / k), so that a
change which only reshuffles random numbers rarely raises a false alarm across dozens of figures. With the same
scenario, seed and code, results are identical and nothing moves.

Baselines are read and validated before any replication runs: a file that is not a JSON object with ``meta`` and
``figures`` (each figure with numbers ``mean``, ``sd`` and ``n``), or whose ``meta.scenario`` names another scenario,
stops the check with exit code 2 naming the file and what was expected. A baseline that shares no figure with what
the scenario produces is stale: its comparison fails (it cannot vouch for anything). When the scenario's sha256
differs from the baseline's, the table says so (the comparison still runs: a changed scenario is what it checks).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.metrics import confidence_interval, welch_halfwidth
from sim.atomic import write_text
from sim.distributions import finite_number
from sim.errors import InputError, Issue, ScenarioError
from sim.experiments.runner import run_many
from sim.output.outfolder import claim
from sim.output.results import Result, package_version
from sim.scenario.expect import Expectation
from sim.scenario.figures import figure_name
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.texttable import text_table
from sim.yamlsource import read_yaml

DEFAULT_BASELINES = Path("results") / "baselines"


@dataclass(frozen=True)
class Outcome:
    """One expectation judged: the figure's mean and interval, the value its rule compared, pass or fail."""

    scenario: str
    expectation: Expectation
    mean: float
    ci_low: float
    ci_high: float
    judged: float
    passed: bool

    def describe(self) -> str:
        """``urban.arrive >= 0.9 (ci): 0.926 [0.922, 0.930] judged 0.922 -> pass``."""
        e = self.expectation
        return (f"{e} ({e.rule}): {self.mean:.4g} [{self.ci_low:.4g}, {self.ci_high:.4g}] judged {self.judged:.4g}"
                f" -> {'pass' if self.passed else 'FAIL'}")


@dataclass(frozen=True)
class Move:
    """A figure that differs from its baseline by more than the interval of the difference allows."""

    scenario: str
    figure: str
    baseline: float
    now: float
    allowed: float

    def describe(self) -> str:
        """``urban.arrive moved 0.926 -> 0.871 (more than ±0.012)``."""
        return f"{self.figure} moved {self.baseline:.4g} -> {self.now:.4g} (more than ±{self.allowed:.3g})"


@dataclass
class CheckReport:
    """Everything ``stormcrew check`` found."""

    outcomes: list[Outcome] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)  # scenario -> figures compared with a baseline
    skipped: list[str] = field(default_factory=list)  # scenario files without expect:
    written: list[Path] = field(default_factory=list)  # baselines written
    stale: dict[str, str] = field(default_factory=dict)  # scenario -> baseline sharing no figure with it (a failure)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # scenario -> (baseline's sha256, now)

    @property
    def passed(self) -> bool:
        """True when every expectation passed, no figure moved from its baseline and no baseline was stale."""
        return all(o.passed for o in self.outcomes) and not self.moves and not self.stale

    def counts(self) -> tuple[int, int]:
        """(passed, failed) over expectations and baseline comparisons (each scenario's comparison is one)."""
        failed = sum(not o.passed for o in self.outcomes) + len({m.scenario for m in self.moves} | set(self.stale))
        total = len(self.outcomes) + len(self.compared)
        return total - failed, failed

    def table(self) -> str:
        """Text table: scenario, figure, value with interval, threshold, rule, result; then what moved."""
        head = ("scenario", "figure", "mean", "interval", "expect", "rule", "result")
        rows = [(o.scenario, o.expectation.figure, f"{o.mean:.4g}", f"[{o.ci_low:.4g}, {o.ci_high:.4g}]",
                 f"{o.expectation.op} {o.expectation.value:g}", o.expectation.rule or "",
                 "pass" if o.passed else "FAIL") for o in self.outcomes]
        lines = [text_table(head, rows, right=False)]
        for name, k in self.compared.items():
            moved = [m for m in self.moves if m.scenario == name]
            if name in self.stale:
                lines.append(f"{name}: {stale_text(self.stale[name])} -> FAIL")
                continue
            note = ""
            if name in self.changed:
                was, now = self.changed[name]
                note = f" (the scenario differs from the baseline's: sha256 {was[:12]} then, {now[:12]} now)"
            lines.append(f"{name}: {k} figures against the baseline{note}: "
                         + ("none moved" if not moved else f"{len(moved)} MOVED"))
            lines += [f"  {m.describe()}" for m in moved]
        lines += [f"skipped (no expect: section): {s}" for s in self.skipped]
        lines += [f"baseline written: {p}" for p in self.written]
        ok, bad = self.counts()
        lines.append(f"check: {ok} passed, {bad} failed")
        return "\n".join(lines)

    def junit_xml(self) -> str:
        """JUnit XML: a test suite per scenario, a test case per expectation and one for the baseline."""
        suites = ET.Element("testsuites", name="stormcrew check")
        names = list(dict.fromkeys([o.scenario for o in self.outcomes] + list(self.compared)))
        for name in names:
            cases: list[tuple[str, str | None]] = [
                (f"{o.expectation} ({o.expectation.rule})", None if o.passed else o.describe())
                for o in self.outcomes if o.scenario == name]
            if name in self.compared:
                moved = [m.describe() for m in self.moves if m.scenario == name]
                if name in self.stale:
                    moved.append(stale_text(self.stale[name]))
                cases.append(("baseline", "; ".join(moved) if moved else None))
            suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(cases)),
                                  failures=str(sum(c[1] is not None for c in cases)))
            for case_name, failure in cases:
                case = ET.SubElement(suite, "testcase", classname=f"stormcrew.{name}", name=case_name)
                if failure is not None:
                    ET.SubElement(case, "failure", message=failure).text = failure
        return ET.tostring(suites, encoding="unicode", xml_declaration=True)

    def assert_passed(self) -> None:
        """Raise AssertionError with the table when anything failed (for a planner's pytest suite)."""
        if not self.passed:
            raise AssertionError("stormcrew expectations not met\n" + self.table())


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders searched for *.yaml / *.yml (not recursively)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
        else:
            found.append(p)  # a missing file is reported by load_scenario
    return found


def judge(sc: Scenario, result: Result) -> list[Outcome]:
    """Judge ``sc``'s expectations on ``result``."""
    assert sc.expect is not None
    out = []
    for e in sc.expect.checks:
        ci = confidence_interval(result.values(e.figure), sc.expect.confidence)
        if e.rule == "mean":
            judged = ci.mean
        else:  # the bound on the passing side must clear the threshold
            judged = ci.low if e.op in (">=", ">") else ci.high
        ok = {">=": judged >= e.value, ">": judged > e.value, "<=": judged <= e.value, "<": judged < e.value}[e.op]
        out.append(Outcome(sc.name, e, ci.mean, ci.low, ci.high, judged, bool(ok and not math.isnan(judged))))
    return out


def baseline_figures(result: Result) -> dict[str, dict[str, float]]:
    """Every figure as mean, sd and n over replications: enough to test a later run against it."""
    out = {}
    for (scope, group, metric), s in result.per_replication.groupby(["scope", "group", "metric"], sort=False):
        if metric == "T_MED":  # one threshold pooled over the run: no spread between replications to judge it by
            continue
        v = s["value"].to_numpy(float)
        v = v[~np.isnan(v)]
        if len(v):
            out[figure_name(scope, group, metric)] = {
                "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": len(v)}
    return out


def against_baseline(name: str, baseline: dict[str, Any], result: Result, confidence: float) -> tuple[list[Move], int]:
    """Figures of ``result`` that moved beyond the interval of their difference from ``baseline``."""
    now = baseline_figures(result)
    common = [f for f in baseline["figures"] if f in now]
    level = 1 - (1 - confidence) / max(1, len(common))
    moves = []
    for f in common:
        a, b = baseline["figures"][f], now[f]
        diff = b["mean"] - a["mean"]
        allowed = welch_halfwidth(a["sd"] ** 2, int(a["n"]), b["sd"] ** 2, int(b["n"]), level)
        if abs(diff) > allowed + 1e-12 * max(1.0, abs(a["mean"])):
            moves.append(Move(name, f, a["mean"], b["mean"], allowed))
    return moves, len(common)


BASELINE_FORMAT = ('a JSON baseline as stormcrew check --update-baseline writes it: {"meta": {"scenario": NAME, ...}, '
                   '"figures": {FIGURE: {"mean": number, "sd": number, "n": number}, ...}}')


def stale_text(path: str) -> str:
    """What a table or JUnit file says of a baseline that shares no figure with its scenario."""
    return (f"baseline {path} shares no figure with this scenario's; the baseline is stale: run stormcrew check "
            "--update-baseline")


def read_baseline(path: Path, scenario: str) -> dict[str, Any]:
    """The baseline at ``path``, checked to be a baseline of scenario ``scenario``: ScenarioError naming the file,
    the place in it and what was expected otherwise."""
    again = f"run stormcrew check --update-baseline to write {scenario!r}'s baseline again"

    def fail(message: str, where: tuple[str, ...] = (), line: int | None = None) -> ScenarioError:
        return ScenarioError(str(path), [Issue(where, message, line)])

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc}); expected {BASELINE_FORMAT}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not a text file (binary data at byte {exc.start}); expected {BASELINE_FORMAT}; or {again}") \
            from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc.msg}, column {exc.colno}): damaged or cut short; expected "
                   f"{BASELINE_FORMAT}; or {again}", line=exc.lineno) from None
    except RecursionError:
        raise fail(f"not a baseline (nested too deeply); expected {BASELINE_FORMAT}") from None
    if not isinstance(data, dict) or not isinstance(data.get("meta"), dict) \
            or not isinstance(data.get("figures"), dict):
        got = (f"an object with {sorted(data)[:5]}" if isinstance(data, dict) else f"a JSON {type(data).__name__}")
        raise fail(f"not a baseline: {got}; expected {BASELINE_FORMAT}; or {again}")
    owner = data["meta"].get("scenario")
    if owner != scenario:
        said = f"is scenario {owner!r}'s, not {scenario!r}'s" if isinstance(owner, str) else \
            f"does not say whose it is (meta.scenario: {owner!r})"
        raise fail(f"baseline {path} {said}; expected the baseline of {scenario!r} here (meta.scenario: "
                   f"{scenario}), or {again}", ("meta", "scenario"))
    issues = []
    for name, fig in data["figures"].items():
        ok = isinstance(fig, dict) and all(
            finite_number(fig.get(k)) for k in ("mean", "sd", "n"))
        if not ok or fig["sd"] < 0 or fig["n"] < 1:
            issues.append(Issue(("figures", name), f"expected numbers mean, sd >= 0 and n >= 1, got {fig!r}"[:200]))
    if issues:
        shown = issues[:5] + ([Issue((), f"... and {len(issues) - 5} more figures like these")]
                              if len(issues) > 5 else [])
        raise ScenarioError(str(path), [*shown, Issue((), f"expected {BASELINE_FORMAT}; or {again}")])
    return data


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def check(paths: list[Path], workers: int | None = None, baselines: Path | None = DEFAULT_BASELINES,
          update_baseline: bool = False, progress: bool = False) -> CheckReport:
    """Validate, run and judge every scenario with expectations under ``paths``.

    Raises ScenarioError (for the first invalid file, listing all its problems) before running anything.
    """
    report = CheckReport()
    files = find_scenarios(paths)
    if not files:
        raise InputError(f"no scenario files in {', '.join(map(str, paths))}; expected .yaml files")
    scenarios: list[Scenario] = []
    problems: list[ScenarioError] = []
    for f in files:
        try:
            doc = read_yaml(f)
            if not (isinstance(doc.data, dict) and ("expect" in doc.data or "extends" in doc.data)):
                report.skipped.append(str(f))
                continue
            sc = load_scenario(doc)
        except ScenarioError as exc:
            problems.append(exc)
            continue
        if sc.expect is None:  # expect: null, or inherited from none
            report.skipped.append(str(f))
            continue
        scenarios.append(sc.with_changes(replications=sc.expect.replications or sc.replications))
    stored: dict[str, dict[str, Any]] = {}  # read and validated before anything runs
    if baselines is not None and not update_baseline:
        for sc in scenarios:
            path = baselines / f"{sc.name}.json"
            if path.exists():
                try:
                    stored[sc.name] = read_baseline(path, sc.name)
                except ScenarioError as exc:
                    problems.append(exc)
    if problems:
        raise CheckInputError(problems)
    # the baselines folder is claimed before anything runs and held until written
    writing = claim(baselines, "baselines", what=f"baselines folder {baselines}") \
        if update_baseline and baselines is not None else None
    try:
        results = run_many(scenarios, workers=workers, progress=progress, desc="check")
        _judge_all(report, scenarios, results, baselines, update_baseline, stored)
        if writing is not None:
            writing.mark()
    finally:
        if writing is not None:
            writing.release()
    return report


def _judge_all(report: CheckReport, scenarios: list[Scenario], results: list[Result], baselines: Path | None,
               update_baseline: bool, stored: dict[str, dict[str, Any]]) -> None:
    """Judge every scenario's expectations; write, or compare with, its baseline."""
    for sc, res in zip(scenarios, results, strict=True):
        assert sc.expect is not None
        report.outcomes += judge(sc, res)
        if baselines is None:
            continue
        path = baselines / f"{sc.name}.json"
        if update_baseline:
            _write_json_atomically(path, {"meta": {**res.meta(), "written_by": package_version()},
                                          "figures": baseline_figures(res)})
            report.written.append(path)
        elif sc.name in stored:
            base = stored[sc.name]
            moves, k = against_baseline(sc.name, base, res, sc.expect.confidence)
            report.moves += moves
            report.compared[sc.name] = k
            if k == 0:
                report.stale[sc.name] = str(path)
            was, now = base["meta"].get("scenario_sha256"), res.meta()["scenario_sha256"]
            if isinstance(was, str) and was != now:
                report.changed[sc.name] = (was, now)


class CheckInputError(InputError):
    """One or more scenario files given to check, or their baselines, are invalid."""

    def __init__(self, problems: list[ScenarioError]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
