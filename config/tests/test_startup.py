"""Start-up as an operator meets it: real processes with a real environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from undersigned.testing import ROOT, production_environment


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_passes_with_the_documented_variables(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATA_KEYS", "SITE_URL"])
def test_production_refuses_to_start_without_a_required_variable(tmp_path, missing):
    env = production_environment(tmp_path)
    del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "perhaps"),
        ("DATABASE_URL", "mysql://db/x"),
        ("DATABASE_REPLICA_URLS", "postgres://replica/undersigned"),  # beside an SQLite primary
        ("REDIS_URL", "localhost:6379"),
        ("DATA_KEYS", "abc"),
        ("FRAUD_HOLD_SCORE", "high"),
        ("GEOIP_DATABASE", "/nowhere/countries.mmdb"),
        ("LOG_FORMAT", "xml"),
        ("METRICS_ALLOWED_NETWORKS", "10.0.0.300/8"),
        ("METRICS_TOKEN", "too-short"),
        ("PROMETHEUS_MULTIPROC_DIR", "/nowhere/metrics"),
        ("MAIL_LEASE_SECONDS", "30"),  # shorter than a slow mail server can take
        ("MAIL_LEASE_SECONDS", "3600"),  # longer than the task sweep's limits assume
    ],
)
def test_a_malformed_variable_stops_start_up_with_its_name(tmp_path, variable, value):
    env = {**production_environment(tmp_path), variable: value}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_production_behind_a_proxy_refuses_to_start_without_trusted_proxies(tmp_path):
    env = {**production_environment(tmp_path), "BEHIND_TLS_PROXY": "true"}
    env.pop("TRUSTED_PROXIES", None)
    refused = manage("check", env=env)
    assert refused.returncode != 0
    assert "TRUSTED_PROXIES" in refused.stderr and "Traceback" not in refused.stderr

    started = manage("check", "--deploy", "--fail-level", "WARNING", env={**env, "TRUSTED_PROXIES": "10.0.0.0/8"})
    assert started.returncode == 0, started.stdout + started.stderr


def test_development_starts_without_secrets(tmp_path):
    env = production_environment(tmp_path)
    for name in ("SECRET_KEY", "DATA_KEYS", "SITE_URL"):
        del env[name]
    env["DEBUG"] = "true"
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_models_and_migrations_agree(tmp_path):
    result = manage("makemigrations", "--check", "--dry-run", env=production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def settings_value(expression: str, env: dict[str, str]) -> str:
    script = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_redis_url_selects_the_shared_redis_cache(tmp_path):
    env = production_environment(tmp_path)
    assert settings_value("settings.CACHES['default']['BACKEND']", env).endswith("RedisCache")
    del env["REDIS_URL"]
    assert settings_value("settings.CACHES['default']['BACKEND']", env).endswith("LocMemCache")


def test_debug_is_off_unless_set(tmp_path):
    env = production_environment(tmp_path)
    del env["DEBUG"]
    assert settings_value("settings.DEBUG", env) == "False"
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_an_unusable_var_dir_stops_start_up_with_its_name(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {**production_environment(tmp_path), "VAR_DIR": str(blocker / "var")}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "VAR_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_over_tls_cookies_are_secure_and_http_only_and_hsts_is_on(tmp_path):
    env = production_environment(tmp_path)
    assert env["SITE_URL"].startswith("https://")
    names = ["SESSION_COOKIE", "CSRF_COOKIE", "LANGUAGE_COOKIE"]
    flags = settings_value(
        "[getattr(settings, name + suffix) for name in " + repr(names) + " for suffix in ('_SECURE', '_HTTPONLY')]",
        env,
    )
    assert flags == str([True] * 6)
    assert int(settings_value("settings.SECURE_HSTS_SECONDS", env)) >= 31536000
    assert settings_value("settings.SECURE_SSL_REDIRECT", env) == "True"


@pytest.mark.parametrize(("debug", "expected"), [("false", "json"), ("true", "text")])
def test_logs_are_json_lines_in_production_and_text_in_development(tmp_path, debug, expected):
    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    result = manage("shell", "-c", code, env={**production_environment(tmp_path), "DEBUG": debug})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
