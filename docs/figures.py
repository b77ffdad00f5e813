"""Figures shown in the guides (docs/), made from the sample log and the default scenario with the package's own code.

Run with `make figures`; needs Debian's chromium (headless) to turn the plotly HTML into a PNG. The PNGs are
committed, so neither the tests nor `make run` need a browser.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sim.analysis.fit import assess, fit_log
from sim.inputs.outagelog import read_log
from sim.output.report import reach_figure
from sim.scenario.loading import load_scenario

HERE = Path(__file__).resolve().parent
LOG = HERE.parent / "scenarios" / "data" / "western-ma-outages-2013-2018.csv"


def screenshot(html: str, png: Path, width: int = 1200, height: int = 520) -> None:
    """Render ``html`` in headless Chromium and save a PNG."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("figures: needs chromium (apt-get install chromium) to render PNGs")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "figure.html"
        page.write_text(html)
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                        f"--user-data-dir={tmp}/profile", f"--window-size={width},{height}",
                        "--virtual-time-budget=5000", f"--screenshot={png}", page.as_uri()],
                       check=True, capture_output=True)


def main() -> None:
    report = assess(fit_log(read_log(LOG)), seasons=20, seed=1)
    fig = report.figure()
    fig.update_layout(width=1200, height=500, margin={"l": 60, "r": 20, "t": 60, "b": 60},
                      title_text="Western Massachusetts outages 2013-2018: the log against its fitted storm model")
    screenshot(fig.to_html(include_plotlyjs=True, full_html=True), HERE / "fit_daily_counts.png")
    (HERE / "fit_daily_counts.txt").write_text(report.text() + "\n")
    print(report.text())
    reach = reach_figure(load_scenario(HERE.parent / "scenarios" / "storm_season.yaml"))
    reach.update_layout(width=1200, height=760, margin={"l": 60, "r": 20, "t": 60, "b": 40})
    screenshot(reach.to_html(include_plotlyjs=True, full_html=True), HERE / "reach_map.png", height=780)


if __name__ == "__main__":
    main()
