# Two commands on a fresh machine: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test validate clean figures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/stormcrew run scenarios/storm_season.yaml

# The scenarios' own promises first (stormcrew check), then the test suite.
test: $(STAMP)
	$(BIN)/stormcrew check scenarios --workers 2
	$(BIN)/python -m pytest -q

validate: $(STAMP)
	$(BIN)/stormcrew validate scenarios/*.yaml

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# README figures (needs Debian's chromium; the PNGs are committed, nothing else needs a browser)
figures: $(STAMP)
	$(VENV)/bin/python docs/figures.py
