"""Security posture: production's headers and cookies, CORS, what the logs leave out, and
password hashing that does not reveal which accounts exist.

`test_settings.py` already runs `check --deploy` on a production configuration; here a
gunicorn serves that configuration and its answers are checked header by header.
"""

import io
import json
import logging
import time

import pytest
import requests
from django.conf import global_settings
from django.contrib.auth.hashers import identify_hasher
from django.test import override_settings
from django.utils.module_loading import import_string

import taskapi.settings as project_settings
from accounts.models import User
from taskapi.logs import JSONFormatter, RequestIDFilter
from taskapi.tests.servers import LiveServer, report_on_failure, start_gunicorn
from taskapi.tests.test_settings import manage, production_variables

API_HOST = "api.example.com"
APP_ORIGIN = "https://app.example.com"
# What the project configures, before conftest swaps in a fast hasher for the other tests.
PROJECT_PASSWORD_HASHERS = getattr(
    project_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS
)
PASSWORD = "analytical-engine-1843"


@pytest.fixture(scope="module")
def running_production_server(tmp_path_factory):
    """gunicorn with production settings behind a TLS-terminating proxy (which would set
    X-Forwarded-Proto), shared by this module's tests. /health needs no tables, so an empty
    SQLite file serves."""
    folder = tmp_path_factory.mktemp("production")
    variables = {
        **production_variables(),
        # 127.0.0.1: the /health probe that tells the server is up.
        "ALLOWED_HOSTS": f"{API_HOST},127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "true",
        "CORS_ALLOWED_ORIGINS": APP_ORIGIN,
    }
    server = start_gunicorn(
        folder, workers=1, database_url=f"sqlite:///{folder / 'db.sqlite3'}", **variables
    )
    yield server
    server.stop()


@pytest.fixture
def production_server(request, running_production_server) -> LiveServer:
    report_on_failure(request.node, running_production_server)
    return running_production_server


def over_https(server, method: str, path: str, **headers: str) -> requests.Response:
    return requests.request(
        method,
        f"{server.url}{path}",
        headers={"Host": API_HOST, "X-Forwarded-Proto": "https", **headers},
        allow_redirects=False,
        timeout=10,
    )


# --- Production headers and cookies --------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [("/health", 200), ("/api/auth/me", 401)])
def test_production_answers_over_https_carry_hsts_nosniff_referrer_and_frame_policies(
    production_server, path, status
):
    response = over_https(production_server, "GET", path)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_redirects_plain_http_to_https_except_the_health_probe(production_server):
    api = requests.get(
        f"{production_server.url}/api/auth/me",
        headers={"Host": API_HOST},
        allow_redirects=False,
        timeout=10,
    )
    health = requests.get(
        f"{production_server.url}/health",
        headers={"Host": API_HOST},
        allow_redirects=False,
        timeout=10,
    )

    assert (api.status_code, api.headers["Location"]) == (301, f"https://{API_HOST}/api/auth/me")
    assert health.status_code == 200
    # HSTS over plain HTTP means nothing to a browser, and Django does not send it.
    assert "Strict-Transport-Security" not in health.headers


def test_production_refuses_a_host_it_does_not_serve_with_a_json_400(production_server):
    response = over_https(production_server, "GET", "/api/auth/me", Host="evil.example.com")

    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "error": {"code": "BAD_REQUEST", "message": "Bad request.", "details": None},
    }


def test_production_writes_only_json_lines_to_stdout(production_server):
    response = over_https(production_server, "GET", "/api/auth/me", **{"X-Request-ID": "probe-1"})
    assert response.status_code == 401
    # The worker writes the access line just after answering.
    deadline = time.monotonic() + 5
    while '"probe-1"' not in production_server.stdout_path.read_text():
        assert time.monotonic() < deadline, production_server.output()
        time.sleep(0.05)

    lines = production_server.stdout_path.read_text().splitlines()

    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    access = [record for record in records if record["logger"] == "taskapi.access"]
    probe = [line for line in access if line["request_id"] == "probe-1"]
    assert [(line["method"], line["path"], line["status"]) for line in probe] == [
        ("GET", "/api/auth/me", 401)
    ]
    assert all(line["request_id"] for line in access)
    assert any(record["logger"] == "gunicorn" for record in records)


