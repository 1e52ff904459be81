# hpmob: `make all` rebuilds everything from raw data, `make test` runs every test.
# Targets have real prerequisites: a second `make all` with nothing changed does nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
PY := $(BIN)/python
ENV_STAMP := $(VENV)/.hpmob-env
# uv from the machine if it has one, else a private copy installed with pip.
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)

# Two jobs by default (the machines have 2 cores): notebooks 02-05 and 08 run side by side
# once 01 has cleaned the data. `make JOBS=1 all` runs one at a time. (No --output-sync: it
# would hold back the test log until pytest ends.)
JOBS ?= 2
MAKEFLAGS += -j$(JOBS)

export PATH := $(BIN):$(PATH)
# One BLAS thread per process: jobs and joblib workers already fill both cores, and the
# matrices are small, so extra BLAS threads only spin and compete.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0
export UV_PYTHON_DOWNLOADS := never
export PYDEVD_DISABLE_FILE_VALIDATION := 1

SRC := $(shell find src/hpmob -name '*.py' -o -name '*.yaml')
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
EXECUTED := $(patsubst notebooks/%,build/notebooks/%,$(NOTEBOOKS))
# Make starts prerequisites in the order listed: the data first, then the two longest
# notebooks (bootstrap, power simulation), so two jobs stay busy until the end.
LONGEST_FIRST := $(filter %/01-cleaning.ipynb %/05-structural.ipynb %/08-power.ipynb,$(EXECUTED))
BUILD_ORDER := $(LONGEST_FIRST) $(filter-out $(LONGEST_FIRST),$(EXECUTED))
RAW := $(filter-out data/raw/.gitkeep,$(wildcard data/raw/*))
GENERATED_PAGES := book/reproducibility.md book/codebook.md
BOOK_SRC := book/_config.yml book/_toc.yml $(filter-out $(GENERATED_PAGES),$(wildcard book/*.md book/*.bib)) \
    $(wildcard book/_static/*)
BOOK := book/_build/html/index.html
# the grid of analytic choices (section below); defined here because the notebook rules use them
MULTIVERSE_NAMED := build/multiverse/named/specifications.csv
MULTIVERSE_FULL := build/multiverse/full/specifications.csv

.PHONY: all env lock test test-slow lint format lab book pdf bench clean distclean notebooks variants variants-inprocess check-variants \
    bench-detail raw-readonly multiverse

all: $(BOOK) build/.raw-readonly  ## env -> notebooks -> book

# The raw exports are read-only (README): by mode too, not only by convention. chmod
# leaves the files' modification times alone, so nothing is rebuilt because of it; the
# stamp keeps a second `make all` a no-op (`make -q all` true).
build/.raw-readonly: $(RAW)
	@mkdir -p $(@D)
	@chmod a-w $(filter-out %/README.md,$(RAW))
	@touch $@

raw-readonly: build/.raw-readonly

# --- environment -----------------------------------------------------------
.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: compile every package once at install time; otherwise the first
# build compiles pandas, scipy and matplotlib in each notebook kernel at once.
$(ENV_STAMP): requirements.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

env: $(ENV_STAMP)  ## create .venv exactly as pinned in requirements.lock

lock: | $(UV)  ## regenerate requirements.lock from pyproject.toml
	$(UV) pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
	    --no-header --quiet -o requirements.lock

# --- notebooks (papermill, into build/, never in place) --------------------
# Every executed notebook depends on its source, the library and the environment;
# the lines below add what each one reads.
# Builds write the real results (a notebook rerun in JupyterLab or by nbval writes to
# build/scratch/: hpmob.paths.output_root).
$(EXECUTED): export HPMOB_OUTPUT_ROOT := $(CURDIR)
build/notebooks/%.ipynb: notebooks/%.ipynb $(SRC) $(ENV_STAMP)
	$(BIN)/hpmob run-notebook $< $@ $(NB_PARAMS)

# In a parallel build 05 (bootstrap) runs without joblib workers, which would only compete
# with the other job. 08 (power simulation) is the longest notebook: it always has two
# workers, so that when the other job has run out of notebooks both cores finish the
# simulation (while both jobs run, three processes share two cores; the total work is the
# same). Results do not depend on the number of workers (seeds are per replicate:
# tests/test_sem_indirect.py, tests/test_power.py).
NOTEBOOK_WORKERS := $(if $(filter 1,$(JOBS)),2,1)
build/notebooks/05-structural.ipynb: NB_PARAMS := -p n_jobs $(NOTEBOOK_WORKERS)
build/notebooks/08-power.ipynb: NB_PARAMS := -p n_jobs 2
# One language per book: figure labels in BOOK_LANG (English; `make BOOK_LANG=vi all` builds the
# Vietnamese edition of the figures, the codebook appendix has both languages' wording).
BOOK_LANG ?= en
build/notebooks/02-descriptives.ipynb build/notebooks/04-invariance.ipynb: NB_PARAMS := -p lang $(BOOK_LANG)

build/notebooks/00-overview.ipynb: data/study.yaml data/analysis_plan.yaml data/codebook.yaml
build/notebooks/01-cleaning.ipynb: $(RAW) data/codebook.yaml data/study.yaml data/analysis_plan.yaml
# Later notebooks read data/processed/, which 01 writes; 06 reads the tables of 02-05.
$(filter-out build/notebooks/00-% build/notebooks/01-%,$(EXECUTED)): build/notebooks/01-cleaning.ipynb data/analysis_plan.yaml
build/notebooks/06-findings.ipynb: build/notebooks/02-descriptives.ipynb build/notebooks/04-invariance.ipynb \
    build/notebooks/05-structural.ipynb

# the variants' claims tables, not their stamps: `make all` must never rebuild variants
build/notebooks/07-robustness.ipynb: $(wildcard build/variants/*/tables/claims.csv) \
    $(wildcard build/variants-inprocess/*/tables/claims.csv) $(MULTIVERSE_NAMED) $(wildcard $(MULTIVERSE_FULL))
build/notebooks/08-power.ipynb: data/population_model.yaml data/codebook.yaml

notebooks: $(EXECUTED)

# --- the grid of analytic choices (variants.yaml `grid:`) ----------------------------
# `make all` runs the grid's named points (the named variants, in process, about 10 s);
# `make multiverse` runs the full grid with the joint tests of the path claims and
# rebuilds the book, whose robustness chapter then shows the full grid.
MULTIVERSE_DEPS := variants.yaml $(SRC) $(RAW) data/codebook.yaml data/analysis_plan.yaml $(ENV_STAMP)
N_NULL ?= 100

$(MULTIVERSE_NAMED): $(MULTIVERSE_DEPS)
	$(BIN)/hpmob multiverse --named --out $(@D) --jobs $(NOTEBOOK_WORKERS)

$(MULTIVERSE_FULL): $(MULTIVERSE_DEPS)
	$(BIN)/hpmob multiverse --joint-tests --n-null $(N_NULL) --out $(@D) --jobs $(JOBS)

multiverse: $(MULTIVERSE_FULL)  ## the full grid of variants.yaml with joint tests, then the book shows it
	$(MAKE) book

# --- robustness variants (variants.yaml) ---------------------------------------
# Each variant reruns notebooks 01-06 into build/variants/NAME/; `make -j2 variants` runs
# two at a time. Not part of `make all` (about 2-3 min per variant); rerun `make book`
# afterwards to refresh the robustness chapter.
# the names under `variants:` only (the file's `grid:` section follows it)
VARIANT_NAMES := $(shell sed -n '/^variants:/,/^[a-z]/p' variants.yaml | grep -E '^  [A-Za-z0-9_-]+:' | sed -E 's/^  ([^:]+):.*/\1/')
VARIANT_STAMPS := $(VARIANT_NAMES:%=build/variants/%/.done)
$(VARIANT_STAMPS) check-variants: export HPMOB_OUTPUT_ROOT := $(CURDIR)

build/variants/%/.done: variants.yaml $(NOTEBOOKS) $(SRC) $(RAW) data/codebook.yaml data/analysis_plan.yaml $(ENV_STAMP)
	rm -rf build/variants/$*
	$(BIN)/hpmob run --variant $*
	touch $@

# The same variants computed in process by the study layer (no kernel per notebook, tables
# only): what the robustness chapter reads. `make variants` builds both.
VARIANT_INPROCESS_STAMPS := $(VARIANT_NAMES:%=build/variants-inprocess/%/.done)

build/variants-inprocess/%/.done: variants.yaml $(SRC) $(RAW) data/codebook.yaml data/analysis_plan.yaml \
    $(NOTEBOOKS) $(ENV_STAMP)
	$(BIN)/hpmob run --variant $* --in-process
	touch $@

variants-inprocess: $(VARIANT_INPROCESS_STAMPS)  ## every variant in process (tables only, fast)

variants: $(VARIANT_STAMPS) $(VARIANT_INPROCESS_STAMPS)  ## rerun the study under every variant of variants.yaml

# Rerun every variant from scratch and compare each file with the previous build, byte for byte.
check-variants: $(VARIANT_STAMPS)  ## fail unless every variant folder reproduces exactly on rerun
	@for v in $(VARIANT_NAMES); do $(BIN)/hpmob run --variant $$v --check || exit 1; done

# --- book --------------------------------------------------------------------
$(BOOK): $(BUILD_ORDER) $(BOOK_SRC) requirements.lock $(RAW) data/codebook.yaml $(ENV_STAMP)
	rm -rf book/notebooks
	# the book's copies: no code (except listings), no parameters cell, no stderr, no local paths
	$(BIN)/hpmob book-notebooks --out book/notebooks $(EXECUTED)
	# full-resolution copies of the figures, linked from their captions ({download} copies from
	# book/notebooks/figures; galleries link to figures/ at the site root, from book/_extra)
	rm -rf book/_extra && mkdir -p book/notebooks/figures book/_extra/figures
	find results/figures -maxdepth 1 -name '*.png' -exec cp {} book/notebooks/figures/ \; \
	    -exec cp {} book/_extra/figures/ \;
	$(BIN)/hpmob provenance --out book/reproducibility.md
	$(BIN)/hpmob codebook-page --out book/codebook.md
	$(BIN)/jupyter-book build --quiet --warningiserror --nitpick --keep-going book
	touch $@

book: $(BOOK)  ## render the executed notebooks into book/_build/html

# --- browser (Debian's Chromium; Playwright drives it, nothing is downloaded) -------
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update && apt-get install -y --no-install-recommends chromium

# One PDF of the whole book: the single-page HTML build printed by Chromium, offline.
PDF := build/hpmob-book.pdf
$(PDF): $(BOOK) | $(CHROMIUM)
	$(BIN)/jupyter-book build --quiet --builder singlehtml book
	$(BIN)/hpmob book-pdf --config book/_config.yml book/_build/singlehtml/index.html $@

pdf: $(PDF)  ## the whole book as one PDF (build/hpmob-book.pdf) that a reviewer can annotate

# --- checks ----------------------------------------------------------------------
# Two test processes (pytest-xdist; --dist loadfile: a test file runs on one worker, so its
# module-scoped fixtures, a full `hpmob run` in several files, are built once), then
# nbval, which reruns the notebooks as an analyst would (interactive defaults, outputs to
# build/scratch/), one after the other in one process: each reads what the one before wrote.
# The two long ones (05: 2000 bootstrap refits, 08: the power simulation) are left to the book
# build of the same session (tests/conftest.py: built_book runs `make all`, which executes every
# notebook and fails on any error), so they are not run twice. Both runs report; either fails the target.
NBVAL_SKIP := notebooks/05-structural.ipynb notebooks/08-power.ipynb
test: $(ENV_STAMP) | $(CHROMIUM)  ## lint, unit tests and docstring examples (2 workers), nbval over notebooks/, book and browser checks
	$(MAKE) --no-print-directory lint
	status=0; \
	$(PY) -m pytest tests src/hpmob --doctest-modules -p no:cacheprovider --durations=15 -n 2 --dist loadfile \
	    || status=$$?; \
	$(PY) -m pytest notebooks --nbval-lax -p no:cacheprovider -p no:xdist --durations=5 \
	    $(addprefix --ignore=,$(NBVAL_SKIP)) || status=$$?; \
	exit $$status

# The tests marked slow (Monte Carlo size and coverage checks, the 12-specification grid on a Dask
# LocalCluster, a variant both through papermill and in process: about 2 minutes of CPU, 75 s on
# two workers) are part of `make test`; this target runs only them, e.g. after a change to the engine.
test-slow: $(ENV_STAMP)  ## only the tests marked slow (pytest -m slow, 2 workers)
	$(PY) -m pytest tests -p no:cacheprovider --durations=10 -n 2 --dist loadfile -m slow

LINT_PATHS := src tests bench
lint: $(ENV_STAMP)  ## ruff's checks ([tool.ruff] in pyproject.toml); part of `make test`
	$(BIN)/ruff check $(LINT_PATHS)

format: $(ENV_STAMP)  ## ruff's formatter and import sorting over the code (rewrites files; review the diff)
	$(BIN)/ruff check --select I --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

bench: $(ENV_STAMP)  ## one table: builds, variants, the grid, the engine vs live lavaan, validate (~17 min with R)
	$(PY) bench/bench_summary.py

bench-detail: $(ENV_STAMP)  ## the detailed benchmarks: hpmob vs lavaan, semopy, pingouin, naive loops
	@for script in bench/bench_sem.py bench/bench_invariance.py bench/bench_bootstrap.py \
	    bench/bench_reliability.py bench/bench_guards.py; do echo "== $$script"; $(PY) $$script; done

# The notebooks declare the kernel "python3" shown as "Python 3 (hpmob)": registered here in
# .venv, it replaces ipykernel's built-in spec of the same name, so Lab offers the kernel the
# notebooks ask for. Runs started in Lab write to build/scratch/ (hpmob.paths.output_root).
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/python3/kernel.json
$(KERNEL_SPEC): $(ENV_STAMP)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (hpmob)"

lab: $(KERNEL_SPEC)  ## JupyterLab on notebooks/ with the kernel the notebooks declare (works as root)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean:  ## remove everything `make all` builds (keeps .venv)
	rm -rf build book/_build book/notebooks book/_extra $(GENERATED_PAGES)
	find results/tables results/figures data/processed -type f ! -name .gitkeep -delete

distclean: clean
	rm -rf $(VENV) .tools
