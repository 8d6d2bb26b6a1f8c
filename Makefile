# sopflow: `make run` serves the demo, `make test` runs the whole suite. Both set everything up first.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NPM := node_modules/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

help:
	@echo "make run       set up (venv, deps, npm ci, static, migrations, demo) and serve http://127.0.0.1:8000"
	@echo "make test      set up and run the whole suite (unit, Django, browser) on SQLite"
	@echo "make test-pg   the suite against PostgreSQL (DATABASE_URL, default a throwaway local db)"
	@echo "make check     ruff, mypy (strict parts), import contracts, translations, deploy check, migrations check"
	@echo "make fmt       format with ruff"

$(PY):
	@PYBIN=$$(tools/find_python.sh) || exit 1; echo "using $$PYBIN"; "$$PYBIN" -m venv $(VENV)

$(STAMP_PY): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMP_NPM): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (apt-get install nodejs npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP_PY) $(STAMP_NPM)
	$(PY) manage.py vendor_static
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@if [ ! -d sopflow/locale ]; then :; \
	 elif command -v msgfmt >/dev/null; then cd sopflow && ../$(PY) ../manage.py compilemessages --verbosity 0; \
	 else echo "msgfmt not found (apt-get install gettext): the English interface will fall back to Chinese"; fi

run: setup
	$(PY) manage.py serve

browsers:
	@if [ -x /usr/bin/chromium ]; then :; \
	 elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	   echo "installing Debian chromium for the browser tests"; \
	   (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) >/dev/null; \
	 else echo "!!! /usr/bin/chromium is missing and cannot be installed here: browser tests will be SKIPPED !!!"; fi

test: setup browsers
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-pg: setup
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sopflow_ci} \
	  $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

check: setup
	$(VENV)/bin/ruff check .
	tools/typecheck.sh
	$(VENV)/bin/lint-imports
	$(PY) tools/check_translations.py
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') ALLOWED_HOSTS=example.com EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
	  $(PY) manage.py check --deploy --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

fmt: $(STAMP_PY)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: help setup run browsers test test-pg check fmt
