# Two commands do everything on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
DATA ?= instance
# make test runs the short chaos and fuzz runs; make bench the long ones (marked slow) and the benchmarks
PYTEST_ARGS ?= -m "not slow"

.PHONY: demo test install vendor lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

static/vendor/.installed: package.json  # axe-core (a devDependency) stays in node_modules: only the tests load it
	npm install --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/noble-ciphers
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
	cp node_modules/@noble/ciphers/esm/*.js static/vendor/noble-ciphers/
	cp node_modules/dompurify/dist/purify.min.js static/vendor/
	touch $@

install: $(VENV)/.installed static/vendor/.installed

vendor: static/vendor/.installed

demo: install
	$(BIN)/exam-engine demo --port $(PORT) --data-dir $(DATA)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m pytest -m slow
	for b in exam_load bank_import assembly ranking analysis ability proctor_fanout exam_pipeline announcement_pdf; do \
		[ -f benchmarks/$$b.py ] && $(BIN)/python benchmarks/$$b.py || true; done
	$(BIN)/python benchmarks/room_scale.py --candidates 1000 --pace 30 --spike 5 --answers 3
	$(BIN)/python benchmarks/jobs_during_exam.py --papers 30000 --room 200

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
