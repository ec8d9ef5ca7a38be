# The book in SOURCEDIR (docs/: 「Llama 2の登場でLLM三国志が始まった」) built with the toolkit's
# command, `sangokushi build SOURCEDIR` (HTML, EPUB 横書き・縦書き, PDFs), and the toolkit's tests.
# Conventions follow sphinx-quickstart's Makefile: SOURCEDIR, BUILDDIR, SPHINXOPTS.

SPHINXOPTS    ?=
SOURCEDIR     ?= docs
BUILDDIR      ?= build
PYTHON        ?= python3
VENV          ?= .venv
VENV_STAMP    := $(VENV)/.installed
# The book's editions are built, checked and published (atomically, under a lock in BUILDDIR)
# by `sangokushi`. Paths reach it through the environment, never pasted into a shell line: a
# BUILDDIR with spaces or quotes is safe.
SANGOKUSHI    := $(VENV)/bin/sangokushi
# Exported to these targets only: `make test` must not hand its BUILDDIR to the tests' builds.
BUILDS        := book html epub pdf pdf-print pdf-tate pdf-tate-print cover check-epub clean live
$(BUILDS): export SOURCEDIR := $(SOURCEDIR)
$(BUILDS): export BUILDDIR := $(BUILDDIR)
$(BUILDS): export SPHINXOPTS := $(SPHINXOPTS)
ifneq ($(findstring $$,$(value BUILDDIR)$(value SOURCEDIR)$(value SITE_DIR)),)
$(error BUILDDIR, SOURCEDIR and SITE_DIR may hold spaces and quotes, but not '$$')
endif

.PHONY: help book html epub check-epub pdf test lint format clean setup sysdeps
.PHONY: site serve live pdf-print pdf-tate pdf-tate-print cover

help:
	@echo "Targets (make help: this list):"
	@echo "  make book     set up (venv, TeX, fonts), then build every edition of SOURCEDIR into BUILDDIR"
	@echo "  make test     set up, then run the whole test suite"
	@echo "  make html | epub | pdf | pdf-print | pdf-tate | pdf-tate-print   one edition (epub: both EPUBs)"
	@echo "  make cover    the print covers (表紙), 横書き and 縦書き, after their print PDFs"
	@echo "  make check-epub   EPUBCheck, read-back and every sentence, on both EPUBs"
	@echo "  make clean    remove what the builds wrote in BUILDDIR (its .lock stays)"
	@echo "  make lint | format   ruff"
	@echo "  make site | serve    the versioned site of every tag and SITE_BRANCH; serve it"
	@echo "  make live     the book rebuilt on save, the saved page in every edition at 127.0.0.1:LIVE_PORT"
	@echo "  make bench    the edit loop against its targets (BENCH_LOOP_ARGS); the sweep too with BENCH_ARGS"
	@echo "  make setup | sysdeps   only the venv; only the Debian packages"
	@echo "Variables (now):"
	@echo "  SOURCEDIR=$(SOURCEDIR) BUILDDIR=$(BUILDDIR) SPHINXOPTS=$(SPHINXOPTS) PYTHON=$(PYTHON) VENV=$(VENV)"
	@echo "  SITE_URL=$(SITE_URL) SITE_DIR=$(SITE_DIR) SITE_REPO=$(SITE_REPO) SITE_BRANCH=$(SITE_BRANCH)"
	@echo "  SITE_TAGS=$(SITE_TAGS) SITE_DOWNLOADS=$(SITE_DOWNLOADS) LIVE_PORT=$(LIVE_PORT)"
	@echo "  LIVE_EDITIONS=$(LIVE_EDITIONS)"
	@echo "  BENCH_ARGS=$(BENCH_ARGS) BENCH_LOOP_ARGS=$(BENCH_LOOP_ARGS) PYTEST_ARGS=$(PYTEST_ARGS) TEST_JOBS=$(TEST_JOBS)"

$(VENV_STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[test,site]'
	touch $@

setup: $(VENV_STAMP)

# The Debian check once per package list (sysdeps.py) and per change of dpkg's own state.
SYSDEPS_STAMP := $(VENV)/.sysdeps-book
sysdeps: $(SYSDEPS_STAMP)
$(SYSDEPS_STAMP): src/sangokushi/sysdeps.py $(wildcard /var/lib/dpkg/status) | $(VENV_STAMP)
	@$(VENV)/bin/python -m sangokushi.sysdeps book
	@touch $@

book: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR"

html: $(VENV_STAMP)
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group html

epub: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group epub

pdf: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group pdf

# The print-shop and vertical PDFs (sangokushi.book.PDF_VARIANTS); `make book` builds them too.
pdf-print: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group pdf-print

pdf-tate: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group pdf-tate

pdf-tate-print: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group pdf-tate-print

# The print covers (sangokushi.printcover): each is drawn after its print PDF, whose page count
# sets the spine; `make book` builds them too.
cover: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) build "$$SOURCEDIR" --group cover

