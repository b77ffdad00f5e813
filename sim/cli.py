"""The ``stormcrew`` command: parse arguments, call the Python API, print. Nothing else lives here.

Exit codes: 0 success, 2 bad input (scenario, arguments, output folder), 1 a failed ``check`` (or an unexpected
failure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sim import __version__
from sim.errors import InputError, ScenarioError

# Each command imports what it runs when it runs (numpy, pandas, scipy, SimPy, plotly take a second or two to
# import): ``stormcrew --help`` and ``stormcrew validate`` start in a fraction of a second
# (benchmarks/start_time.py). Hence the imports inside the functions below (ruff PLC0415 is off for this file).


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``, with a message that says so."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value
    return parse


def _execution(p: argparse.ArgumentParser, dask: bool = True) -> None:
    """The options every command that runs replications shares: where they run."""
    p.add_argument("--workers", "-j", type=_whole(1), default=None,
                   help="worker processes (default: one per core); results do not depend on it")
    if dask:
        p.add_argument("--dask", metavar="ADDRESS", help="run on this Dask distributed scheduler (tcp://host:8786)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stormcrew", description="Simulate outage repair crews through a storm season.")
    p.add_argument("--version", action="version", version=f"stormcrew {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check scenario files and list every problem with its line")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    js = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editors: completion, "
                        "descriptions, typos underlined)")
    js.add_argument("--out", type=Path, help="file to write (default: print it)")
    js.add_argument("--partial", action="store_true", help="the schema of a file that extends: a base (nothing "
                    "required: the base has it)")
    r = sub.add_parser("run", help="run a scenario's replications and write a results folder")
    r.add_argument("file", type=Path, metavar="FILE")
    r.add_argument("--replications", "-n", type=_whole(1), help="replications (default: the scenario's)")
    r.add_argument("--seed", type=_whole(0), help="master seed (default: the scenario's)")
    r.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>/)")
    _execution(r)
    c = sub.add_parser("check", help="run scenarios with an expect: section; exit 1 if a promise is not kept")
    c.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")], metavar="PATH",
                   help="scenario files or folders of them (default: scenarios/)")
    c.add_argument("--junit", type=Path, default=Path("results") / "check" / "junit.xml",
                   help="JUnit XML report to write (default: results/check/junit.xml)")
    c.add_argument("--baselines", type=Path, default=None,
                   help="folder of baseline figures, one JSON per scenario (default: results/baselines/)")
    c.add_argument("--update-baseline", action="store_true", help="store this run's figures as the baselines")
    _execution(c, dask=False)
    k = sub.add_parser("compare", help="run a scenario's variants on the same random numbers as the baseline")
    k.add_argument("file", type=Path, metavar="FILE")
    k.add_argument("--variant", action="append", dest="variants", metavar="NAME", help="only these (repeatable)")
    k.add_argument("--figure", action="append", dest="figures", metavar="FIGURE",
                   help="figures to compare (default: the headline figures)")
    k.add_argument("--replications", "-n", type=_whole(2), help="replications (default: the scenario's)")
    k.add_argument("--until-significant", action="store_true",
                   help="double the replications until every difference is significant or --max-replications")
    k.add_argument("--max-replications", type=_whole(2), default=320)
    k.add_argument("--out", type=Path, help="folder for comparison.parquet (default: results/<name>-compare/)")
    _execution(k)
    w = sub.add_parser("sweep", help="run a grid of scenario values into a partitioned parquet dataset (resumable)")
    w.add_argument("file", type=Path, metavar="FILE")
    w.add_argument("--grid", action="append", required=True, metavar="PATH=VALUES",
                   help="e.g. depots.city.units[overhead].count=1..4 or arrivals.prevention.tree_contact=0.5,0.7")
    w.add_argument("--sample", type=_whole(1), help="run this many points drawn at random from the grid")
    w.add_argument("--replications", "-n", type=_whole(1))
    w.add_argument("--out", type=Path, help="dataset folder (default: results/<name>-sweep/)")
    _execution(w)
    s = sub.add_parser("staff", help="find the cheapest unit counts that keep every target")
    s.add_argument("file", type=Path, metavar="FILE")
    s.add_argument("--target", action="append", required=True, metavar="FIGURE>=VALUE",
                   help="e.g. 'urban.arrive>=0.95'; repeatable; judged by the confidence bound")
    s.add_argument("--vary", action="append", required=True, metavar="PATH=LO..HI",
                   help="e.g. depots.city.units[overhead].count=1..4; repeatable")
    s.add_argument("--replications", "-n", type=_whole(2))
    s.add_argument("--max-runs", type=_whole(1), default=50)
    _execution(s)
    mp = sub.add_parser("map", help="map of where units can reach within each zone's arrival limit (no run)")
    mp.add_argument("file", type=Path, metavar="FILE")
    mp.add_argument("--out", type=Path, help="HTML file (default: results/<name>-map.html)")
    ga = sub.add_parser("generate-area", help="write a synthetic service area (roads, zones, depots, staging "
                        "points) as GeoJSON in metres")
    ga.add_argument("out", type=Path, metavar="OUT.geojson")
    ga.add_argument("--seed", type=_whole(0), default=1)
    ga.add_argument("--detail", type=_whole(1), default=1, help="intermediate points per road, x this")
    ga.add_argument("--block-km", type=float, default=1.0, help="city block size")
    rp = sub.add_parser("report", help="rebuild report.html of a saved results folder")
    rp.add_argument("folder", type=Path, metavar="DIR")
    f = sub.add_parser("fit", help="fit the arrival model to a historical outage log; write a scenario fragment")
    f.add_argument("log", type=Path, metavar="LOG.csv")
    f.add_argument("--out", type=Path, help="fragment to write (default: LOG.fit.yaml beside the log), plus "
                   "FRAGMENT.fit.html with the fit plots")
    f.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                   help="map a field (time_out, duration_h, longitude, latitude, x_km, y_km, cause, customers) to "
                   "the log's column name; repeatable")
    f.add_argument("--from", dest="first", type=_date, help="first day to fit (YYYY-MM-DD)")
    f.add_argument("--to", dest="last", type=_date, help="last day to fit (YYYY-MM-DD)")
    f.add_argument("--seasons", type=_whole(2), default=20, help="simulated seasons for the goodness of fit")
    va = sub.add_parser("validate-against", help="run a scenario and compare it with a historical outage log: "
                        "restore times, faults per day, storm restoration")
    va.add_argument("log", type=Path, metavar="LOG.csv")
    va.add_argument("file", type=Path, metavar="SCENARIO.yaml")
    va.add_argument("--replications", "-n", type=_whole(1), help="replications (default: the scenario's)")
    va.add_argument("--seed", type=_whole(0), help="master seed (default: the scenario's)")
    va.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                    help="map a field (time_out, duration_h, ...) to the log's column name; repeatable")
    va.add_argument("--from", dest="first", type=_date, help="first day of the log to compare (YYYY-MM-DD)")
    va.add_argument("--to", dest="last", type=_date, help="last day of the log to compare (YYYY-MM-DD)")
    va.add_argument("--months", type=_months, help="compare only the log's outages and days in these months, "
                    "e.g. 6-8 or 6,7,8 (the season's months of a log of whole years)")
    va.add_argument("--calm-below", type=_whole(1), default=10, help="a calm day has fewer outages (default 10)")
    va.add_argument("--storm-from", type=_whole(1), default=50, help="a storm day has at least this many outages "
                    "(default 50)")
    va.add_argument("--out", type=Path, help="HTML report (default: results/<scenario name>-validation.html)")
    _execution(va)
    return p


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _months(text: str) -> list[int]:
    """``6-8`` or ``6,7,8`` -> [6, 7, 8]."""
    out: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.partition("-")
            first, last = int(lo), int(hi) if sep else int(lo)
            if not 1 <= first <= last <= 12:
                raise ValueError
            out += list(range(first, last + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected month numbers 1-12 such as 6-8 or 6,7,8, got {text!r}") from None
    if not out or not all(1 <= m <= 12 for m in out):
        raise argparse.ArgumentTypeError(f"expected month numbers 1-12 such as 6-8 or 6,7,8, got {text!r}")
    return sorted(set(out))


def _columns(pairs: list[str]) -> dict[str, str]:
    from sim.inputs.logcolumns import LogColumns

    fields = set(LogColumns.model_fields)
    out = {}
    for pair in pairs:
        key, sep, name = pair.partition("=")
        if not sep or key not in fields or not name:
            raise InputError(f"--column {pair!r}: expected FIELD=NAME with FIELD one of {sorted(fields)}")
        out[key] = name
    return out


def _fit(args: argparse.Namespace) -> int:
    from sim.analysis.fit import assess, fit_log, write_fragment
    from sim.inputs.outagelog import read_log
    from sim.output.outfolder import file_target

    out = args.out or args.log.with_suffix(".fit.yaml")
    file_target(out, f"--out {out}", "stormcrew fit")  # before the fit, not after it
    file_target(out.with_suffix(".fit.html"), f"--out {out} (its plots)", "stormcrew")
    log = read_log(args.log, _columns(args.column))
    print(log.report, file=sys.stderr)
    log = log.between(args.first, args.last)
    report = assess(fit_log(log), seasons=args.seasons)
    try:
        frag, html = write_fragment(report, out)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    print(report.text())
    print(f"fragment: {frag}\nplots: {html}")
    return 0


def _validate_against(args: argparse.Namespace) -> int:
    from sim.experiments.validation import validate_against
    from sim.inputs.outagelog import read_log
    from sim.output.outfolder import file_target
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    out = args.out or Path("results") / f"{sc.name}-validation.html"
    file_target(out, f"--out {out}", "stormcrew")  # before the run, not after it
    log = read_log(args.log, _columns(args.column))
    print(log.report, file=sys.stderr)
    v = validate_against(log, sc, first=args.first, last=args.last, replications=args.replications,
                         seed=args.seed, workers=args.workers, progress=True, dask=args.dask,
                         calm_below=args.calm_below, storm_from=args.storm_from, months=args.months)
    try:
        v.write_html(out)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    print(v.text())
    print(f"report: {out}")
    return 0


def _report(folder: Path) -> int:
    from sim.output.report import write_html
    from sim.output.results import load_result

    need = ["summary.json", "scenario.resolved.yaml"]
    missing = [n for n in need if not (folder / n).is_file()]
    if missing:
        raise InputError(f"{folder}: not a results folder (no {', '.join(missing)}); expected a folder written by "
                         "stormcrew run")
    path = write_html(load_result(folder).report_html(), folder / "report.html")
    print(f"report: {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.experiments.variants import compare
    from sim.output.outfolder import claim
    from sim.output.report import comparison_report
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    out = args.out or Path("results") / f"{sc.name}-compare"
    with claim(out, "compare", what=f"--out {out}") as folder:
        t0 = time.perf_counter()
        c = compare(sc, args.variants, args.figures, args.replications, args.until_significant,
                    args.max_replications, workers=args.workers, progress=True, dask=args.dask)

        def fill(tmp: Path) -> None:
            c.table.to_parquet(tmp / "comparison.parquet", index=False)
            (tmp / "report.html").write_text(comparison_report(c.table, f"stormcrew compare: {sc.name}"),
                                             encoding="utf-8")
        try:
            folder.replace(fill)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}; the previous comparison there is "
                             "intact") from None
    print(c.text())
    print(f"compared {len(c.variants)} variants in {time.perf_counter() - t0:.1f} s; table: {out}/comparison.parquet")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments.sweep import parse_assignment, sweep
    from sim.output.outfolder import claim
    from sim.output.report import sweep_report, write_html
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    grid = [parse_assignment(g) for g in args.grid]
    out = args.out or Path("results") / f"{sc.name}-sweep"
    with claim(out, "sweep", what=f"--out {out}"):  # held through the report as well
        res = sweep(sc, grid, out, args.sample, args.replications, workers=args.workers or (os.cpu_count() or 1),
                    progress=True, dask=args.dask)
        summary = res.summary()
        write_html(sweep_report(summary, res.points, f"stormcrew sweep: {sc.name}"), out / "report.html")
    head = summary[(summary["scope"] == "zone") & (summary["group"] == "all")
                   & summary["metric"].isin(["arrive", "restore"])]
    table = head.pivot(index="point", columns="metric", values="mean").join(res.points.set_index("point"))
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"sweep: {len(res.points)} points, {res.ran} replications run, {res.skipped} already done; "
          f"dataset: {out}/figures (partitioned by point); report: {out}/report.html")
    return 0


def _staff(args: argparse.Namespace) -> int:
    from sim.experiments.staff import search
    from sim.experiments.sweep import parse_assignment
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    bounds = [parse_assignment(v) for v in args.vary]
    res = search(sc, args.target, bounds, args.replications, workers=args.workers, max_runs=args.max_runs,
                 dask=args.dask)
    print(res.text())
    return 0 if res.best is not None else 1


def _check(args: argparse.Namespace) -> int:
    from sim.atomic import write_text
    from sim.experiments.check import DEFAULT_BASELINES, CheckInputError, check
    from sim.output.outfolder import file_target

    file_target(args.junit, f"--junit {args.junit}", "stormcrew check")
    baselines = DEFAULT_BASELINES if args.baselines is None else args.baselines
    try:
        report = check(args.paths, workers=args.workers, baselines=baselines,
                       update_baseline=args.update_baseline, progress=True)
    except CheckInputError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report.table())
    try:
        write_text(args.junit, report.junit_xml())
    except OSError as exc:
        raise InputError(f"--junit {args.junit}: cannot write: {exc.strerror or exc}") from None
    return 0 if report.passed else 1


def _validate(files: list[Path]) -> int:
    from sim.scenario.loading import load_scenario

    failed = 0
    for f in files:
        try:
            sc = load_scenario(f)  # the roads too: drivable, connected, near the depots
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            failed += 1
        else:
            print(f"{f}: ok ({sc.name}: {len(sc.zones)} zones, {len(sc.fault_types)} fault types, "
                  f"{sum(g.count + sum(s.count for s in g.roster) for d in sc.depots.values() for g in d.units)} "
                  "units" + (f"; working CRS {sc.crs}" if sc.crs else "") + ")")
    return 2 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    from sim.atomic import write_text
    from sim.output.outfolder import file_target
    from sim.scenario.jsonschema import MARK, schema_text

    text = schema_text(partial=args.partial)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = file_target(args.out, f"--out {args.out}", MARK)
    try:
        write_text(out, text)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    print(f"schema: {out}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from sim.engine.faults import replay_report
    from sim.experiments.runner import run
    from sim.output.outfolder import claim
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    out = args.out or Path("results") / sc.name
    with claim(out, "run", what=f"--out {out}"):  # refused before any replication runs, held until saved
        report = replay_report(sc)
        if report is not None:
            print(report, file=sys.stderr)
        t0 = time.perf_counter()
        res = run(sc, replications=args.replications, seed=args.seed, workers=args.workers, progress=True,
                  dask=args.dask)
        elapsed = time.perf_counter() - t0
        try:
            res.save(out)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write the results folder: {exc.strerror or exc}; the previous "
                             "results there are intact") from None
    print(f"{sc.name}: {len(res.faults):,} faults over {res.replications} replications in {elapsed:.1f} s")
    print(res.table())
    print(f"results: {out}/")
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporary folders are removed and workers stopped on the way
    out, as for Ctrl-C."""


