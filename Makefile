# Two entry points on a fresh machine (Python 3.11 + package registries):
#   make demo   - create/reuse .venv, generate the toy VOC set and (once) the
#                 toy-pretrained trunk, run the demo
#   make test   - create/reuse .venv, lint, run the test suite
#   make lint   - ruff + codespell (settings: ruff.toml, setup.cfg)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOY := data/toyvoc
# the toy stand-in for ImageNet weights: the GAP toy classifier trained on a
# second toy set (seed 1); made once, reused by every *_pretrained_toy config
TOYPRE := pretrained/r38tiny_toypre.pth
TOYPRE_WORK := work_dirs/pretrain_r38tiny_toy
THREADS := OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
PYTEST_ARGS ?=

.PHONY: install lint test demo toy toypre clean-venv

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

$(TOYPRE): | $(STAMP)
	$(PY) tools/misc/make_toy_voc.py --out data/toyvoc_pretrain --seed 1
	@echo "pre-training the toy trunk (about 5 min on 2 cores; log: $(TOYPRE_WORK)/pretrain.log)"
	@mkdir -p $(TOYPRE_WORK)
	$(THREADS) $(PY) tools/train.py configs/baseline/pretrain_r38tiny_toy.py \
		--work-dir $(TOYPRE_WORK) > $(TOYPRE_WORK)/pretrain.log 2>&1 \
		|| (tail -n 20 $(TOYPRE_WORK)/pretrain.log; exit 2)
	@mkdir -p $(dir $(TOYPRE))
	cp $(TOYPRE_WORK)/iter_1000.pth $(TOYPRE).tmp && mv $(TOYPRE).tmp $(TOYPRE)

toypre: $(TOYPRE)

demo: toy toypre
	$(THREADS) $(PY) tools/run_pipeline.py configs/baseline/gap_r38tiny_pretrained_toy.py --quiet

clean-venv:
	rm -rf $(VENV)
