# Quick start: `make demo` (install, generate demo data, build and publish), then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(VENV)/bin/dbt
RAW_DIR ?= $(or $(LEVEKAR_RAW_DIR),data/raw)

.PHONY: install demo demo-data build publish test lint pytest clean export release-diff docs

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

## Generate the national demo data (15 years) into data/raw, then build and publish.
demo: install demo-data
	LEVEKAR_RAW_DIR=data/raw $(PY) scripts/levekar.py build

demo-data: install
	$(PY) scripts/generate_demo_data.py --out data/raw

## Build and publish from the raw files in LEVEKAR_RAW_DIR (real data); generates nothing.
build: install
	LEVEKAR_RAW_DIR=$(RAW_DIR) $(PY) scripts/levekar.py build

publish: install
	$(PY) scripts/levekar.py publish

## Every test: Python unit tests, the pipeline with all dbt tests on generated data, and the SQL linter.
test: install pytest lint

pytest: install
	$(PY) -m pytest tests/python

lint: install
	mkdir -p build
	$(VENV)/bin/sqlfluff lint models tests/dbt

## Statistics-bank export (CSV + Parquet per indicator) from the public database into publish/export.
export: install
	$(PY) scripts/export_statbank.py

## Markdown report of what changed since the previous release: make release-diff PREVIOUS=path/to/old.duckdb
release-diff: install
	@test -n "$(PREVIOUS)" || { echo "usage: make release-diff PREVIOUS=path/to/previous/levekar.duckdb"; exit 2; }
	$(PY) scripts/release_diff.py --previous $(PREVIOUS) --out publish/release_diff.md

## dbt docs as one self-contained page (needs a build: make demo first); open target/static_index.html.
docs: install
	$(DBT) docs generate --static --profiles-dir . --project-dir .
	@echo "open target/static_index.html in a browser (no server or network needed)"

clean:
	rm -rf build publish target logs

## Serve the read-only API over the public database (LEVEKAR_PUBLIC_DB) on LEVEKAR_API_HOST:LEVEKAR_API_PORT
## [127.0.0.1:8000]; see README, Publishing > API.
.PHONY: api
api: install
	$(PY) scripts/api.py

## Static HTML zone profiles (one page per kommune with zones) from the public database into publish/profiles.
.PHONY: profiles
profiles: install
	$(PY) scripts/zone_profiles.py
