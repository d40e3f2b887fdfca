# make book       set up .venv from nothing and build the book into _build/html
# make test       set up .venv from nothing and run every test: unit tests, nbval, a -W build
# make notebooks  re-execute every lesson and write its paired .ipynb with the new outputs
#
# Lessons that need data take it from the cache in data/, else from COURSE_DATA_MIRROR,
# else from the internet.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test notebooks clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# matplotlib builds its font cache on first import; do it here, not in a lesson's output
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

book: $(VENV)/.installed
	$(BIN)/jupyter-book build --all -W --keep-going .

test: $(VENV)/.installed
	$(BIN)/python -m pytest tests chapters --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval-sanitize.cfg -p no:cacheprovider
	$(BIN)/jupyter-book build --all -W --keep-going .

notebooks: $(VENV)/.installed
	cd chapters && ../$(BIN)/jupytext --to ipynb --execute [0-9][0-9]-*.md

clean:
	rm -rf _build
