"""The environment the benchmark runs the product in: production settings on a bench database.

The same variables configure gunicorn and this process, which migrates, seeds, mints tokens
(signed with the server's JWT_SECRET) and counts queries. Variables the benchmark does not set
(GUNICORN_KEEPALIVE, DB_CONN_MAX_AGE, LOG_LEVEL...) pass through from the caller's environment,
so a setting can be tried without editing code.
"""

import os
import secrets

DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/taskapi_bench"
# One gthread worker per core, 8 threads each: gunicorn.conf.py's default worker model on this
# 2-core machine (see "The worker model" in bench/README.md).
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8
# Database 15: away from the 0 that the test suite's REDIS_URL uses (and clears).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# Tokens minted at the start must outlive the longest run.
TOKEN_MINUTES = 24 * 60
# The throttle still counts every request (its cost is measured), but never refuses one: the
# heavy-user scenarios send tens of thousands of requests a minute as one user.
UNREACHABLE_USER_RATE = "1000000000/minute"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def gunicorn_workers() -> int:
    return int(os.environ.get("GUNICORN_WORKERS") or DEFAULT_WORKERS)


def gunicorn_threads() -> int:
    """Threads per worker as gunicorn.conf.py reads them (1 means sync workers)."""
    return int(os.environ.get("GUNICORN_THREADS") or DEFAULT_THREADS)


def redis_url() -> str:
    """The Redis that holds the rate-limit counters, as in production; BENCH_REDIS_URL set
    to nothing runs with Django's local-memory cache instead (counters per worker)."""
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def configure_process() -> None:
    """Puts the benchmark's settings into os.environ, for Django here and for gunicorn."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "ENVIRONMENT": "production",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SECRET": secrets.token_urlsafe(50),
            "JWT_ACCESS_MINUTES": str(TOKEN_MINUTES),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no TLS proxy in front to tell Django the scheme.
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(),
            "THROTTLE_USER_RATE": UNREACHABLE_USER_RATE,
            "GUNICORN_WORKERS": str(gunicorn_workers()),
            "GUNICORN_THREADS": str(gunicorn_threads()),
        }
    )
    if redis_url():
        os.environ["REDIS_URL"] = redis_url()
    else:
        os.environ.pop("REDIS_URL", None)
