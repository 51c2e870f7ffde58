# Two entry points on a fresh machine (Python 3.11 + package registries):
#   make demo   - create/reuse .venv, generate the toy VOC set, run the demo
#   make test   - create/reuse .venv, lint, run the test suite
#   make lint   - ruff + codespell (settings: ruff.toml, setup.cfg)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOY := data/toyvoc
PYTEST_ARGS ?=

.PHONY: install lint test demo toy clean-venv

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt \
		requirements/lint.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements/runtime.txt -r requirements/tests.txt \
		-r requirements/lint.txt
	$(PY) -m pip install --no-deps -e .
	touch $@

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/codespell

test: lint
	$(PY) -m pytest tests -q -p no:cacheprovider -n 2 $(PYTEST_ARGS)

toy: $(STAMP)
	$(PY) tools/misc/make_toy_voc.py --out $(TOY)

demo: toy
	OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 $(PY) tools/run_pipeline.py configs/baseline/gap_r38tiny_toy.py --quiet

clean-venv:
	rm -rf $(VENV)
