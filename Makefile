# Two commands do all the set-up on a fresh machine with python3 (3.11+):
#   make demo   a complete simulated study of the flagship protocol, into a report
#   make test   lint and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

DEMO_STUDY   := experiments/demo
DEMO_PROTOCOL := protocols/warmth-competence-itch.yaml
DEMO_EFFECTS := protocols/effects/warmth-competence-itch.yaml

# axe-core (npm) for the browser tests' accessibility check; without npm those tests skip (fail with CI=true)
AXE := tests/web/axe/node_modules/axe-core/axe.min.js
NPM := $(shell command -v npm 2>/dev/null)

.PHONY: install demo test lint bench screens clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab,web]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_STUDY)
	$(BIN)/placebolab validate $(DEMO_PROTOCOL)
	$(BIN)/placebolab init $(DEMO_PROTOCOL) $(DEMO_STUDY) --seed 20261125
	$(BIN)/placebolab simulate $(DEMO_STUDY) -n 160 --effects $(DEMO_EFFECTS) --seed 1
	$(BIN)/placebolab analyze $(DEMO_STUDY)

lint: $(STAMP)
	$(BIN)/ruff check src tests analysis benchmarks
	$(BIN)/ruff format --check src tests analysis benchmarks
	$(BIN)/lint-imports --no-cache  # the import layers of pyproject.toml [tool.importlinter]
	$(BIN)/mypy  # types over src/, as pyproject.toml [tool.mypy] says

test: lint $(if $(NPM),$(AXE))
	$(BIN)/python -m pytest -n auto --dist loadfile  # one process per core (pytest-xdist), a test file to each

$(AXE): tests/web/axe/package.json tests/web/axe/package-lock.json
	npm ci --prefix tests/web/axe --no-audit --no-fund --loglevel=error
	touch $(AXE)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Screenshots of every step type in the lab window at 1280x800 and 1920x1080 (docs/screens/; needs Xvfb, xdotool)
screens: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python docs/screens/make_screens.py

clean:
	rm -rf $(VENV) $(DEMO_STUDY) .pytest_cache .ruff_cache .mypy_cache tests/web/axe/node_modules
