# Two commands matter: `make run` (chat with the bot; starts Discord/Telegram when tokens are set)
# and `make test` (the whole suite). Both create .venv on first use; only python3 is assumed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run chat test lint bench bench-quick clean i18n-extract i18n-update i18n-compile

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/fanbot run

chat: $(STAMP)
	$(VENV)/bin/fanbot chat

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

# Catalogues (README "Languages"): extract the English msgids into bot/locale/fanbot.pot,
# merge them into each language's .po, compile the .po files to .mo (fanbot compiles a missing
# or stale .mo in memory at start, so a fresh clone runs without this step).
LOCALES := bot/locale
i18n-extract: $(STAMP)
	PYTHONPATH=. $(PY) -m babel.messages.frontend extract -F babel.cfg --no-location -k P_:1c,2 \
	  --sort-output --project fanbot -o $(LOCALES)/fanbot.pot bot adapters

i18n-update: i18n-extract
	$(PY) -m babel.messages.frontend update -i $(LOCALES)/fanbot.pot -d $(LOCALES) -D fanbot \
	  --no-fuzzy-matching --ignore-obsolete

i18n-compile: $(STAMP)
	$(PY) -m babel.messages.frontend compile -d $(LOCALES) -D fanbot --statistics

# Every benchmark (≤ 25 minutes; synthetic stores are built once into data/bench-cache), into
# bench/results/latest.md and latest.json; then the README's tables are copied from them.
bench: $(STAMP)
	$(PY) -m bench.run_all
	$(PY) -m bench.readme_table

# Every benchmark at a tenth of the size, into bench/results/quick.md (not committed).
bench-quick: $(STAMP)
	BENCH_SCALE=0.1 $(PY) -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
