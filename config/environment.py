"""Strict parsers for settings read from the environment.

Every parser names the variable it reads in its error, so a misconfigured deployment stops at
start-up with one line that says what to fix. Secrets may also come from a file named by
``<NAME>_FILE`` (container secrets, systemd credentials), never from a literal in the code.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


class ConfigurationError(Exception):
    """A setting read from the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ConfigurationError(f"{name} is set but lists nothing")
    return items


def env_secret(name: str) -> str | None:
    """The secret in ``name``, or in the file that ``<name>_FILE`` points to."""
    value = env_str(name)
    path = env_str(f"{name}_FILE")
    if value is not None and path is not None:
        raise ConfigurationError(f"set either {name} or {name}_FILE, not both")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as secret_file:
                value = secret_file.read().strip()
        except OSError as error:
            raise ConfigurationError(f"{name}_FILE cannot be read: {error.strerror}") from None
        if not value:
            raise ConfigurationError(f"{name}_FILE names an empty file")
    return value


def parse_secret_key(name: str, value: str) -> str:
    # Django's own deploy check asks for 50 characters with 5 distinct ones; refuse less at start-up
    # rather than let a weak key sign sessions and confirmation links.
    if len(value) < 50 or len(set(value)) < 5:
        raise ConfigurationError(f"{name} must be at least 50 random characters")
    return value


def parse_data_keys(name: str, value: str) -> list[bytes]:
    """Comma-separated base64 keys of at least 32 bytes each; the first one is used for new data.

    Older keys stay in the list after a rotation so that what they protected can still be checked.
    """
    keys: list[bytes] = []
    for position, item in enumerate(value.split(","), start=1):
        encoded = item.strip()
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"{name}: key {position} is not base64") from None
        if len(key) < 32:
            raise ConfigurationError(f"{name}: key {position} must decode to at least 32 bytes")
        keys.append(key)
    if not keys:
        raise ConfigurationError(f"{name} must hold at least one key")
    return keys


def parse_site_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(f"{name} must be an http:// or https:// address, not {value!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ConfigurationError(f"{name} must be the site's root address, without a path")
    return f"{parts.scheme}://{parts.netloc}"


def parse_database_url(name: str, value: str, *, sqlite_default: str) -> dict[str, object]:
    import dj_database_url

    scheme = urlsplit(value).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigurationError(f"{name} must start with sqlite:// or postgres://, not {scheme!r}")
    try:
        config: dict[str, object] = dict(dj_database_url.parse(value))
    except ValueError as error:
        raise ConfigurationError(f"{name} is malformed: {error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3" and config.get("NAME") in {"", None}:
        config["NAME"] = sqlite_default
    if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ConfigurationError(f"{name} must name a database")
    return config


def parse_replica_urls(name: str, value: str, *, primary: dict[str, object]) -> list[dict[str, object]]:
    """Comma-separated ``postgres://`` URLs of streaming replicas of the primary ``DATABASE_URL``.

    Replicas only make sense beside a PostgreSQL primary: a replica of SQLite does not exist. A
    comma inside a password must be written ``%2C``.
    """
    urls = [part.strip() for part in value.split(",") if part.strip()]
    if urls and primary["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigurationError(f"{name} needs a PostgreSQL DATABASE_URL (replicas of SQLite do not exist)")
    replicas = []
    for number, url in enumerate(urls, start=1):
        if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
            raise ConfigurationError(f"{name}: replica {number} must start with postgres://")
        replicas.append(parse_database_url(f"{name} (replica {number})", url, sqlite_default=""))
    return replicas


def parse_networks(name: str, values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Addresses or networks (CIDR) of the proxies in front of the site."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ConfigurationError(f"{name}: {value!r} is not an address or a network like 10.0.0.0/8") from None
    return networks


def parse_log_key(name: str, value: str) -> str:
    """The transparency log's signing keys, as ``manage.py create_log_key`` writes them (the
    format of Go's golang.org/x/mod/sumdb/note): ``PRIVATE+KEY+<origin>+<key id>+<key>``, comma
    separated; the first is the log's own, others sign beside it during a rotation."""
    from undersigned.ledger.tlog import ProofError, Signer

    keys = [item.strip() for item in value.split(",") if item.strip()]
    try:
        signers = [Signer.from_skey(key) for key in keys]
    except ProofError as error:
        raise ConfigurationError(f"{name}: {error} (make one with: manage.py create_log_key)") from None
    if not signers:
        raise ConfigurationError(f"{name} is set but holds no key")
    if len({signer.name for signer in signers}) != 1:
        # A checkpoint names one origin; keys brought in during a rotation sign for the same log.
        raise ConfigurationError(f"{name}: every key is named after the same log (its origin)")
    return ",".join(keys)


def parse_metrics_token(name: str, value: str) -> str:
    """A bearer token for /metrics: long enough not to be guessed, and sendable in a header as is."""
    if len(value) < 32 or not all(33 <= ord(character) <= 126 for character in value):
        raise ConfigurationError(f"{name} must be at least 32 printable characters without spaces")
    return value


def parse_redis_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigurationError(f"{name} must start with redis://, rediss:// or unix://")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{name} has an invalid port") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigurationError(f"{name} must name a host, e.g. redis://127.0.0.1:6379/0")
    if port == 0:
        raise ConfigurationError(f"{name} has an invalid port")
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ConfigurationError(f"{name}: the database after the last / must be a number, not {database!r}")
    return value


def parse_email_url(name: str, value: str) -> dict[str, object]:
    """``smtp://user:password@host:port`` (STARTTLS with ``?tls=true``) or ``smtps://`` (TLS)."""
    from urllib.parse import parse_qs, unquote

    parts = urlsplit(value)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ConfigurationError(f"{name} must be smtp://host:port or smtps://host:port")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{name} has an invalid port") from None
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"tls"})
    if unknown:
        raise ConfigurationError(f"{name}: unknown option {unknown[0]!r}; only ?tls=true is understood")
    tls = query.get("tls", ["false"])[0].lower()
    if tls not in {"1", "true", "yes", "0", "false", "no"}:
        raise ConfigurationError(f"{name}: tls must be true or false, not {tls!r}")
    starttls = tls in {"1", "true", "yes"}
    implicit_tls = parts.scheme == "smtps"
    if starttls and implicit_tls:
        raise ConfigurationError(f"{name}: smtps:// already uses TLS; drop ?tls=true")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if implicit_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": implicit_tls,
    }


def development_keys(path: Path, *, log_key_name: str | None = None) -> dict[str, str]:
    """Keys for development only, made on first use and kept in ``path`` (mode 600)."""
    keys: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(stored, dict) and {"SECRET_KEY", "DATA_KEYS"} <= set(stored):
                keys = {name: str(value) for name, value in stored.items()}
                if log_key_name is None or "LOG_KEY" in keys:
                    return keys
        except (OSError, ValueError):
            pass
    keys.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    keys.setdefault("DATA_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    if log_key_name is not None:
        # Checkouts made before the transparency log get its key added beside the others.
        from undersigned.ledger.tlog import Signer

        keys["LOG_KEY"] = Signer.generate(log_key_name).skey
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as key_file:
            json.dump(keys, key_file)
    except OSError as error:
        raise ConfigurationError(f"VAR_DIR: cannot keep development keys in {path}: {error.strerror}") from None
    return keys
