# The two commands of the quick start are `make demo` and `make test`; the rest is for developers.
.PHONY: demo test stack storm lint fmt typecheck security messages bench ci

demo:  ## install, migrate, load demo data, serve on http://127.0.0.1:8000 (SQLite)
	scripts/demo

test:  ## the whole suite: SQLite, PostgreSQL and the browser
	scripts/test $(ARGS)

stack:  ## PostgreSQL, Redis, nginx in front of two app servers, workers and an SMTP sink, on loopback
	scripts/stack

lint:
	scripts/uv run ruff check .
	scripts/uv run ruff format --check .

fmt:
	scripts/uv run ruff format .
	scripts/uv run ruff check --fix .

typecheck:
	scripts/uv run mypy .

security:  ## known vulnerabilities in the locked dependencies (pip-audit) and in the code (bandit)
	scripts/security_checks.sh

messages:  ## refresh the gettext catalogues after changing user-facing strings (needs gettext)
	DEBUG=true scripts/uv run python manage.py makemessages -l es -l fr -l ar -l fa -l tl -l tr -l uk --ignore=.venv --ignore=var --ignore=.tools --no-obsolete

bench:
	scripts/uv run python benchmarks/run.py

storm:  ## requests/s of the statement page through nginx's cache beside a static file (wrk)
	scripts/uv run python benchmarks/storm.py

ci:
	.ci/run
