# Two commands on a fresh machine: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test validate clean figures browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/stormcrew run scenarios/storm_season.yaml

# The scenarios' own promises first (stormcrew check), then the test suite (with the notebooks and the report in
# headless Chromium).
test: $(STAMP) browser
	$(BIN)/stormcrew check scenarios --workers 2
	$(BIN)/python -m pytest -q

# The browser test drives Debian's chromium; install it when it is missing (as root, from Debian's packages).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

validate: $(STAMP)
	$(BIN)/stormcrew validate scenarios/*.yaml

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# README figures (rendered in Debian's chromium; the PNGs are committed)
figures: $(STAMP) browser
	$(VENV)/bin/python docs/figures.py
