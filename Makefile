# KAM Analysis: `make run` starts the app on the demo data, `make test` runs every test.
# Both set everything up on a fresh machine with Python 3.11+.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test lint bench browser-deps java-deps messages clean spark

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt $(VENV)/.spark
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The optional Spark import (docs/spark.md): pyspark and SQLGlot; Spark itself needs Java 17.
$(VENV)/.spark: $(VENV)/.runtime requirements-spark.txt
	$(PY) -m pip install --quiet -r requirements-spark.txt
	touch $@

spark: $(VENV)/.spark

run: $(VENV)/.runtime
	$(PY) -m kam_analysis demo --if-empty
	$(PY) -m streamlit run app.py --server.address localhost --server.port $(PORT)

# Java 17 for the Spark tests (a local Spark starts a JVM).
java-deps:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  fi; \
	fi

# Debian's Chromium for the end-to-end browser test (Playwright cannot download browsers here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; \
	fi

lint: $(VENV)/.dev
	$(PY) -m ruff check .

test: $(VENV)/.dev browser-deps java-deps lint
	$(PY) -m pytest

# Extract every text into the template and merge it into each language's catalogue
# (new texts arrive untranslated; tests/test_i18n.py says which are missing).
LOCALE_DIR := kam_analysis/locale
messages: $(VENV)/.dev
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k t -k tn:1,2 -k N_ --add-location=file \
	  --sort-by-file --project="KAM Analysis" -c "TRANSLATORS:" \
	  --ignore-dirs=".venv tests benchmarks" -o $(LOCALE_DIR)/kam_analysis.pot .
	$(VENV)/bin/pybabel -q update -i $(LOCALE_DIR)/kam_analysis.pot -d $(LOCALE_DIR) \
	  -D kam_analysis --no-fuzzy-matching --ignore-obsolete

bench: $(VENV)/.dev
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_pages.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
