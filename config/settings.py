"""All settings of Undersigned, read from the environment in this one module.

``.env.example`` lists every variable. A missing or malformed variable stops start-up with a
one-line message that names it (see ``config.environment``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from config.environment import (
    ConfigurationError,
    development_keys,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_data_keys,
    parse_database_url,
    parse_email_url,
    parse_log_key,
    parse_metrics_token,
    parse_networks,
    parse_redis_url,
    parse_replica_urls,
    parse_secret_key,
    parse_site_url,
)
from undersigned.core.country_names import lazy_country_names

BASE_DIR = Path(__file__).resolve().parent.parent


def _required_in_production(name: str, debug: bool) -> str | None:
    value = env_secret(name)
    if value is None and not debug:
        raise ConfigurationError(f"{name} is not set (it is required unless DEBUG=true)")
    return value


try:
    DEBUG = env_bool("DEBUG", False)
    VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(f"VAR_DIR {VAR_DIR} cannot be created: {error.strerror}") from None

    _site_url = env_str("SITE_URL")
    if _site_url is None and not DEBUG:
        raise ConfigurationError("SITE_URL is not set (it is required unless DEBUG=true)")
    SITE_URL = parse_site_url("SITE_URL", _site_url or "http://127.0.0.1:8000")
    _site_parts = urlsplit(SITE_URL)

    _secret_key = _required_in_production("SECRET_KEY", DEBUG)
    _data_keys = _required_in_production("DATA_KEYS", DEBUG)
    # The transparency log's Ed25519 key. Without one in production the log still grows but no
    # checkpoint is signed or published (`manage.py check --deploy` says so).
    _log_key = env_secret("LOG_KEY")
    if DEBUG and (_secret_key is None or _data_keys is None or _log_key is None):
        # Development without keys gets keys made once per checkout and kept in VAR_DIR, so the
        # server, the worker and every command agree, and sessions survive a restart.
        _development = development_keys(
            VAR_DIR / "development-keys.json",
            log_key_name=None if _log_key else f"{_site_parts.netloc}{_site_parts.path.rstrip('/')}/log",
        )
        _secret_key = _secret_key or _development["SECRET_KEY"]
        _data_keys = _data_keys or _development["DATA_KEYS"]
        _log_key = _log_key or _development.get("LOG_KEY")
    SECRET_KEY = parse_secret_key("SECRET_KEY", _secret_key or "")
    DATA_KEYS: list[bytes] = parse_data_keys("DATA_KEYS", _data_keys or "")
    LOG_KEY = parse_log_key("LOG_KEY", _log_key) if _log_key else None

    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS",
        [_site_parts.hostname or "localhost"] + (["localhost", "127.0.0.1", "[::1]"] if DEBUG else []),
    )

    DATABASES = {
        "default": parse_database_url(
            "DATABASE_URL",
            env_str("DATABASE_URL") or "sqlite:///" + str(VAR_DIR / "undersigned.sqlite3"),
            sqlite_default=str(VAR_DIR / "undersigned.sqlite3"),
        )
    }
    # Streaming replicas that may serve the public reads no cache absorbs (undersigned.core.db_routing).
    _replicas = parse_replica_urls(
        "DATABASE_REPLICA_URLS", env_str("DATABASE_REPLICA_URLS") or "", primary=DATABASES["default"]
    )
    # A replica further behind than this (seconds of replay) is skipped: its reads go to the primary.
    DATABASE_REPLICA_MAX_LAG = env_int("DATABASE_REPLICA_MAX_LAG", 5, minimum=0)
    _redis_url = env_str("REDIS_URL")
    REDIS_URL = parse_redis_url("REDIS_URL", _redis_url) if _redis_url else None

    _email_url = env_str("EMAIL_URL")
    _email_settings = parse_email_url("EMAIL_URL", _email_url) if _email_url else None

    DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 10, minimum=1)
    TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", env_list("TRUSTED_PROXIES", []))
    BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
    if BEHIND_TLS_PROXY and not TRUSTED_PROXIES and not DEBUG:
        # Without it every visitor has the proxy's address: one person's failed sign-ins or
        # signatures would count against everybody's limits.
        raise ConfigurationError("BEHIND_TLS_PROXY=true needs TRUSTED_PROXIES (the proxy's address or network)")
    HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
    HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
    # A signature whose fraud signals add up to this score is held for review, not counted.
    FRAUD_HOLD_SCORE = env_int("FRAUD_HOLD_SCORE", 3, minimum=1)
    # A public form sent back sooner than this after it was drawn is taken for a script's.
    FORM_MIN_FILL_SECONDS = env_int("FORM_MIN_FILL_SECONDS", 3, minimum=0)
    # Sign requests for one statement within ten minutes that switch its proof of work on for an
    # hour (the surge defence against bot farms; its editors are told).
    PROOF_OF_WORK_SURGE = env_int("PROOF_OF_WORK_SURGE", 300, minimum=1)
    # A MaxMind-format country database (GeoLite2-Country.mmdb or similar) for the fraud signal of a
    # country that does not match the signer's network. Optional; none is shipped.
    _geoip = env_str("GEOIP_DATABASE")
    GEOIP_DATABASE = Path(_geoip) if _geoip else None
    if GEOIP_DATABASE is not None and not GEOIP_DATABASE.is_file():
        raise ConfigurationError(f"GEOIP_DATABASE {GEOIP_DATABASE} is not a readable file")
    # How long a worker holds a message it is sending, so how late a message whose worker died goes
    # out (notifications.services). Ten minutes suits any mail server; a site whose relay is on
    # its own network may shorten it. At most ten minutes: the task sweep's limits assume it.
    MAIL_LEASE_SECONDS = env_int("MAIL_LEASE_SECONDS", 600, minimum=60)
    if MAIL_LEASE_SECONDS > 600:
        raise ConfigurationError(f"MAIL_LEASE_SECONDS must be at most 600, not {MAIL_LEASE_SECONDS}")
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or f"Undersigned <noreply@{_site_parts.hostname}>"
    LOG_LEVEL = (env_str("LOG_LEVEL") or "INFO").upper()
    if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigurationError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {LOG_LEVEL!r}")
    # JSON lines for a log collector in production; one readable line per record in development.
    LOG_FORMAT = (env_str("LOG_FORMAT") or ("text" if DEBUG else "json")).lower()
    if LOG_FORMAT not in {"json", "text"}:
        raise ConfigurationError(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")

    # /metrics answers a client from these networks (its address found as the rate limits find it,
    # through TRUSTED_PROXIES), or one that sends METRICS_TOKEN as a bearer token; anyone else gets
    # the site's "not found". "none" leaves the token as the only way in.
    _metrics_networks = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
    METRICS_ALLOWED_NETWORKS = (
        [] if _metrics_networks == ["none"] else parse_networks("METRICS_ALLOWED_NETWORKS", _metrics_networks)
    )
    _metrics_token = env_secret("METRICS_TOKEN")
    METRICS_TOKEN = parse_metrics_token("METRICS_TOKEN", _metrics_token) if _metrics_token else None
    # prometheus_client reads this variable itself: with it, every process of one app server writes
    # its request timings and counters to files there, and /metrics adds up all of them. Checked
    # here so that a missing directory stops start-up with its name instead of failing a request.
    _multiprocess_dir = env_str("PROMETHEUS_MULTIPROC_DIR")
    METRICS_MULTIPROCESS_DIR = Path(_multiprocess_dir) if _multiprocess_dir else None
    # The library reads the variable as it is, and switches on at its mere presence: set but blank
    # (an .env file copied as is), it would write its files into the working directory.
    if METRICS_MULTIPROCESS_DIR is None:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_MULTIPROCESS_DIR)
    if METRICS_MULTIPROCESS_DIR is not None and not (
        METRICS_MULTIPROCESS_DIR.is_dir() and os.access(METRICS_MULTIPROCESS_DIR, os.W_OK)
    ):
        raise ConfigurationError(f"PROMETHEUS_MULTIPROC_DIR {METRICS_MULTIPROCESS_DIR} is not a writable directory")
except ConfigurationError as error:
    # One line, no traceback: the operator needs the variable's name, not our stack.
    raise SystemExit(f"Undersigned cannot start: {error}") from None


# --- Applications -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "undersigned.core",
    "undersigned.accounts",
    "undersigned.federation",
    "undersigned.commissions",
    "undersigned.statements",
    "undersigned.permissions",
    "undersigned.notifications",
    "undersigned.sealing",
    "undersigned.signatures",
    "undersigned.organisations",
    "undersigned.ledger",
    "undersigned.privacy",
    "undersigned.tasks_sweep",
    "undersigned.exports",
    "undersigned.deliveries",
    "undersigned.actions",
    "undersigned.api",
    "undersigned.monitoring",
    "undersigned.demo",
    "undersigned.backups",
    "django_countries",
]

MIDDLEWARE = [
    # Outermost: every answer, /healthz and /metrics included, gets a request id, a log line and
    # its time in the request-duration histogram.
    "undersigned.core.request_logs.RequestLogMiddleware",
    "undersigned.federation.middleware.HealthCheckMiddleware",
    # Before the host check and the HTTPS redirect: Prometheus scrapes each app server by address.
    "undersigned.monitoring.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "undersigned.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Compresses only what the next one leaves public (no secret to guess: BREACH), so outside it.
    "undersigned.core.compression.PublicPagesGZipMiddleware",
    # Outside the session and CSRF middleware: it sees the cookies they set, and keeps any answer
    # that is per visitor out of shared caches.
    "undersigned.core.public_pages.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "undersigned.federation.middleware.InterfaceLanguageMiddleware",
    # Inside the language middleware, so that its JSON errors are in the reader's language.
    "undersigned.api.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the public reads a replica may serve, and pins a visitor who just acted to the primary.
    "undersigned.core.db_routing.ReadReplicaMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "undersigned.accounts.middleware.StaffSessionMiddleware",
    "undersigned.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "undersigned.federation.context_processors.site_identity",
            ],
        },
    },
]

# --- Databases, cache, background tasks --------------------------------------------------------

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on the busy timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A connection (and its WAL pragmas) per request costs more than the request's queries.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not Django
    # With the pool, this makes it try each connection (one round trip) before handing it out.
    # After the database server restarts every pooled connection is dead: unchecked, each would
    # fail one request with a 500, or stop the task worker that drew it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": DATABASE_POOL_MAX, "timeout": 10},
    }

# Each replica is an alias replica_1, replica_2...; tests mirror them onto the primary's test database.
for _number, _replica in enumerate(_replicas, start=1):
    _replica["CONN_MAX_AGE"] = 0
    _replica["CONN_HEALTH_CHECKS"] = True  # as the primary's: no dead connection handed out
    # A replica that cannot hand out a connection within 3 s is not waited for: the primary is there.
    _replica["OPTIONS"] = {"pool": {"min_size": 1, "max_size": DATABASE_POOL_MAX, "timeout": 3}}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
DATABASE_REPLICAS = [f"replica_{number}" for number in range(1, len(_replicas) + 1)]
DATABASE_ROUTERS = ["undersigned.core.db_routing.ReplicaRouter"]
# After a visitor changes something, the cookie undersigned_primary sends their reads to the primary
# (and past the proxy's cache) for this long: longer than the replica lag allowed and the cache's
# few seconds, so that the signer sees their own signature.
READ_YOUR_WRITES_SECONDS = max(DATABASE_REPLICA_MAX_LAG, 5) + 5

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "undersigned",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Accounts ----------------------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "federation:home"
SESSION_COOKIE_AGE = 60 * 60 * 12  # a staff session ends 12 hours after sign-in at the latest
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour, and once
STAFF_SESSION_IDLE_SECONDS = 60 * 60 * 2  # … and after two hours without a request


def _authenticator_issuer(device: object) -> str:
    """The name authenticator apps show beside a staff member's codes: the federation's."""
    from undersigned.accounts.second_factor import issuer_name

    return issuer_name()


OTP_TOTP_ISSUER = _authenticator_issuer
SECOND_FACTOR_FRESH_SECONDS = 5 * 60  # how recent a code must be to download sealed data
SESSION_COOKIE_HTTPONLY = True
# No script of the site reads a cookie: the CSRF token travels in the forms.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Languages ---------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
# Interface languages: the ones with gettext catalogues. Statement texts may be in any language.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ar", "العربية"),
    ("fa", "فارسی"),
    ("tl", "Tagalog"),
    ("tr", "Türkçe"),
    ("uk", "Українська"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Country names: django-countries' own catalogues where it ships one for the language, the CLDR's
# (Babel's) for the interface languages it does not (Tagalog, Turkish).
COUNTRIES_OVERRIDE = lazy_country_names()
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files ------------------------------------------------------------------------------

# A pasted statement may be up to 1 MB, which its form refuses with a message; the request itself
# may be larger, so that the refusal is that message and not a bare "bad request".
DATA_UPLOAD_MAX_MEMORY_SIZE = 6_000_000

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names in production let browsers cache for a year; development serves from source.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Mail --------------------------------------------------------------------------------------

if _email_settings is not None:
    globals().update(_email_settings)
elif DEBUG:
    EMAIL_BACKEND = "undersigned.notifications.outbox.OutboxBackend"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

# --- Security ----------------------------------------------------------------------------------

_https = _site_parts.scheme == "https"
CSRF_TRUSTED_ORIGINS = [SITE_URL]
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
LANGUAGE_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and not DEBUG
SECURE_HSTS_SECONDS = HSTS_SECONDS if _https and not DEBUG else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = HSTS_PRELOAD
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Preloading HSTS binds the whole domain for months and is the operator's call (HSTS_PRELOAD);
# leaving it off is a choice, not an oversight, so the deploy check need not warn of it.
SILENCED_SYSTEM_CHECKS = [] if HSTS_PRELOAD else ["security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging -----------------------------------------------------------------------------------

# Logs carry no personal data: no request bodies, no addresses, no paths (a path may hold a personal
# link's token); each request is logged once, by its route's name (core.request_logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "undersigned.core.request_logs.JsonLinesFormatter"},
    },
    "filters": {
        # Every record learns the id of the request it belongs to, if any.
        "request_id": {"()": "undersigned.core.request_logs.RequestIdFilter"},
        # Every line passes through the redaction filter: no address or personal link reaches a log.
        "redact": {"()": "undersigned.core.log_redaction.RedactPersonalData"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "stream": sys.stderr,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # A request for another host is a scanner's, not an incident: counted by the proxy, not logged here.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
        # 4xx answers are the visitor's mistakes; their paths may hold links' tokens, so they are not logged.
        "django.request": {"level": "ERROR"},
    },
}
# Error reports (the DEBUG page, mail to ADMINS) show no submitted value, cookie, address or local variable.
DEFAULT_EXCEPTION_REPORTER = "undersigned.core.error_reports.PersonalDataFreeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "undersigned.core.error_reports.PersonalDataFilter"
