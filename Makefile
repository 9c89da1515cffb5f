# The two commands of the README:
#   make test   unit tests, then every chapter notebook executed under nbval
#               (unless `make book` has just executed and validated exactly these files)
#   make book   the HTML book in _build/html (warnings are errors; executes every chapter)
# and, after `make book`, `make check-html`: every page in headless Chromium, offline.
# Both create .venv on first use and install the package with the pinned
# versions in constraints.txt; they reinstall only when pyproject.toml or
# constraints.txt change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := book,test,bench
STAMP  := $(VENV)/.install-stamp
LAB_STAMP := $(VENV)/.lab-stamp
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --no-input -c constraints.txt

.DEFAULT_GOAL := help
.PHONY: help install test unit notebooks notebooks-again book check-html bench lab clean distclean

help:
	@echo "make test       run unit tests, then execute every chapter (nbval)"
	@echo "make book       build the HTML book into _build/html (warnings are errors)"
	@echo "make check-html open every built page in headless Chromium with no network (after make book)"
	@echo "make bench      run the benchmarks (benchmarks/bench_*.py)"
	@echo "make lab        open the chapters in JupyterLab"
	@echo "make install    only create .venv and install the pinned environment"
	@echo "make clean      remove build outputs and caches (keeps .venv)"
	@echo "make distclean  clean, and remove .venv"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e ".[$(EXTRAS)]"
	@touch $@

install: $(STAMP)

test: unit notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest tests

# --nbval-lax: every cell must execute without error (the assert cells are the
# checks); outputs are not compared. --nbval-current-env: run the notebooks in
# this .venv's kernel whatever kernelspec the notebook names.
# Execute each chapter once: when `make book` has executed every notebook of
# chapters/ from exactly the current files (chapters, package, benchmarks, pins,
# config; book/executed.py keeps that fingerprint) and every cell ran without
# error, the chapters are not executed a second time. `make notebooks-again`
# always executes them.
notebooks: $(STAMP)
	@if $(BIN)/python book/executed.py check; then :; else $(MAKE) --no-print-directory notebooks-again; fi

notebooks-again: $(STAMP)
	@if ls chapters/*.ipynb >/dev/null 2>&1; then \
	  $(BIN)/python -m pytest --nbval-lax --nbval-current-env chapters/; \
	else \
	  echo "no chapter notebooks in chapters/: nothing to execute"; \
	fi

# --all: re-read (and so re-execute) every page; without it Sphinx would skip
# unchanged pages, including one whose execution failed in the previous build.
# A cell that raises (a failed assert included) is a warning, so -W fails the
# build; book/executed.py then also checks that every cell of every chapter ran.
book: $(STAMP)
	$(BIN)/python book/executed.py start
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	$(BIN)/python book/executed.py finish

# Every page of _build/html in headless Chromium (Debian's `chromium`) with the
# network cut off: JavaScript errors, broken images and links, unrendered
# mathematics, widgets without a static figure; screenshots in _build/screenshots/.
check-html: $(STAMP)
	$(BIN)/python book/check_html.py --html _build/html --screenshots _build/screenshots

# Every benchmarks/bench_*.py (benchmarks/common.py is their shared helper).
# Each prints its tables and writes JSON to benchmarks/results/.
bench: $(STAMP)
	@set -e; found=0; \
	for f in benchmarks/bench_*.py; do \
	  [ -e "$$f" ] || continue; found=1; \
	  echo "== $$f"; $(BIN)/python "$$f"; \
	done; \
	[ $$found -eq 1 ] || echo "no benchmarks in benchmarks/"

$(LAB_STAMP): $(STAMP)
	$(PIP_INSTALL) -e ".[$(EXTRAS),lab]"
	@touch $@

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build book/_generated .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 | xargs -0 rm -rf
	rm -rf *.egg-info

distclean: clean
	rm -rf $(VENV)
