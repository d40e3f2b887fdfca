# make book       set up .venv from nothing and build the book into _build/html
# make test       set up .venv from nothing and run every test: a -W build, unit tests, nbval,
#                 the built book in a browser (installs Debian's chromium if missing), and
#                 nbval a second time as another processor would compute (PORTABLE below)
# make notebooks  re-execute every lesson and write its paired .ipynb with the new outputs
#
# Lessons that need data take it from the cache in data/, else from COURSE_DATA_MIRROR,
# else from the internet.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test nbval-portable notebooks chromium clean

# Another processor, simulated: ATen's scalar kernels instead of AVX2, MKL's portable code
# path, one thread. Floating-point results differ from this machine's in the last bits,
# and after a long training run in the third decimal: the lessons' committed outputs must
# hold all the same (literal comparison only for what is deterministic).
PORTABLE := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=1
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg

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

test: $(VENV)/.installed chromium
	$(BIN)/jupyter-book build --all -W --keep-going .
	$(BIN)/python -m pytest tests chapters $(NBVAL) -p no:cacheprovider -rs
	$(MAKE) --no-print-directory nbval-portable

nbval-portable: $(VENV)/.installed
	$(PORTABLE) $(BIN)/python -m pytest chapters $(NBVAL) -p no:cacheprovider -q

# the browser tests drive Debian's Chromium (no browser is downloaded by Playwright)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

notebooks: $(VENV)/.installed
	cd chapters && ../$(BIN)/jupytext --to ipynb --execute [0-9][0-9]-*.md

clean:
	rm -rf _build
