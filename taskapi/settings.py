"""Settings for taskapi: one module, every deploy-dependent value read from the environment.

The README and `.env.example` list every variable; keep the three in agreement. Development
defaults let `make run` work with no configuration at all; production refuses to start
without its secrets.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from taskapi.environment import env_bool, env_int, env_str
from taskapi.rates import Rate

BASE_DIR = Path(__file__).resolve().parent.parent

# A `.env` file fills in what the real environment leaves unset; it never overrides it.
load_dotenv(BASE_DIR / ".env", override=False)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


ENVIRONMENT = env_str("ENVIRONMENT", "development").lower()
if ENVIRONMENT not in {"development", "staging", "production"}:
    raise ImproperlyConfigured(
        f"ENVIRONMENT must be development, staging or production, got {ENVIRONMENT!r}"
    )
IS_DEVELOPMENT = ENVIRONMENT == "development"

DEBUG = env_bool("DEBUG", False)
if DEBUG and not IS_DEVELOPMENT:
    raise ImproperlyConfigured("DEBUG must stay off outside development")

DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-not-for-production-0123456789-abcdefghijklmnop"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not IS_DEVELOPMENT:
        raise ImproperlyConfigured(f"SECRET_KEY must be set when ENVIRONMENT={ENVIRONMENT}")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

JWT_SECRET = env_str("JWT_SECRET")
if not JWT_SECRET:
    if not IS_DEVELOPMENT:
        raise ImproperlyConfigured(f"JWT_SECRET must be set when ENVIRONMENT={ENVIRONMENT}")
    JWT_SECRET = SECRET_KEY
JWT_ALGORITHM = env_str("JWT_ALGORITHM", "HS256")
if JWT_ALGORITHM not in {"HS256", "HS384", "HS512"}:
    # Only HMAC algorithms sign with a shared secret; RS/ES would need key pairs.
    raise ImproperlyConfigured(f"JWT_ALGORITHM must be HS256, HS384 or HS512, not {JWT_ALGORITHM}")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if IS_DEVELOPMENT else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(f"ALLOWED_HOSTS must be set when ENVIRONMENT={ENVIRONMENT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Makes OpClass usable in an index expression (the search index, tasks/models.py); on
    # SQLite it does nothing.
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    # Swagger UI's and ReDoc's files, served by whitenoise like the admin's (see /docs).
    "drf_spectacular_sidecar",
    "accounts",
    "tasks",
]

MIDDLEWARE = [
    "taskapi.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "taskapi.middleware.OptionalTrailingSlashMiddleware",
    "taskapi.middleware.RateLimitHeadersMiddleware",
    "taskapi.middleware.PrivateCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "taskapi.urls"
WSGI_APPLICATION = "taskapi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The docs pages' own templates (taskapi/docs.py); taskapi is not an installed app.
        "DIRS": [BASE_DIR / "taskapi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    if not IS_DEVELOPMENT:
        # A production image without DATABASE_URL would otherwise serve an empty SQLite file
        # inside the container, and lose every write when the container goes.
        raise ImproperlyConfigured(
            f"DATABASE_URL must be set when ENVIRONMENT={ENVIRONMENT} (postgres://...)"
        )
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        # A persistent connection that died with the database is replaced on the next
        # request instead of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Several gunicorn workers share one file: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock when a transaction starts (so it waits for it there,
        # under the busy timeout, rather than failing half-way with "database is locked").
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast when the database is unreachable instead of hanging a worker.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))

# A transaction-mode pooler (pgbouncer) hands each transaction to whichever server connection
# is free, so nothing may outlive a transaction on the server: no server-side cursors (a
# named cursor lives in a session), and no prepared statements unless the pooler tracks them
# (pgbouncer 1.21 and later, with max_prepared_statements set). psycopg prepares a query on
# its fifth run by default; prepare_threshold None never does.
DATABASE_POOLER = env_str("DATABASE_POOLER", "none").lower()
if DATABASE_POOLER not in {"none", "pgbouncer"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be none or pgbouncer, got {DATABASE_POOLER!r}"
    )
DATABASE_POOLER_PREPARED_STATEMENTS = env_bool("DATABASE_POOLER_PREPARED_STATEMENTS", False)
if DATABASE_POOLER == "pgbouncer":
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_POOLER=pgbouncer needs a postgres:// DATABASE_URL")
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if not DATABASE_POOLER_PREPARED_STATEMENTS:
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# The docs pages' own files (taskapi/docs.py); the apps' come from their static/ folders.
STATICFILES_DIRS = [BASE_DIR / "taskapi" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if IS_DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve admin and Swagger assets straight from the apps when collectstatic has not run.
WHITENOISE_USE_FINDERS = IS_DEVELOPMENT

# Task bodies are small; anything bigger than this is refused with 413 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Routes take an optional trailing slash without redirecting (see OptionalTrailingSlashMiddleware).
APPEND_SLASH = False

# --- Cache and rate limits -----------------------------------------------------------------

# Rate-limit counters live in the cache. Redis makes them shared by every worker and instance;
# the local fallback counts per process, so gunicorn.conf.py then serves from one process
# (with threads) unless told otherwise, and warns at start.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "taskapi.cache.WindowCounterRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "taskapi",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "taskapi.cache.WindowCounterLocMemCache"}}

THROTTLE_RATES = {
    "user": env_str("THROTTLE_USER_RATE", "600/minute"),
    "auth_ip": env_str("THROTTLE_AUTH_IP_RATE", "20/minute"),
    "login_email": env_str("THROTTLE_LOGIN_EMAIL_RATE", "5/minute"),
}
for _scope, _rate in THROTTLE_RATES.items():
    try:
        Rate.parse(_rate)
    except ValueError as error:
        raise ImproperlyConfigured(f"Throttle rate for {_scope} {error}") from None
# How many proxies in front of the service append to X-Forwarded-For; 0 ignores the header.
# DRF's throttles read it as NUM_PROXIES (below) to find the client's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not IS_DEVELOPMENT
CSRF_COOKIE_SECURE = not IS_DEVELOPMENT
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not IS_DEVELOPMENT)
# Load balancers and the container HEALTHCHECK probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if IS_DEVELOPMENT else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not IS_DEVELOPMENT
SECURE_HSTS_PRELOAD = not IS_DEVELOPMENT
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

CORS_ALLOWED_ORIGINS = env_list(
    "CORS_ALLOWED_ORIGINS",
    ["http://localhost:3000", "http://127.0.0.1:3000"] if IS_DEVELOPMENT else [],
)
# Bearer tokens travel in a header, never in cookies, so CORS needs no credentials.
CORS_ALLOW_CREDENTIALS = False
# A browser sends no header outside the CORS safelist unless the preflight allows it: the
# conditional writes and reads, idempotent creates and a client's own request id.
CORS_ALLOW_HEADERS = [
    *default_cors_headers,
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
]
# And a script reads no response header outside the safelist unless it is exposed.
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Location",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]

# --- REST framework and JWT -----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.AccessTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["taskapi.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["taskapi.parsers.JSONObjectParser"],
    "EXCEPTION_HANDLER": "taskapi.exceptions.envelope_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["taskapi.throttling.UserRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": JWT_ALGORITHM,
    "SIGNING_KEY": JWT_SECRET,
    "VERIFYING_KEY": None,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "CHECK_USER_IS_ACTIVE": True,
    "LEEWAY": 0,
}

# How long a worker trusts its memory that a token's user is still active: a deactivated or
# deleted user loses access within this many seconds on every worker (see
# accounts/authentication.py). At most 60, the longest the product allows.
AUTH_USER_CACHE_SECONDS = env_int("AUTH_USER_CACHE_SECONDS", 30)
if not 0 <= AUTH_USER_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured("AUTH_USER_CACHE_SECONDS must be between 0 and 60")

# Deleted tasks stay as tombstones this long, so sync clients learn of the deletion; a sync
# cursor older than this answers 410. `manage.py purge_expired` removes older tombstones.
TOMBSTONE_RETENTION_DAYS = env_int("TOMBSTONE_RETENTION_DAYS", 30)
# How long a create's Idempotency-Key and its answer are kept for replay.
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)

SPECTACULAR_SETTINGS = {
    "TITLE": "taskapi",
    "DESCRIPTION": (
        "Multi-user task API. Every JSON body is an envelope: "
        '`{"data": ..., "error": null}` on success, '
        '`{"data": null, "error": {"code", "message", "details"}}` on failure.'
    ),
    "VERSION": "1.0.0",
    "TAGS": [
        {"name": "auth", "description": "Your account, and the tokens that sign you in."},
        {"name": "tasks", "description": "Your tasks: list, create, change, complete, sync."},
        {"name": "tags", "description": "Your tags: list, create, rename, recolor, delete."},
        {"name": "service status", "description": "Whether the service is up."},
    ],
    # The enums' values speak for themselves; a generated "`all` - all" list says nothing.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /docs and /redoc load Swagger UI and ReDoc from this service, not from a CDN: they work
    # without internet access and under the pages' strict Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "taskapi.schema.wrap_responses_in_envelope",
    ],
}

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "taskapi.logs.RequestIDFilter"},
        "warning_without_traceback": {"()": "taskapi.logs.WarningWithoutTraceback"},
    },
    "formatters": {"json": {"()": "taskapi.logs.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Every 4xx would otherwise log a warning; the access log already records them.
        "django.request": {"level": "ERROR"},
        # A Host header the service does not serve is scanners' routine noise, not an error.
        "django.security.DisallowedHost": {"filters": ["warning_without_traceback"]},
        "django.server": {"level": "WARNING"},
    },
}
