# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
SANDBOX_PORT ?= 5000
INVENTORY   ?= inventories/sandbox
ENV_SUFFIX  ?= sandbox
COLL_LINK   := .collections/ansible_collections/netsec/aws_peering
STAMP       := $(VENV)/.installed

# The sandbox talks only to the emulator on loopback, signed with the key of the
# automation principal the sandbox bootstraps (IAM is enforced there); any key,
# profile or token from the caller's shell is dropped so nothing can reach real AWS.
SANDBOX_ENV := env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
	-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	$$(SANDBOX_PORT=$(SANDBOX_PORT) scripts/sandbox.sh env) PATH=$(abspath $(BIN)):$$PATH

.PHONY: help install run destroy sandbox-start sandbox-stop test lint sanity unit molecule build bench clean

help:
	@echo "make run           install, start the emulated two-account sandbox, run site.yml, print outputs"
	@echo "make test          install, then lint, sanity, unit, molecule, integration (AWX, reliability), policy coverage"
	@echo "make destroy       tear down everything site.yml built in the sandbox"
	@echo "make sandbox-stop  stop the emulator"
	@echo "make build         build the collection tarball"
	@echo "make bench         converge, no-op and --check costs as ratios to 60 stock module runs (quiet machine)"

install: $(STAMP) $(COLL_LINK)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

# The repo root is the collection; ansible finds it through this link
# (ansible.cfg points collections_path at .collections).
$(COLL_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn ../../.. $@

sandbox-start: install
	@SANDBOX_PORT=$(SANDBOX_PORT) SANDBOX_INVENTORY=$(INVENTORY) VENV=$(VENV) scripts/sandbox.sh start

sandbox-stop:
	@SANDBOX_PORT=$(SANDBOX_PORT) VENV=$(VENV) scripts/sandbox.sh stop

run: sandbox-start
	$(SANDBOX_ENV) $(BIN)/ansible-playbook site.yml -i $(INVENTORY)
	@echo "== outputs/$(ENV_SUFFIX).json"
	@$(PY) -m json.tool outputs/$(ENV_SUFFIX).json

destroy: sandbox-start
	$(SANDBOX_ENV) $(BIN)/ansible-playbook playbooks/teardown.yml -i $(INVENTORY)

test: install
	@bash scripts/test.sh

lint: install
	@bash scripts/test.sh lint

sanity: install
	@bash scripts/test.sh sanity

unit: install
	@bash scripts/test.sh unit

molecule: install
	@bash scripts/test.sh molecule

build: install
	$(BIN)/ansible-galaxy collection build --force --output-path .build

bench: install
	$(PY) scripts/bench.py

clean:
	rm -rf .build .collections .pytest_cache
