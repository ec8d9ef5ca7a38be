# The book 「Llama 2の登場でLLM三国志が始まった」: HTML, EPUB (横書き・縦書き) and PDF.
# Conventions follow sphinx-quickstart's Makefile: SOURCEDIR, BUILDDIR, SPHINXOPTS.

SPHINXOPTS    ?=
SOURCEDIR     ?= docs
BUILDDIR      ?= build
PYTHON        ?= python3
VENV          ?= .venv
SPHINXBUILD   ?= $(VENV)/bin/sphinx-build
BOOK          := llm-sangokushi
STRICT        := -W --keep-going -n
DOCTREES      := $(BUILDDIR)/doctrees

# LuaLaTeX's font cache: a known place that outlives `make clean` and fresh clones.
export TEXMFCACHE ?= $(HOME)/.cache/$(BOOK)/texmf-var
export TEXMFVAR   ?= $(TEXMFCACHE)

# Reproducible editions: dates inside the EPUB, zip entry times and the PDF's dates come from
# the last commit unless SOURCE_DATE_EPOCH is given.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
export FORCE_SOURCE_DATE := 1
endif

VENV_STAMP := $(VENV)/.installed

.PHONY: help book html epub check-epub pdf test lint format clean setup sysdeps
.PHONY: site serve live

help:
	@echo "make book    set up (venv, TeX, fonts) and build HTML, EPUB and PDF into $(BUILDDIR)/"
	@echo "make test    set up and run the whole test suite"
	@echo "make html | epub | pdf    build one edition"
	@echo "make lint | format        ruff"
	@echo "make clean   remove $(BUILDDIR)/"

book: html epub pdf

$(VENV_STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -e '.[test,site]'
	touch $@

setup: $(VENV_STAMP)

sysdeps: $(VENV_STAMP)
	@$(VENV)/bin/python -m sangokushi.sysdeps book

# A failed build removes what it wrote: nothing half-written stays looking like a good book.
html: $(VENV_STAMP)
	$(SPHINXBUILD) -b html $(STRICT) -d $(DOCTREES)/html $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/html \
	  || { rm -rf $(BUILDDIR)/html; exit 1; }
	@echo "HTML: $(BUILDDIR)/html/index.html"

epub: $(VENV_STAMP) sysdeps
	$(SPHINXBUILD) -b epub $(STRICT) -d $(DOCTREES)/epub $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/epub \
	  || { rm -f $(BUILDDIR)/epub/$(BOOK).epub $(BUILDDIR)/epub/$(BOOK)-tate.epub; exit 1; }
	$(SPHINXBUILD) -b epub $(STRICT) -d $(DOCTREES)/epub-tate $(SPHINXOPTS) \
	  -D epub_writing_mode=vertical -D epub_basename=$(BOOK)-tate $(SOURCEDIR) $(BUILDDIR)/epub-tate \
	  || { rm -f $(BUILDDIR)/epub/$(BOOK)-tate.epub; exit 1; }
	cp $(BUILDDIR)/epub-tate/$(BOOK)-tate.epub $(BUILDDIR)/epub/$(BOOK)-tate.epub
	@echo "EPUB: $(BUILDDIR)/epub/$(BOOK).epub $(BUILDDIR)/epub/$(BOOK)-tate.epub"

check-epub: epub
	$(VENV)/bin/python -m sangokushi.ebook.check $(BUILDDIR)/epub/$(BOOK).epub \
	  --vertical $(BUILDDIR)/epub/$(BOOK)-tate.epub

pdf: $(VENV_STAMP) sysdeps
	$(SPHINXBUILD) -b latex $(STRICT) -d $(DOCTREES)/latex $(SPHINXOPTS) $(SOURCEDIR) $(BUILDDIR)/latex \
	  || { rm -f $(BUILDDIR)/pdf/$(BOOK).pdf; exit 1; }
	$(VENV)/bin/python -m sangokushi.pdf $(BUILDDIR)/latex/$(BOOK).tex $(BUILDDIR)/pdf/$(BOOK).pdf
	@echo "PDF: $(BUILDDIR)/pdf/$(BOOK).pdf"

test: $(VENV_STAMP) sysdeps
	@$(VENV)/bin/python -m sangokushi.sysdeps test
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check src tests docs/conf.py
	$(VENV)/bin/ruff format --check src tests docs/conf.py

format: $(VENV_STAMP)
	$(VENV)/bin/ruff format src tests docs/conf.py
	$(VENV)/bin/ruff check --fix src tests docs/conf.py

clean:
	rm -rf $(BUILDDIR)

# -- Versioned site -----------------------------------------------------------
# Every tag of SITE_REPO matching SITE_TAGS, and SITE_BRANCH, each built by its own Makefile in
# its own checkout (HTML, EPUBs, PDF) into SITE_DIR/<version>/, for readers at SITE_URL.
SITE_URL    ?= http://localhost:8000/
SITE_DIR    ?= $(BUILDDIR)/site
SITE_REPO   ?= .
SITE_BRANCH ?= main
SITE_TAGS   ?= v*
LIVE_PORT   ?= 8001

site: $(VENV_STAMP) sysdeps
	$(VENV)/bin/python -m sangokushi.site build --repo '$(SITE_REPO)' --out '$(SITE_DIR)' \
	  --url '$(SITE_URL)' --branch '$(SITE_BRANCH)' --tags '$(SITE_TAGS)' --venv '$(VENV)' \
	  --make '$(MAKE)'

serve: $(VENV_STAMP)
	$(VENV)/bin/python -m sangokushi.site serve '$(SITE_DIR)' --url '$(SITE_URL)'

# The working tree (not the site), rebuilt on every save, the browser reloading by itself.
live: $(VENV_STAMP)
	$(VENV)/bin/sphinx-autobuild -b html -n -d $(DOCTREES)/live $(SPHINXOPTS) --watch src \
	  --host 127.0.0.1 --port $(LIVE_PORT) $(SOURCEDIR) $(BUILDDIR)/live

# -- Build-cost benchmark (bench/README.md): synthetic books, pandoc beside ---------------
# make bench BENCH_ARGS='--sizes 1,10 --editions html,epub --repeats 3'
BENCH_ARGS ?=
.PHONY: bench
bench: $(VENV_STAMP) sysdeps
	@$(VENV)/bin/python -m sangokushi.sysdeps bench
	@$(VENV)/bin/python -c 'import matplotlib' 2>/dev/null || $(VENV)/bin/python -m pip install -q -e '.[bench]'
	$(VENV)/bin/python -m sangokushi.bench --docs '$(SOURCEDIR)' --work '$(BUILDDIR)/bench' $(BENCH_ARGS)
