# The README's two commands for a fresh Debian machine: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: bootstrap demo test test-fast bench serve

bootstrap:
	@scripts/bootstrap

demo: bootstrap
	$(VENV)/bin/kiosk demo

test: bootstrap
	$(PY) -m pytest

test-fast: bootstrap
	$(PY) -m pytest -m "not slow"

bench: bootstrap
	$(PY) -m bench

# Production: set KIOSK_ENV=production, SECRET_KEY and DATABASE_URL first.
serve: bootstrap
	$(VENV)/bin/kiosk db upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app
