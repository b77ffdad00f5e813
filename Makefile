# Two commands on a fresh machine: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The part-by-part tests run under coverage (the statistical and end-to-end ones would take six times as long under
# its tracer on Python 3.11); COVERAGE_FLOOR is the share of sim/'s lines they must run (measured 80 %: see
# docs/tests.md); a change that drops below fails make test.
COVERED := sim tests/engine tests/test_scenario.py tests/test_bad_input.py tests/test_policies.py \
           tests/test_yaml_limits.py tests/test_outagelog.py tests/test_roads.py tests/test_zones.py tests/test_faults.py \
           tests/test_reliability.py tests/test_check.py tests/test_cli_and_results.py tests/test_docs.py \
           tests/test_schema.py tests/test_start_time.py tests/test_packaging.py tests/test_analyst_api.py \
           tests/test_osm.py tests/test_territory.py
COVERAGE_FLOOR ?= 77

.PHONY: run test validate clean figures browser docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/stormcrew run scenarios/storm_season.yaml

# The house rules first (lint, the import layers, types), then the scenarios' own promises (stormcrew check), the
# documentation site (warnings as errors), then the test suite (with the notebooks and the report in headless
# Chromium) and its coverage floor.
test: $(STAMP) browser
	$(BIN)/ruff check sim tests benchmarks docs
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/stormcrew check scenarios --workers 2
	$(MAKE) --no-print-directory docs
	$(BIN)/python -m pytest -q --cov=sim --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(COVERED)
	$(BIN)/python -m pytest -q tests notebooks $(addprefix --ignore=,$(filter tests/%,$(COVERED)))

# The browser test drives Debian's chromium; install it when it is missing (as root, from Debian's packages).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# The documentation site (mkdocs.yml): the guides and an API reference from the docstrings, warnings as errors
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir build/site

validate: $(STAMP)
	$(BIN)/stormcrew validate scenarios/*.yaml

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# The guides' figures (rendered in Debian's chromium; the PNGs are committed)
figures: $(STAMP) browser
	$(VENV)/bin/python docs/figures.py
