from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.environment import (
    ConfigurationError,
    env_bool,
    env_secret,
    parse_data_keys,
    parse_database_url,
    parse_email_url,
    parse_metrics_token,
    parse_redis_url,
    parse_replica_urls,
    parse_secret_key,
    parse_site_url,
)


def key(length: int = 32) -> str:
    return base64.urlsafe_b64encode(bytes(range(length))).decode()


def test_data_keys_keep_their_order_so_the_first_is_used_for_new_data():
    first, second = key(), key(40)
    assert parse_data_keys("DATA_KEYS", f"{first}, {second}") == [
        base64.urlsafe_b64decode(first),
        base64.urlsafe_b64decode(second),
    ]


def test_data_keys_accept_base64_without_padding():
    assert len(parse_data_keys("DATA_KEYS", key(33).rstrip("="))[0]) == 33


@pytest.mark.parametrize("value", ["short", key(16), f"{key()},not base64!", ","])
def test_weak_or_malformed_data_keys_are_refused_by_name(value):
    with pytest.raises(ConfigurationError, match="DATA_KEYS"):
        parse_data_keys("DATA_KEYS", value)


@given(st.text())
def test_data_key_parser_either_accepts_or_names_the_variable(value):
    try:
        keys = parse_data_keys("DATA_KEYS", value)
    except ConfigurationError as error:
        assert "DATA_KEYS" in str(error)
    else:
        assert keys and all(len(one) >= 32 for one in keys)


def test_short_secret_key_is_refused():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        parse_secret_key("SECRET_KEY", "a" * 60)


@pytest.mark.parametrize("value", ["maybe", "2", "tru"])
def test_booleans_must_be_spelled_out(monkeypatch, value):
    monkeypatch.setenv("DEBUG", value)
    with pytest.raises(ConfigurationError, match="DEBUG"):
        env_bool("DEBUG", False)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("Off", False), ("", False)])
def test_booleans(monkeypatch, value, expected):
    monkeypatch.setenv("DEBUG", value)
    assert env_bool("DEBUG", False) is expected


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret_file))
    assert env_secret("SECRET_KEY") == "from-a-file"


def test_a_secret_file_that_cannot_be_read_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FILE"):
        env_secret("SECRET_KEY")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://statements.example.org/", "https://statements.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_site_url_is_normalised_to_its_root(value, expected):
    assert parse_site_url("SITE_URL", value) == expected


@pytest.mark.parametrize(
    "value", ["statements.example.org", "ftp://example.org", "https://example.org/path", "https://"]
)
def test_site_url_must_be_a_root_web_address(value):
    with pytest.raises(ConfigurationError, match="SITE_URL"):
        parse_site_url("SITE_URL", value)


def test_postgres_database_url():
    config = parse_database_url("DATABASE_URL", "postgres://user:pw@db.internal:5433/undersigned", sqlite_default="x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "undersigned")


@pytest.mark.parametrize("value", ["mysql://db/x", "postgres://db.internal:notaport/x", "nonsense", "postgres://host"])
def test_unusable_database_urls_are_refused_by_name(value):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", value, sqlite_default="x")


PRIMARY = parse_database_url("DATABASE_URL", "postgres://app@db.internal/undersigned", sqlite_default="x")


def test_replica_urls_are_parsed_like_the_database_url():
    replicas = parse_replica_urls(
        "DATABASE_REPLICA_URLS",
        " postgres://app@replica-a/undersigned , postgres://app@replica-b:5433/undersigned",
        primary=PRIMARY,
    )
    assert [(r["HOST"], r["PORT"], r["NAME"]) for r in replicas] == [
        ("replica-a", "", "undersigned"),
        ("replica-b", 5433, "undersigned"),
    ]
    assert parse_replica_urls("DATABASE_REPLICA_URLS", "", primary=PRIMARY) == []


@pytest.mark.parametrize(
    ("value", "primary", "message"),
    [
        (
            "postgres://replica/x",
            parse_database_url("DATABASE_URL", "sqlite:///x.db", sqlite_default="x"),
            "PostgreSQL",
        ),
        ("sqlite:///copy.db", PRIMARY, "replica 1 must start with postgres://"),
        ("postgres://replica/x,postgres://replica", PRIMARY, "replica 2"),
    ],
)
def test_unusable_replica_urls_are_refused_by_name(value, primary, message):
    with pytest.raises(ConfigurationError, match="DATABASE_REPLICA_URLS") as refused:
        parse_replica_urls("DATABASE_REPLICA_URLS", value, primary=primary)
    assert message in str(refused.value)


def test_redis_url_must_be_redis():
    assert parse_redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        parse_redis_url("REDIS_URL", "http://127.0.0.1:6379")


def test_email_url_with_starttls_and_credentials():
    config = parse_email_url("EMAIL_URL", "smtp://mailer:p%40ss@mail.example.org:587?tls=true")
    assert config["EMAIL_HOST"] == "mail.example.org"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "mailer"
    assert config["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_USE_SSL"] is False


def test_smtps_uses_implicit_tls_on_465():
    config = parse_email_url("EMAIL_URL", "smtps://mail.example.org")
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"]) == (465, True)


@pytest.mark.parametrize(
    "value", ["mail.example.org", "http://mail.example.org", "smtp://mail:port", "smtps://h?tls=1"]
)
def test_unusable_email_urls_are_refused_by_name(value):
    with pytest.raises(ConfigurationError, match="EMAIL_URL"):
        parse_email_url("EMAIL_URL", value)


@pytest.mark.parametrize(
    "value", ["redis://127.0.0.1:notaport/0", "redis://127.0.0.1:6379/zero", "redis://:6379/0", "redis://h:0/1"]
)
def test_malformed_redis_urls_are_refused_by_name(value):
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        parse_redis_url("REDIS_URL", value)


@pytest.mark.parametrize("value", ["smtp://mail.example.org?tls=perhaps", "smtp://mail.example.org?ssl=true"])
def test_email_url_options_must_be_understood(value):
    with pytest.raises(ConfigurationError, match="EMAIL_URL"):
        parse_email_url("EMAIL_URL", value)


def test_a_list_that_lists_nothing_is_refused(monkeypatch):
    from config.environment import env_list

    monkeypatch.setenv("ALLOWED_HOSTS", " , ,")
    with pytest.raises(ConfigurationError, match="ALLOWED_HOSTS"):
        env_list("ALLOWED_HOSTS", ["default"])


def test_a_metrics_token_is_long_and_fits_in_a_header():
    token = "0123456789abcdefghijklmnopqrstuvwxyz"
    assert parse_metrics_token("METRICS_TOKEN", token) == token
    for weak in ("short", "a" * 31, token + " and spaces", token + "\u00e9"):
        with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
            parse_metrics_token("METRICS_TOKEN", weak)
