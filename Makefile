# The two commands of the README. Each creates .venv when missing and installs everything:
# the service, its test tools, the SDK's distribution (client/), and every vendor plugin
# distribution under plugins/.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/setup.cfg)
STAMP  := $(VENV)/.installed

CLUSTER_VENV ?= .cluster/venv
# Workers for the test suite (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 4

.PHONY: run test install lint format clean cluster

run: $(STAMP)
	$(BIN)/payment-service serve --with-fakes

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

install: $(STAMP)

# The production topology on this machine (deploy/cluster.py): nginx on 127.0.0.1:8080 in front
# of two API instances, one webhook sender, one housekeeper and the fakes, from wheels built from
# this checkout into their own venv. Needs PostgreSQL in PAYMENT_DATABASE_URL and nginx; a role that
# cannot start stops everything with its name; Ctrl-C stops everything.
cluster: $(STAMP)
	$(BIN)/python deploy/cluster.py --check
	$(BIN)/python deploy/wheels.py $(CLUSTER_VENV)
	$(CLUSTER_VENV)/bin/python deploy/cluster.py

$(STAMP): setup.cfg pyproject.toml client/setup.cfg $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e './client[async]' $(foreach p,$(PLUGINS),-e ./$(dir $(p)))
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cluster .pytest_cache .ruff_cache *.egg-info