check-epub: epub
	@$(SANGOKUSHI) check "$$SOURCEDIR" --group epub

# Two passes: every test not marked `serial` on TEST_JOBS pytest-xdist workers (a file's tests on
# one worker, so its module fixtures are built once), then the `serial` ones (fault injection,
# timing, concurrency: they want the whole machine) alone. Exit 5 is "nothing selected".
TEST_JOBS ?= 2
test: $(VENV_STAMP) sysdeps
	@$(VENV)/bin/python -m sangokushi.sysdeps test
	$(VENV)/bin/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not serial" $(PYTEST_ARGS) \
	  || test $$? -eq 5
	$(VENV)/bin/python -m pytest -m serial $(PYTEST_ARGS) || test $$? -eq 5

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check src tests docs/conf.py
	$(VENV)/bin/ruff format --check src tests docs/conf.py

format: $(VENV_STAMP)
	$(VENV)/bin/ruff format src tests docs/conf.py
	$(VENV)/bin/ruff check --fix src tests docs/conf.py

# Only what the builds wrote (never BUILDDIR's other files); needs no venv.
clean:
	@PYTHONPATH=src $(PYTHON) -m sangokushi clean "$$SOURCEDIR"

# -- Versioned site -----------------------------------------------------------
# Every tag of SITE_REPO matching SITE_TAGS, and SITE_BRANCH, each built by its own Makefile in
# its own checkout (HTML, EPUBs, PDF) into SITE_DIR/<version>/, for readers at SITE_URL.
SITE_URL    ?= http://localhost:8000/
SITE_DIR    ?= $(BUILDDIR)/site
SITE_REPO   ?= .
SITE_BRANCH ?= main
SITE_TAGS   ?= v*
# The editions each version offers for download (names); empty: every labelled edition.
SITE_DOWNLOADS ?=
LIVE_PORT   ?= 8001

site serve: export SITE_DIR := $(SITE_DIR)
site serve: export SITE_URL := $(SITE_URL)
site: export SITE_REPO := $(SITE_REPO)
site: export SITE_BRANCH := $(SITE_BRANCH)
site: export SITE_TAGS := $(SITE_TAGS)
site: export SITE_DOWNLOADS := $(SITE_DOWNLOADS)
site: export VENV := $(VENV)

site: $(VENV_STAMP) sysdeps
	$(VENV)/bin/python -m sangokushi.site build --repo "$$SITE_REPO" --out "$$SITE_DIR" \
	  --url "$$SITE_URL" --branch "$$SITE_BRANCH" --tags "$$SITE_TAGS" --venv "$$VENV" \
	  --downloads "$$SITE_DOWNLOADS"

serve: $(VENV_STAMP)
	$(VENV)/bin/python -m sangokushi.site serve "$$SITE_DIR" --url "$$SITE_URL"

# The book rebuilt on every save (`sangokushi preview`: the editions of LIVE_EDITIONS, or all),
# the edited page's HTML, PDF and EPUB chapters (横書き, 縦書き) at http://127.0.0.1:LIVE_PORT/, reloading.
LIVE_EDITIONS ?=
live: $(VENV_STAMP) sysdeps
	@$(SANGOKUSHI) preview "$$SOURCEDIR" --port $(LIVE_PORT) $(LIVE_EDITIONS)

# -- Build-cost benchmark (bench/README.md): synthetic books, pandoc beside ---------------
# make bench: the edit loop against issue 21's targets (bench/targets.md; BENCH_LOOP_ARGS, e.g.
# '--quick' or '--sizes 1 --repeats 5'); with BENCH_ARGS also the sweep (bench/results.md), e.g.
# make bench BENCH_ARGS='--sizes 1,10 --editions html,epub --repeats 3'
BENCH_ARGS ?=
BENCH_LOOP_ARGS ?=
.PHONY: bench
bench: export SOURCEDIR := $(SOURCEDIR)
bench: export BUILDDIR := $(BUILDDIR)
bench: $(VENV_STAMP) sysdeps
	@$(VENV)/bin/python -m sangokushi.sysdeps bench
	@$(VENV)/bin/python -c 'import matplotlib' 2>/dev/null || $(VENV)/bin/python -m pip install -q -e '.[bench]'
	PATH="$(CURDIR)/bench/tools/node_modules/.bin:$$PATH" \
	  $(VENV)/bin/python -m sangokushi.bench targets --docs "$$SOURCEDIR" --work "$$BUILDDIR/bench" $(BENCH_LOOP_ARGS)
	$(if $(BENCH_ARGS),$(VENV)/bin/python -m sangokushi.bench --docs "$$SOURCEDIR" --work "$$BUILDDIR/bench" $(BENCH_ARGS))
