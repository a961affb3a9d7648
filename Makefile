# Every target works from a fresh clone with only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-pythons lint typecheck typecheck-usage check-generated regenerate check-unasync unasync demo bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,testing]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check claude_client tests scripts examples benchmarks
	$(BIN)/ruff format --check claude_client

typecheck: install
	$(BIN)/mypy --strict claude_client

# The public API as a user's strict project sees it: tests/typing/usage_check.py under
# mypy --strict (a stale `type: ignore` fails) and pyright strict ([tool.pyright] in
# pyproject.toml; a stale `pyright: ignore` fails); the quickstart under mypy --strict.
typecheck-usage: install
	$(BIN)/mypy --strict --warn-unused-ignores tests/typing/usage_check.py examples/quickstart.py
	$(BIN)/pyright --pythonpath $(BIN)/python tests/typing/usage_check.py

check-generated: install
	scripts/regenerate.sh --check

regenerate: install
	scripts/regenerate.sh

# The sync client is generated from the async source (scripts/unasync.py); --check
# fails when claude_client/_sync/ is stale or was edited by hand.
check-unasync: install
	$(BIN)/python scripts/unasync.py --check

unasync: install
	$(BIN)/python scripts/unasync.py

test: lint typecheck typecheck-usage check-generated check-unasync
	$(BIN)/python -m pytest -q

# The suite (pytest only) on each of PYTHONS, in its own venv (.venv-3.12, ...). An
# interpreter that is not found prints "SKIPPED pythonX.Y: not found" and is not a
# failure; PYTHON312=/path/to/python3.12 (etc.) picks one. See scripts/test_pythons.sh.
PYTHONS ?= 3.11 3.12 3.13
test-pythons:
	scripts/test_pythons.sh $(PYTHONS)

# The quickstart against the embedded fake service (or a real one when CLAUDE_API_URL
# and CLAUDE_API_KEY are set): complete, stream, agentic_task, batch, usage, health.
# Then one command-line call: `claude-client fake` in the background, `complete` on it.
demo: install
	$(BIN)/python examples/quickstart.py
	@echo; echo "== the command line (claude-client) ============================"
	@if [ -n "$$CLAUDE_API_URL" ] && [ -n "$$CLAUDE_API_KEY" ]; then \
	  echo '$$ claude-client complete "Explain recursion in one sentence"'; \
	  $(BIN)/claude-client complete "Explain recursion in one sentence"; \
	else \
	  $(BIN)/claude-client fake --port 0 > $(VENV)/demo-fake.txt & pid=$$!; \
	  trap "kill $$pid 2>/dev/null" EXIT; \
	  for i in $$(seq 200); do grep -q '^export' $(VENV)/demo-fake.txt 2>/dev/null && break; sleep 0.05; done; \
	  eval "$$(grep '^export' $(VENV)/demo-fake.txt)"; \
	  echo '$$ claude-client fake &    # the embedded fake; prints its URL and key'; \
	  echo '$$ claude-client complete "Explain recursion in one sentence"'; \
	  $(BIN)/claude-client complete "Explain recursion in one sentence"; \
	fi

# Not part of `make test`: timings are never asserted, only reported (table + results.json).
bench: install
	$(BIN)/python benchmarks/run.py

# The reliability fuzz tests with the deep hypothesis profile (1000 examples per test,
# randomized); `make test` runs them with 25 derandomized examples.
fuzz: install
	CLAUDE_FUZZ=deep $(BIN)/python -m pytest -q tests/reliability/test_reliability_fuzz.py

clean:
	rm -rf $(VENV) .venv-3.* build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
