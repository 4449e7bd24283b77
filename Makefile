# The two commands of the README's quick start, each bootstrapping .venv from nothing.
# `make demo` installs only the package and its demo extra; `make test` adds the tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test test-fast soak mutations cli-compare lint typecheck pytest docs bench bench-quota bench-by-user bench-mirror bench-readers dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[demo]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP) $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python examples/quickstart.py

test: lint typecheck docs pytest

# The inner loop: the tests that start no server and no process (no coverage gate).
test-fast: $(STAMP)
	$(BIN)/pytest -n 4 -m "not slow" -q --no-cov -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/pyright

# Break the code on purpose, one change at a time (tests/mutations.py); about five minutes.
mutations: $(STAMP)
	$(BIN)/python tests/mutations.py

# Four workers (pytest-xdist): most tests wait on loopback servers, so four beat two cores.
# The random kill trials run a few seeds here; `make soak` runs the others.
pytest: $(STAMP)
	$(BIN)/pytest -n 4 -m "not soak"

# The seeds of the random kill trials that `make test` leaves out, and the loopback check that
# another caller keeps its share (a phase can decide it; its simulated twin is in `make test`).
soak: $(STAMP)
	$(BIN)/pytest -n 4 -m soak --no-cov

# The command line's output on a fixed set of commands against another revision's, byte for
# byte (tests/cli_outputs.py): make cli-compare REV=<revision>. Exit 1 if any command differs.
cli-compare: $(STAMP)
	@test -n "$(REV)" || { echo "usage: make cli-compare REV=<revision>"; exit 2; }
	d=$$(mktemp -d) && git clone -q . "$$d/before" && git -C "$$d/before" checkout -q "$(REV)" && \
	$(BIN)/python -m tests.cli_outputs record "$$d/before" "$$d/before.json" && \
	$(BIN)/python -m tests.cli_outputs record . "$$d/after.json" && \
	$(BIN)/python -m tests.cli_outputs compare "$$d/before.json" "$$d/after.json"; \
	rc=$$?; rm -rf "$$d"; exit $$rc

# The documentation site, warnings as errors (its code blocks run in tests/test_docs.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

# Speed and memory against raw boto3, in one run (not part of the tests; its time is in the results);
# writes benchmarks/results.json and the results of docs/performance.md generated from it.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

# Every group within the account's quotas, alone and shared with another caller, against raw
# boto3, on a loopback Cognito (about 25 minutes, 3 rounds; its time is in the results); writes
# benchmarks/quota-results.json, and the tables of docs/performance.md and docs/quota-chart.svg
# generated from it (`$(BIN)/python benchmarks/quota.py --redraw`: those two again from the
# results file, measuring nothing).
bench-quota: $(STAMP)
	$(BIN)/python benchmarks/quota.py

# The peak memory of `export --by-user` against the plain export, 200,000 users (about 2 minutes);
# writes benchmarks/by-user-results.json and the table of docs/performance.md generated from it.
bench-by-user: $(STAMP)
	$(BIN)/python benchmarks/by_user.py

# cognito-groups sync against export: wall time under the quota, peak memory on 200,000
# memberships, and the final diff with 1% changed (about 3 minutes); writes
# benchmarks/mirror-results.json and the section of docs/performance.md generated from it.
bench-mirror: $(STAMP)
	$(BIN)/python benchmarks/mirror.py

# The mirror's readers: groups_of and members latency from 8 threads sharing one Mirror, with
# syncs completing meanwhile and without, against sqlite3 alone (about a minute); writes
# benchmarks/readers-results.json and the section of docs/performance.md generated from it.
bench-readers: $(STAMP)
	$(BIN)/python benchmarks/mirror_readers.py

# A wheel and an sdist in dist/, built in isolation and checked for PyPI.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) site .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov build dist