def test_production_settings_make_cookies_secure_and_https_strict(tmp_path):
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
        "PASSWORD_HASHERS",
    ]
    cors = ["CORS_ALLOWED_ORIGINS", "CORS_ALLOW_ALL_ORIGINS", "CORS_ALLOW_CREDENTIALS"]
    code = (
        "import json; from django.conf import settings; from corsheaders.conf import conf; "
        f"print(json.dumps({{**{{name: getattr(settings, name) for name in {names!r}}}, "
        f"**{{name: getattr(conf, name) for name in {cors!r}}}}}))"
    )

    result = manage(
        "shell", "--no-imports", "-c", code, tmp_path=tmp_path, **production_variables()
    )

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed.pop("PASSWORD_HASHERS")[0] == global_settings.PASSWORD_HASHERS[0]
    assert printed == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "CORS_ALLOWED_ORIGINS": [],
        "CORS_ALLOW_ALL_ORIGINS": False,
        "CORS_ALLOW_CREDENTIALS": False,
    }


# --- CORS ----------------------------------------------------------------------------------


def preflight(client_or_server, origin: str):
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    if hasattr(client_or_server, "url"):
        return over_https(client_or_server, "OPTIONS", "/api/auth/token", **headers)
    return client_or_server.options("/api/auth/token", headers=headers)


def assert_no_credentialed_wildcard(response) -> None:
    allowed = response.headers.get("Access-Control-Allow-Origin")
    credentials = response.headers.get("Access-Control-Allow-Credentials")
    assert not (allowed == "*" and credentials == "true")
    assert credentials is None


@pytest.mark.django_db
def test_a_preflight_from_an_allowed_origin_is_answered_with_that_origin(client):
    with override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN]):
        response = preflight(client, APP_ORIGIN)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"]
    assert {"authorization", "content-type"} <= set(allowed_headers.split(", "))
    assert_no_credentialed_wildcard(response)


@pytest.mark.django_db
def test_a_preflight_from_any_other_origin_gets_no_cors_headers(client):
    with override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN]):
        response = preflight(client, "https://evil.example.com")

    assert "Access-Control-Allow-Origin" not in response.headers
    assert_no_credentialed_wildcard(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "header"),
    [("GET", "If-None-Match"), ("PATCH", "If-Match"), ("POST", "Idempotency-Key")],
)
def test_a_preflight_from_an_allowed_origin_allows_the_conditional_and_idempotency_headers(
    client, user, method, header
):
    with override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN]):
        response = client.options(
            f"/api/{user.pk}/tasks",
            headers={
                "Origin": APP_ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": f"authorization, content-type, {header.lower()}",
            },
        )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert method in response.headers["Access-Control-Allow-Methods"].split(", ")
    assert response.headers["Access-Control-Allow-Headers"].split(", ") == [
        "accept",
        "authorization",
        "content-type",
        "user-agent",
        "x-csrftoken",
        "x-requested-with",
        "if-match",
        "if-none-match",
        "idempotency-key",
        "x-request-id",
    ]
    assert_no_credentialed_wildcard(response)


@pytest.mark.django_db
def test_an_allowed_origin_can_read_the_etag_replay_rate_limit_and_request_id_headers(
    auth_client, user
):
    def create_with_key():
        return auth_client.post(
            f"/api/{user.pk}/tasks",
            {"title": "Written offline"},
            format="json",
            headers={"Origin": APP_ORIGIN, "Idempotency-Key": "offline-1"},
        )

    with override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN]):
        create_with_key()
        retry = create_with_key()

    assert retry.status_code == 201
    assert retry.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert retry.headers["Access-Control-Expose-Headers"].split(", ") == [
        "ETag",
        "Location",
        "X-Request-ID",
        "Idempotent-Replayed",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    ]
    # Every exposed header but Retry-After (a 429's) is on this answer for a script to read.
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert {
        "ETag",
        "Location",
        "X-Request-ID",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    } <= set(retry.headers)
    assert_no_credentialed_wildcard(retry)


def test_production_cors_allows_only_the_configured_origin(production_server):
    allowed = preflight(production_server, APP_ORIGIN)
    refused = preflight(production_server, "https://evil.example.com")

    assert allowed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert_no_credentialed_wildcard(allowed)
    assert_no_credentialed_wildcard(refused)


# --- Logs ----------------------------------------------------------------------------------


