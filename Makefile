.PHONY: run test lint bench

# Run the service locally: SQLite, local-memory cache, in-process Banesco sandbox, demo users,
# the dev server and a verification worker (Ctrl-C stops both).
run:
	./scripts/venv.sh requirements/dev.txt
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py seed_demo
	./scripts/run-dev.sh

# Run the whole test suite on the real PostgreSQL (and Redis) on 127.0.0.1.
# Also installs headless Chromium (Debian packages) for the browser tests when missing.
test:
	./scripts/venv.sh requirements/dev.txt
	./scripts/ensure-services.sh
	./scripts/ensure-browser.sh
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench:
	./scripts/venv.sh requirements/dev.txt
	./scripts/ensure-services.sh
	./scripts/ensure-bench-tools.sh
	.venv/bin/python -m bench $(BENCH_ARGS)
