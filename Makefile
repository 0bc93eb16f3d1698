# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app lxp
STAMP  := $(VENV)/.installed-stamp
CATALOGS := $(wildcard lxp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install interop run test lint migrate seed messages clean

install: $(STAMP) $(COMPILED)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("lxp needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Independent peers for the interoperability tests (the Ralph LRS, openapi-python-client), in
## a virtualenv of their own so their pins never meet lxp's; the tests skip without it (not in CI).
INTEROP       := .venv-interop
INTEROP_STAMP := $(INTEROP)/.installed-stamp
interop: $(INTEROP_STAMP)

$(INTEROP_STAMP): tests/interop-requirements.txt
	test -x $(INTEROP)/bin/python || $(PYTHON) -m venv $(INTEROP)
	$(INTEROP)/bin/python -m pip install --quiet --upgrade pip
	$(INTEROP)/bin/python -m pip install --quiet -r tests/interop-requirements.txt
	touch $(INTEROP_STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) lxp seed-demo

## Serve on http://127.0.0.1:5000 with the demo organisation loaded.
run: seed
	LXP_SCHEDULER=inline LXP_METRICS_ALLOW=127.0.0.1 $(FLASK) run --debug --host 127.0.0.1 --port 5000

## The whole suite: unit, integration and browser tests (PostgreSQL with LXP_TEST_DATABASE_URL),
## spread over one pytest-xdist worker per CPU, each with its own database; a test module stays
## on one worker (its module fixtures are built once). One file quickly, without workers:
##   make test PYTEST_ARGS="-n 0 tests/unit/test_dates.py"
## Compiled modules and the tests as pytest rewrites them are kept in .venv/pycache even where
## PYTHONDONTWRITEBYTECODE is set (the tree stays clean): otherwise every worker rewrites every
## test module again at collection (about 8 s of CPU each on the 2-core machine), and the lxp
## processes tests start (gunicorn, outbox workers) compile what they import again.
XDIST ?= -n auto --dist loadscope --no-loadscope-reorder
PYCACHE ?= $(CURDIR)/$(VENV)/pycache
test: install interop
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(PYCACHE) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

## Style and common mistakes (ruff; `ruff format .` fixes the layout), the package layers
## (import-linter's contracts in pyproject.toml), and the pinned packages against known
## vulnerabilities (pip-audit; scripts/audit_dependencies.py says how an incomplete audit ends).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/audit_dependencies.py

## Extract the strings to translate and merge them into the de and ru catalogues.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 -k _ln:1,2 --no-location --sort-output -o lxp/translations/messages.pot .
	$(BIN)/pybabel update -i lxp/translations/messages.pot -d lxp/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(INTEROP) instance .pytest_cache
