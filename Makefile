# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Each creates .venv and installs okrsync from pyproject.toml first; nothing else is needed.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PG_CLUSTER = pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

.PHONY: install test test-sqlite test-postgresql postgres chromium lint demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -c "import okrsync, prefect, jira, github, googleapiclient"
	touch $@

lint: install
	$(BIN)/lint-imports

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(PG_CLUSTER)
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

chromium:  # the HTML report is checked in a real headless browser
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test-sqlite: install chromium
	$(BIN)/pytest --backend sqlite

test-postgresql: install postgres chromium
	$(BIN)/pytest --backend postgresql

test: lint test-sqlite test-postgresql

demo: install
	PREFECT_HOME=$(CURDIR)/.prefect $(BIN)/okrsync demo --dir .demo

clean:
	rm -rf $(VENV) .demo .pytest_cache
