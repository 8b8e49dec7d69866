# The two commands: `make demo` (build, verify and run the bundled example) and
# `make test` (pytest with the end-to-end tests on a real engine, ruff, mypy).
# Both install what they need (scripts/setup-host), start a Docker daemon when
# none answers (scripts/dockerd-up), `make test` also the test registry on
# 127.0.0.1 (scripts/registry-up), and are idempotent.
VENV ?= .venv
PY := $(VENV)/bin/python
SHELL := /bin/bash

.PHONY: venv checkov test demo lint-code bench clean base

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# wheels of restybuild and its dependencies, so the pre-commit hook test installs offline
	$(PY) -m pip wheel -q --no-build-isolation -w $(VENV)/wheelhouse . hatchling
	touch $@

# checkov in its own venv: it pins packaging<24, which pytest and hatchling outgrew
CHECKOV_VENV ?= .venv-checkov
checkov: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed:
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov>=3.2,<4'
	touch $@

base: venv
	scripts/setup-host
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(VENV)/bin/restybuild base bootstrap debian-bookworm

test: venv checkov base
	export DOCKER_HOST=$$(scripts/dockerd-up) RESTYBUILD_TEST_REGISTRY=$$(scripts/registry-up) && \
		RESTYBUILD_CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q
	$(VENV)/bin/ruff check restybuild tests bench
	$(VENV)/bin/mypy

demo: venv base
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) examples/demo/demo.py

bench: venv base
	$(PY) bench/bench_plan.py
	$(PY) bench/bench_lint.py
	$(PY) bench/bench_luatable.py
	$(PY) bench/bench_fuzz.py
	$(PY) bench/bench_elf.py
	$(PY) bench/bench_elf_fuzz.py
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) bench/bench_image.py
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) bench/bench_apps.py
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) bench/bench_contract.py
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) bench/bench_interrupt.py
	export DOCKER_HOST=$$(scripts/dockerd-up) && $(PY) bench/bench_fleet.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) examples/demo/build dist .pytest_cache .mypy_cache
