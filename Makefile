# modgap_edu — course commands. Quick start: `make lab` (learn) and `make test` (check everything).
# Every target that needs the environment runs `make setup` first; setup is idempotent.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SHARED_DATA ?= $(abspath ../shared/data)
DATA_CACHE  := $(CURDIR)/.cache/modgap_data

# Tests and headless runs never wait on the network; figures render off-screen.
TEST_ENV := HF_HUB_OFFLINE=1 MODGAP_OFFLINE=1 MPLBACKEND=Agg PYTHONHASHSEED=0 TQDM_DISABLE=1
NBVAL    := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test lint lessons run budget seed-cache assets mad-sweep bench latency clean help

help:
	@echo "make lab      - set up if needed, then open the lessons in JupyterLab"
	@echo "make test     - set up if needed, then run the whole test suite (unit, notebooks, browser)"
	@echo "make lint     - ruff: lint and format check (line length 120, rules in pyproject.toml)"
	@echo "make lessons  - regenerate lessons/ (student) and solutions/ from sources/"
	@echo "make run      - execute every lesson headless into _run/ (git-ignored)"
	@echo "make budget   - per-lesson wall time and peak RSS with real widgets; fails over 90 s or 1 GiB"
	@echo "make assets   - regenerate the shipped precomputed results (~40 min)"
	@echo "make bench    - benchmark the gap metrics up to 1,000,000 x 512"
	@echo "make latency  - time every slider move of every demo (median, p90)"
	@echo "make setup    - create .venv/ with everything installed (idempotent)"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 needed, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp binder/labconfig/default_setting_overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(PY) -c "import modgap_edu, open_clip; print('modgap_edu', modgap_edu.__version__, '- environment ready')"
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/lessons \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# Seed the data cache from ../shared/data when it is there (the loader still verifies every checksum).
seed-cache: setup
	@if [ -f "$(SHARED_DATA)/features_clip.npy" ]; then \
	  $(PY) -m modgap_edu.data.liang_features --seed-from "$(SHARED_DATA)" --dest "$(DATA_CACHE)" | tail -1; \
	else echo "no $(SHARED_DATA): lessons use their fallback embeddings"; fi

test: setup seed-cache
	@if [ -x /usr/bin/chromium ]; then echo "browser tests: chromium found, running them"; \
	 else echo "browser tests: SKIPPED, /usr/bin/chromium is missing (apt-get install -y chromium)"; fi
	$(PY) tools/build_lessons.py --check
	$(TEST_ENV) MODGAP_DATA_DIR="$(DATA_CACHE)" $(PY) -m pytest -ra tests lessons solutions $(NBVAL)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lessons: setup
	$(PY) tools/build_lessons.py

# Real widgets, as learners get them. (nbconvert used to stall now and then on widget cells: nbclient
# sent its Output-widget emulation's comm_msg on the shell socket it was waiting on, jupyter/nbclient#312;
# demo() no longer uses an Output widget. tests/course/test_headless_widgets.py repeats these runs.)
run: setup seed-cache
	mkdir -p _run/lessons _run/solutions
	$(TEST_ENV) MODGAP_DATA_DIR="$(DATA_CACHE)" $(VENV)/bin/jupyter nbconvert --to notebook --execute \
	  --ExecutePreprocessor.timeout=300 --output-dir _run/lessons lessons/*.ipynb
	$(TEST_ENV) MODGAP_DATA_DIR="$(DATA_CACHE)" $(VENV)/bin/jupyter nbconvert --to notebook --execute \
	  --ExecutePreprocessor.timeout=300 --output-dir _run/solutions solutions/*.ipynb

# As learners run the lessons (issue 14 §6): real widgets, a fresh kernel per notebook, peak RSS of its process tree.
budget: setup seed-cache
	$(TEST_ENV) MODGAP_DATA_DIR="$(DATA_CACHE)" $(PY) tools/budget.py

# Shipped results under modgap_edu/assets/ (metrics only, a few hundred KB): each lesson loads them
# instantly and re-runs one member live. Regenerating all takes about 40 minutes on 2 cores.
assets: setup
	$(PY) -m modgap_edu.experiments.gap_fate_grid
	$(PY) -m modgap_edu.experiments.random_init_cones
	$(PY) -m modgap_edu.experiments.init_vs_opt --seeds 0 1 2 3 4 --epochs 100 --out modgap_edu/assets/lesson03/init_vs_opt.json
	$(PY) -m modgap_edu.experiments.init_vs_opt --seeds 0 1 2 --epochs 100 --recipe paper --out modgap_edu/assets/lesson03/init_vs_opt_paper_recipe.json
	$(PY) -m modgap_edu.experiments.fixed_tau_finetune --seeds 0 1 --out modgap_edu/assets/lesson03/fixed_tau_finetune.json
	$(MAKE) mad-sweep
	$(PY) -m modgap_edu.experiments.mad_family
	MODGAP_THREADS=1 $(PY) -m modgap_edu.experiments.mad_hypotheses

mad-sweep: setup
	MODGAP_THREADS=1 $(PY) -m modgap_edu.experiments.mad_sweep

# Metric speed and memory: ours vs the literal pairwise definitions, then 100k and 1M x 512.
bench: setup
	$(PY) tools/benchmark_metrics.py

# Slider responsiveness: every demo's sliders stepped through their range, plot + PNG per move.
latency: setup seed-cache
	$(TEST_ENV) MODGAP_DATA_DIR="$(DATA_CACHE)" $(PY) tools/callback_latency.py

clean:
	rm -rf _run _artifacts .pytest_cache
