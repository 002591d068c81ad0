"""Configuration: defaults, then the environment, then an explicit mapping; validated at start.

Every setting has one place to be read from. A setting that cannot be right (an unknown
environment, a database URL we do not support, a production start without a secret key)
stops the application with a message that says what to change, instead of failing later
on the first request.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: The project root: the folder that holds ``app/``, ``forms/``, ``municipalities/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where ``templates/``, ``migrations/``, ``forms/`` and ``municipalities/`` are: the
#: source tree in a checkout; in an installed wheel, which has no source tree, the copies
#: the build put into the package (``setup.py``).
BUNDLED = Path(__file__).resolve().parent / "bundled"
RESOURCES = BUNDLED if BUNDLED.is_dir() else PROJECT_ROOT
#: A checkout keeps its instance folder (the SQLite file, exports) beside the source; an
#: installed package has none there, and takes Flask's place for it under the
#: environment's prefix (``<venv>/var/app-instance``).
INSTANCE_PATH: str | None = None if BUNDLED.is_dir() else str(PROJECT_ROOT / "instance")

ENVIRONMENTS = ("development", "production", "testing")
LANGUAGES = ("da", "en")


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which setting and why."""


def _defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "HELHED_ENV": "development",
        "DATABASE_URL": f"sqlite:///{instance_path / 'helhed.sqlite3'}",
        "SECRET_KEY": None,
        "FIELD_ENCRYPTION_KEY": None,
        "MUNICIPALITIES_DIR": str(RESOURCES / "municipalities"),
        "FORMS_DIR": str(RESOURCES / "forms"),
        #: Where research packages are built before download.
        "EXPORTS_DIR": str(instance_path / "exports"),
        #: The append-only record of erasures and retention purges (ids only), kept apart
        #: from the database so that a restore can apply them again (docs/backups.md).
        "PRIVACY_JOURNAL": str(instance_path / "privacy-journal.jsonl"),
        #: Disclosure control: the smallest count any aggregate shows. A study may only
        #: raise it for its own outputs.
        "SUPPRESSION_K": 5,
        #: Limits on a report's rendering process (seconds of wall time, MB of memory).
        "REPORT_TIMEOUT_SECONDS": 120,
        "REPORT_MEMORY_MB": 1536,
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "LANGUAGES": LANGUAGES,
        # werkzeug's scrypt; tests lower the cost so the suite stays fast.
        "PASSWORD_HASH_METHOD": "scrypt",
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        #: A session ends after this long without a request, and after this long in all.
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 12,
        #: Sign-in throttling (Flask-Limiter). Memory storage serves one app server;
        #: several app servers share a Redis URL (redis://host:6379/0).
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        #: Prefix of the throttle's keys, so installations may share one Redis.
        "RATELIMIT_KEY_PREFIX": "helhed",
        "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute; 20 per hour",
        "LOGIN_LIMIT_PER_ADDRESS": "30 per minute; 300 per hour",
        #: Set when a reverse proxy in front adds X-Forwarded-For/-Proto: how many proxies
        #: to trust, so throttling counts the real client address.
        "PROXY_COUNT": 0,
        #: The largest request body accepted (bytes); beyond it the answer is 413. Forms and
        #: API bodies are a few kilobytes and nothing uploads files (backups are restored
        #: from the command line), so 1 MiB leaves room for the longest free texts.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        #: Outgoing mail (SMTP). Without MAIL_SERVER a mail is written to the log instead,
        #: so the demo runs with no mail server (app/core/mail.py).
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "helhed@localhost",
        #: The address people reach the application at, for the links in mails sent
        #: outside any request (the daily digest from the command line or the schedule).
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        #: The daily digest: the Copenhagen hour from which a job worker sends it, whether
        #: the workers send it at all, and how often (seconds) one looks at the clock.
        "DIGEST_HOUR": 7,
        "DIGEST_SCHEDULE": True,
        "DIGEST_EVERY_SECONDS": 300,
        #: The job queue (app/core/jobs.py): attempts in all, the first wait before a retry
        #: (doubled each time), how often a worker shows it is alive and after how long
        #: without a sign its jobs go to another, and how often an idle one looks for work.
        "JOBS_RETRIES": 3,
        "JOBS_BACKOFF_SECONDS": 10,
        "JOBS_HEARTBEAT_SECONDS": 10.0,
        "JOBS_STALLED_SECONDS": 60.0,
        "JOBS_POLL_SECONDS": 2.0,
        #: Tests only: seconds a job waits between its steps, so a test can catch it
        #: running (and kill its worker). Zero everywhere else.
        "JOB_TEST_DELAY": 0.0,
        #: Password reset requests, per address asked for and per client address.
        "RESET_LIMIT_PER_ACCOUNT": "3 per hour; 10 per day",
        "RESET_LIMIT_PER_ADDRESS": "10 per hour; 50 per day",
    }


def boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


#: What a setting's reader accepts, and an example, for the message when it refuses.
_KIND_OF: dict[Any, str] = {int: "a whole number", float: "a number", boolean: "true or false"}
_EXAMPLE_OF: dict[Any, str] = {
    int: "digits only, e.g. 25",
    float: "e.g. 2.5",
    boolean: "true or false",
}

#: Settings that may come from the environment, with how to read them.
_FROM_ENVIRONMENT: dict[str, Any] = {
    "HELHED_ENV": str,
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "FIELD_ENCRYPTION_KEY": str,
    "MUNICIPALITIES_DIR": str,
    "FORMS_DIR": str,
    "EXPORTS_DIR": str,
    "PRIVACY_JOURNAL": str,
    "SQLITE_BUSY_TIMEOUT_MS": int,
    "SUPPRESSION_K": int,
    "REPORT_TIMEOUT_SECONDS": int,
    "REPORT_MEMORY_MB": int,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_MAX_HOURS": int,
    "RATELIMIT_ENABLED": boolean,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_KEY_PREFIX": str,
    "LOGIN_LIMIT_PER_ACCOUNT": str,
    "LOGIN_LIMIT_PER_ADDRESS": str,
    "PROXY_COUNT": int,
    "MAX_CONTENT_LENGTH": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": boolean,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "PUBLIC_BASE_URL": str,
    "DIGEST_HOUR": int,
    "DIGEST_SCHEDULE": boolean,
    "DIGEST_EVERY_SECONDS": int,
    "JOBS_RETRIES": int,
    "JOBS_BACKOFF_SECONDS": int,
    "JOBS_HEARTBEAT_SECONDS": float,
    "JOBS_STALLED_SECONDS": float,
    "JOBS_POLL_SECONDS": float,
    "JOB_TEST_DELAY": float,
    "RESET_LIMIT_PER_ACCOUNT": str,
    "RESET_LIMIT_PER_ADDRESS": str,
}


#: Settings that are a family of environment variables, one per municipality: the prefix,
#: and the setting that maps each whole variable name to its value. The client secret of
#: a municipality's OpenID provider is ``HELHED_SSO_SECRET_<SLUG>`` (app/tenancy/
#: sso_settings.py), kept out of the municipality's file, which is reviewed in the open.
_PREFIXED_FROM_ENVIRONMENT: dict[str, str] = {"HELHED_SSO_SECRET_": "SSO_CLIENT_SECRETS"}


