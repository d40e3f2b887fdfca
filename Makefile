# make book            set up .venv from nothing and build the book into _build/html
# make unit            the helpers' unit tests only (seconds; no book, no browser)
# make lint            ruff over helpers/ tests/ benchmarks/ _ext/ and the lessons' code cells
# make test            every check: lint, a -W build, all tests with nbval, the built book in
#                      a browser, and nbval as another processor would compute (the CI command)
# make nbval-portable  nbval only, as another processor would compute (PORTABLE below)
# make timing-check    nbval on the lessons that check timings, 5 times natively and 5 times
#                      as another processor, with one core kept busy (about 25 minutes)
# make browser-tests   only the built book in a browser (builds _build/html if it is missing)
# make linkcheck       every external link on links.md answers (needs a network)
# make chromium        install Debian's chromium for the browser tests, if it is missing
# make notebooks       re-execute every lesson and the appendix, and write their paired .ipynb
# make colab           write the Colab edition, colab/*.ipynb, from the lessons
# make colab-run       run the Colab edition as Colab would, in a fresh environment outside
#                      the checkout (COLAB_RUN, /tmp/colab-run by default; a few minutes)
# make clean           remove _build
#
# Lessons that need data take it from the cache in data/, else from COURSE_DATA_MIRROR,
# else from the internet.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book unit lint test nbval-portable timing-check print-timed-lessons browser-tests linkcheck chromium notebooks \
	colab colab-run clean

# Another processor, simulated: ATen's scalar kernels instead of AVX2, MKL's portable code
# path, one thread. Floating-point results differ from this machine's in the last bits,
# and after a long training run in the third decimal: the lessons' committed outputs must
# hold all the same (literal comparison only for what is deterministic).
PORTABLE := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=1
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg

# The unit tests (of helpers/, the benchmark scripts and _ext/): every tests/test_*.py but
# those that check the lessons, the built book in a browser, or the links
NOT_UNIT := $(addprefix tests/test_,browser.py lessons.py links.py portable_outputs.py)
UNIT_TESTS := $(filter-out $(NOT_UNIT),$(sort $(wildcard tests/test_*.py)))
# ruff's settings are in pyproject.toml; it reads the lessons' code cells from the .ipynb
# twins (tests/test_lessons.py keeps them equal to the .md), IPython magics included
LINT := helpers tests benchmarks _ext chapters/*.ipynb

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# matplotlib builds its font cache on first import; do it here, not in a lesson's output
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

book: $(VENV)/.installed
	$(BIN)/jupyter-book build --all -W --keep-going .

unit: $(VENV)/.installed
	$(BIN)/python -m pytest $(UNIT_TESTS) -p no:cacheprovider -q

lint: $(VENV)/.installed
	$(BIN)/ruff check $(LINT)

# lint first: it fails in seconds, before the build and the lessons' three executions
test: lint $(VENV)/.installed chromium
	$(BIN)/jupyter-book build --all -W --keep-going .
	$(BIN)/python -m pytest tests chapters $(NBVAL) -p no:cacheprovider -rs
	$(MAKE) --no-print-directory nbval-portable

nbval-portable: $(VENV)/.installed
	$(PORTABLE) $(BIN)/python -m pytest chapters $(NBVAL) -p no:cacheprovider -q

# The lessons whose hidden checks compare clock readings: those with a cell tagged `clock`
# (README, "Writing a lesson"); tests/test_timing_checks.py finds every such comparison
# and fails if its cell is not tagged.
TIMED_LESSONS := $(patsubst %.md,%.ipynb,$(shell grep -l -E '^:tags: \[.*\bclock\b' chapters/[0-9]*.md chapters/the-whole-loop.md chapters/published-results.md))
TIMING_RUNS := 5

# Each timed lesson under nbval, TIMING_RUNS times as this machine computes and TIMING_RUNS
# times as another processor, while a busy loop (started and stopped here) keeps one core
# occupied. Every run must pass: a check that compares clock readings must hold on a busy
# machine and on any processor. Too slow for make test; run it after changing a timed lesson.
timing-check: $(VENV)/.installed
	@$(BIN)/python -c "while True: pass" & busy=$$!; trap 'kill $$busy' EXIT; \
	passed=0; failed=0; \
	for run in $$(seq $(TIMING_RUNS)); do \
		for mode in native portable; do \
			env=; [ $$mode = portable ] && env="$(PORTABLE)"; \
			if env $$env $(BIN)/python -m pytest $(TIMED_LESSONS) $(NBVAL) -p no:cacheprovider -q; \
			then passed=$$((passed + 1)); echo "timing-check: run $$run, $$mode: passed"; \
			else failed=$$((failed + 1)); echo "timing-check: run $$run, $$mode: FAILED"; fi; \
		done; \
	done; \
	echo "timing-check: $$passed passed, $$failed failed (of $$((passed + failed)) runs, one core busy)"; \
	[ $$failed -eq 0 ]

print-timed-lessons:
	@echo $(TIMED_LESSONS)

browser-tests: $(VENV)/.installed chromium
	$(BIN)/python -m pytest tests/test_browser.py -p no:cacheprovider -rs

# tests/test_links.py asks each address with LINKCHECK=1; without it (make test) it only
# checks that every address in the sources is listed on links.md
linkcheck: $(VENV)/.installed
	LINKCHECK=1 $(BIN)/python -m pytest tests/test_links.py -p no:cacheprovider -rs

# Install Debian's chromium (apt-get, with sudo when not root) for the browser tests, if it
# is missing: Playwright drives /usr/bin/chromium and downloads no browser. `sudo env`,
# because sudo resets the environment (DEBIAN_FRONTEND=... sudo apt-get would lose it).
chromium:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

notebooks: $(VENV)/.installed
	cd chapters && ../$(BIN)/jupytext --to ipynb --execute [0-9][0-9]-*.md the-whole-loop.md published-results.md

colab: $(VENV)/.installed
	$(BIN)/python _ext/colab_edition.py

# The Colab-like run. A fresh virtual environment stands in for Colab's: its torch is the
# pinned one (Colab ships its own torch, and pip keeps it), ipykernel and nbclient are the
# newest, and the first cell of each notebook installs the helpers from their wheel, with
# the newest numpy, matplotlib, pooch and jupyterquiz that pyproject.toml allows.
COLAB_RUN ?= /tmp/colab-run
colab-run: $(VENV)/.installed
	rm -rf $(COLAB_RUN) && mkdir -p $(COLAB_RUN)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir $(COLAB_RUN)/wheels .
	rm -rf build   # setuptools' build folder, left in the checkout
	$(PYTHON) -m venv $(COLAB_RUN)/venv
	$(COLAB_RUN)/venv/bin/python -m pip install --quiet "$$(grep '^torch==' requirements.txt)" \
		ipykernel nbclient nbformat
	$(COLAB_RUN)/venv/bin/python tests/colab_run.py $(COLAB_RUN) $(COLAB_RUN)/wheels/*.whl

clean:
	rm -rf _build