_OWNER = os.getpid()


def _terminate(signum: int, frame: object) -> None:
    if os.getpid() != _OWNER:
        # a worker forked but not yet through its initializer still has this handler: end it as SIGTERM would,
        # quietly, instead of printing a traceback from inside multiprocessing
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise _Terminated()


def _format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    line: str | None = None) -> str:
    """A warning as a planner reads it: what happened, not where in the code."""
    return f"stormcrew: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``stormcrew`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    global _OWNER
    _OWNER = os.getpid()
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    plain = warnings.formatwarning
    warnings.formatwarning = _format_warning  # only how a warning prints: whoever records warnings still gets them
    try:
        return _dispatch(args)
    except InputError as exc:
        print(f"stormcrew: {exc}" if not isinstance(exc, ScenarioError) else exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print(f"stormcrew: {'terminated' if isinstance(exc, _Terminated) else 'interrupted'}; nothing half-written "
              "was left: an earlier results folder is intact (a sweep resumes where it stopped)", file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
    finally:
        warnings.formatwarning = plain
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _map(args: argparse.Namespace) -> int:
    from sim.output.outfolder import file_target
    from sim.output.report import map_page, write_html
    from sim.scenario.loading import load_scenario

    sc = load_scenario(args.file)
    out = args.out or Path("results") / f"{sc.name}-map.html"
    path = write_html(map_page(sc), file_target(out, f"--out {out}", "stormcrew"))
    print(f"map: {path}")
    return 0


def _generate_area(args: argparse.Namespace) -> int:
    from sim.inputs.generated_area import generate_area, generated_places, to_geojson
    from sim.output.outfolder import file_target
    from sim.output.report import write_html

    file_target(args.out, str(args.out), "stormcrew generate-area")
    nodes, edges = generate_area(args.seed, args.detail, args.block_km)
    places = generated_places(nodes)
    write_html(json.dumps(to_geojson(nodes, edges, places)), args.out)
    print(f"{args.out}: {len(nodes):,} nodes, {len(edges):,} road segments, zones {', '.join(places[0])}, "
          f"depots {', '.join(places[1])}, staging points of {', '.join(places[2])}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": lambda args: _validate(args.files), "schema": _schema, "run": _run, "check": _check, "fit": _fit,
    "validate-against": _validate_against, "report": lambda args: _report(args.folder), "map": _map,
    "generate-area": _generate_area, "compare": _compare, "sweep": _sweep, "staff": _staff}
"""What each subcommand calls."""


def _dispatch(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