def load_config(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the validated configuration mapping for one application."""
    environ = os.environ if environ is None else environ
    config = _defaults(instance_path)
    for key, convert in _FROM_ENVIRONMENT.items():
        raw = environ.get(key)
        if raw is None or raw == "":
            continue
        try:
            config[key] = convert(raw)
        except ValueError as exc:
            default = config.get(key)
            fix = f"leave it unset for the default ({default})" if default is not None else ""
            raise ConfigError(
                f"{key}={raw!r} is not {_KIND_OF.get(convert, 'valid')}: set it to "
                f"{_EXAMPLE_OF.get(convert, 'a valid value')}" + (f", or {fix}" if fix else "")
            ) from exc
    for prefix, setting in _PREFIXED_FROM_ENVIRONMENT.items():
        config[setting] = {
            key: value
            for key, value in environ.items()
            if key.startswith(prefix) and len(key) > len(prefix) and value.strip()
        }
    if overrides:
        config.update(overrides)
    return _validate(config, instance_path)


def _validate(config: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    env = config["HELHED_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"HELHED_ENV={env!r} is not known: set it to one of {', '.join(ENVIRONMENTS)} "
            "(production on a server)"
        )
    config["TESTING"] = env == "testing" or bool(config.get("TESTING"))

    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Each process names itself to the server, so an operator (pg_stat_activity) and a
        # restore, which must not run beside the application, can tell who is connected.
        options = config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {}).setdefault("application_name", process_name())

    if not config.get("SECRET_KEY"):
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production Helhed refuses to start without it: "
                "set SECRET_KEY to a long random value (`flask --app wsgi keys generate` "
                "prints one)."
            )
        if env == "development":
            config["SECRET_KEY"] = _development_secret(instance_path)
        else:
            config["SECRET_KEY"] = secrets.token_urlsafe(32)
    elif env == "production" and len(config["SECRET_KEY"]) < 32:
        raise ConfigError(
            "SECRET_KEY is too short for production: set it to at least 32 characters "
            "(`flask --app wsgi keys generate` prints one)."
        )

    config["FIELD_ENCRYPTION_KEY"] = _field_key(config, env, instance_path)
    if int(config["SUPPRESSION_K"]) < 2:
        raise ConfigError("SUPPRESSION_K must be at least 2: a count of 1 identifies a person.")

    if env == "production":
        config["SESSION_COOKIE_SECURE"] = True
    if int(config["SESSION_IDLE_MINUTES"]) < 1 or int(config["SESSION_MAX_HOURS"]) < 1:
        raise ConfigError("SESSION_IDLE_MINUTES and SESSION_MAX_HOURS must be at least 1.")
    config["PERMANENT_SESSION_LIFETIME"] = int(config["SESSION_MAX_HOURS"]) * 3600
    if int(config["MAX_CONTENT_LENGTH"]) < 64 * 1024:
        raise ConfigError("MAX_CONTENT_LENGTH must be at least 65536 bytes: forms need room.")
    if not 0 <= int(config["DIGEST_HOUR"]) <= 23:
        raise ConfigError("DIGEST_HOUR must be an hour of the day, 0 to 23.")
    config["PUBLIC_BASE_URL"] = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    for key in ("MUNICIPALITIES_DIR", "FORMS_DIR", "EXPORTS_DIR", "PRIVACY_JOURNAL"):
        config[key] = str(Path(config[key]))
    return config


#: Every connection's ``application_name`` begins with this.
APPLICATION_NAME = "helhed"


def process_name(argv: list[str] | None = None) -> str:
    """``helhed <what> <pid>``: an app server (``web``), a job ``worker`` or a command."""
    argv = sys.argv if argv is None else argv
    words = {w for w in argv[1:] if not w.startswith("-")}
    if (argv and "gunicorn" in Path(argv[0]).name) or "run" in words:
        what = "web"
    elif {"jobs", "worker"} <= words:
        what = "worker"
    else:
        what = "command"
    return f"{APPLICATION_NAME} {what} {os.getpid()}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste and name the one driver per database we support."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # Not the URL itself: it may hold a password.
        raise ConfigError(
            "DATABASE_URL is not a database URL: use postgresql://USER@HOST:PORT/DATABASE "
            "or sqlite:///FILE"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        # psycopg 3 is the one PostgreSQL driver we install and test.
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        raise ConfigError(
            f"DATABASE_URL uses {backend!r}; Helhed supports sqlite:/// and postgresql:// URLs"
        )
    return parsed.render_as_string(hide_password=False)


def new_key() -> str:
    """A new key for the protected columns (``FIELD_ENCRYPTION_KEY``): 32 random bytes."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _field_key(config: dict[str, Any], env: str, instance_path: Path) -> str:
    """The key that encrypts protected columns (CPR numbers); see app.core.crypto."""
    key = config.get("FIELD_ENCRYPTION_KEY")
    if key:
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise ValueError
        except ValueError as exc:
            raise ConfigError(
                "FIELD_ENCRYPTION_KEY must be 32 bytes in URL-safe base64: make one with "
                "`flask --app wsgi keys generate` (the key the stored data was written with "
                "if there is any)"
            ) from exc
        return str(key)
    if env == "production":
        raise ConfigError(
            "FIELD_ENCRYPTION_KEY is not set. In production Helhed refuses to start without "
            "it (it encrypts CPR numbers): make one with `flask --app wsgi keys generate` and "
            "keep it apart from the backups."
        )
    if env == "development":
        return _development_secret(instance_path, "field_key", new_key)
    return new_key()


def _development_secret(instance_path: Path, name: str = "secret_key", make: Any = None) -> str:
    """Generate a development secret once and keep it, so it survives restarts."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = make() if make else secrets.token_urlsafe(48)
    # Created with owner-only permissions: it signs sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