@pytest.fixture
def log_lines():
    """The lines the project's JSON formatter writes for every record logged during the test,
    as the production handler writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestIDFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    root.removeHandler(handler)


@pytest.mark.django_db
def test_logs_are_json_lines_with_request_ids_and_never_hold_passwords_or_tokens(
    api_client, log_lines
):
    registered = api_client.post(
        "/api/auth/register",
        {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"},
        format="json",
    )
    user_id = registered.json()["data"]["user"]["id"]
    signed_in = api_client.post(
        "/api/auth/token", {"email": "ada@example.com", "password": PASSWORD}, format="json"
    )
    wrong = api_client.post(
        "/api/auth/token", {"email": "ada@example.com", "password": "wrong-guess-1"}, format="json"
    )
    access = signed_in.json()["data"]["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    created = api_client.post(f"/api/{user_id}/tasks", {"title": "Write the notes"}, format="json")
    listed = api_client.get(f"/api/{user_id}/tasks")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer forged.token.value")
    forged = api_client.get(f"/api/{user_id}/tasks")
    responses = [registered, signed_in, wrong, created, listed, forged]
    assert [response.status_code for response in responses] == [201, 200, 401, 201, 200, 401]

    lines = log_lines()
    records = [json.loads(line) for line in lines]
    access_lines = [record for record in records if record["logger"] == "taskapi.access"]

    assert all({"time", "level", "request_id"} <= record.keys() for record in records)
    assert all(record["request_id"] for record in records)
    assert [
        (line["method"], line["path"], line["status"], line["user_id"]) for line in access_lines
    ] == [
        ("POST", "/api/auth/register", 201, None),
        ("POST", "/api/auth/token", 200, None),
        ("POST", "/api/auth/token", 401, None),
        ("POST", f"/api/{user_id}/tasks", 201, user_id),
        ("GET", f"/api/{user_id}/tasks", 200, user_id),
        ("GET", f"/api/{user_id}/tasks", 401, None),
    ]
    assert [line["request_id"] for line in access_lines] == [
        response["X-Request-ID"] for response in responses
    ]
    assert all(
        line["level"] == "INFO" and isinstance(line["duration_ms"], float) for line in access_lines
    )
    tokens = [
        *(registered.json()["data"][kind] for kind in ("access", "refresh")),
        *(signed_in.json()["data"][kind] for kind in ("access", "refresh")),
    ]
    secrets_to_keep = [
        PASSWORD,
        "wrong-guess-1",
        "Bearer",
        "forged.token.value",
        *tokens,
        *(token.rsplit(".", 1)[1] for token in tokens),
    ]
    text = "\n".join(lines)
    assert [secret for secret in secrets_to_keep if secret in text] == []


# --- Password hashing ----------------------------------------------------------------------


@pytest.fixture
def project_password_hashing(settings):
    """The hashers the project configures, not conftest's fast one."""
    settings.PASSWORD_HASHERS = PROJECT_PASSWORD_HASHERS
    return import_string(PROJECT_PASSWORD_HASHERS[0])


@pytest.mark.django_db
def test_passwords_are_stored_with_djangos_default_hasher(api_client, project_password_hashing):
    response = api_client.post(
        "/api/auth/register",
        {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"},
        format="json",
    )

    assert response.status_code == 201
    stored = User.objects.get(email="ada@example.com").password
    hasher = identify_hasher(stored)
    assert PROJECT_PASSWORD_HASHERS[0] == global_settings.PASSWORD_HASHERS[0]
    assert isinstance(hasher, project_password_hashing)
    assert hasher.decode(stored)["iterations"] == project_password_hashing.iterations
    assert PASSWORD not in stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        ("nobody@example.com", PASSWORD, 401),
        ("ada@example.com", "wrong-guess-1", 401),
        ("ada@example.com", PASSWORD, 200),
    ],
    ids=["unknown email", "wrong password", "right password"],
)
def test_signing_in_hashes_the_password_once_whether_or_not_the_account_exists(
    api_client, project_password_hashing, monkeypatch, email, password, status
):
    """So the answer takes as long for an unknown email as for a known one, and its timing
    does not tell which addresses have accounts."""
    User.objects.create_user(email="ada@example.com", password=PASSWORD, name="Ada")
    hashed = []
    real_encode = project_password_hashing.encode

    def counting_encode(hasher, password, *args, **kwargs):
        hashed.append(password)
        return real_encode(hasher, password, *args, **kwargs)

    monkeypatch.setattr(project_password_hashing, "encode", counting_encode)
    response = api_client.post(
        "/api/auth/token", {"email": email, "password": password}, format="json"
    )

    assert response.status_code == status
    assert hashed == [password]
