"""The run report in a real browser: headless Chromium opens report.html from disk (offline), and every figure
must have rendered with no console error; a screenshot is kept as a test artefact in results/browser/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import sim
from tests.conftest import DEFAULT_SCENARIO, ROOT

ARTEFACTS = ROOT / "results" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = sim.scenario_dict(DEFAULT_SCENARIO)
    data["horizon"] = "14 d"
    out = sim.run(data, replications=2, seed=4).save(tmp_path_factory.mktemp("run") / "season")
    return out / "report.html"


def test_report_renders_every_figure_in_chromium(report: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium (see README)")
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else route.abort())  # offline: anything fetched from the network fails the test below
        page.goto(report.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7",
                               timeout=30_000)
        plots = page.eval_on_selector_all(".js-plotly-plot", "els => els.map(e => e.querySelectorAll("
                                          "'.main-svg').length > 0 && !!e._fullLayout)")
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "report.png"), full_page=True)
        browser.close()
    assert errors == [], errors
    # compliance, time to site, time to restore, state over time, restoration curves, map, unit timeline
    assert len(plots) == 7 and all(plots), plots
    assert "IEEE 1366 indices (mean over replications)" in headings
    assert (ARTEFACTS / "report.png").stat().st_size > 50_000


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text()
    assert not re.search(r'<script[^>]*\ssrc="https?://', text) and not re.search(r'<link[^>]*href="https?://', text)
    assert os.path.getsize(report) > 3_000_000  # plotly.js is embedded


def test_report_command_rebuilds_it(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli import main

    report.unlink()
    assert main(["report", str(report.parent)]) == 0
    assert report.exists() and "report:" in capsys.readouterr().out
