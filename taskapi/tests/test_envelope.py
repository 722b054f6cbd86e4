"""The API's plumbing every route shares: error envelopes, request ids, paths and bodies."""

import re

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD

ONE_MIB = 1024 * 1024


def envelope_error(code: str, message: str, details=None) -> dict:
    return {"data": None, "error": {"code": code, "message": message, "details": details}}


# --- 404 and 405 ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/api/nowhere", "/api/auth/nowhere", "/api", "/api/"])
def test_an_unknown_api_path_is_a_json_404_whatever_debug_is(api_client, settings, debug, path):
    settings.DEBUG = debug

    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == envelope_error("NOT_FOUND", "No route matches this path.")


@pytest.mark.django_db
def test_an_unknown_path_outside_the_api_is_a_json_404_too(api_client):
    response = api_client.get("/nowhere")

    assert response.status_code == 404
    assert response.json() == envelope_error("NOT_FOUND", "No route matches this path.")


@pytest.mark.django_db
def test_an_unknown_route_is_written_like_every_other_body(auth_client, user):
    """The router's 404, outside DRF, and a view's 404 come out of the same JSON writer."""
    unknown_route = auth_client.get("/api/nowhere")
    unknown_task = auth_client.get(f"/api/{user.pk}/tasks/00000000-0000-0000-0000-000000000000")

    assert unknown_route.content == (
        b'{"data":null,"error":{"code":"NOT_FOUND",'
        b'"message":"No route matches this path.","details":null}}'
    )
    assert unknown_task.content == (
        b'{"data":null,"error":{"code":"NOT_FOUND","message":"Task not found.","details":null}}'
    )


@pytest.mark.django_db
def test_a_method_a_route_does_not_serve_is_a_405_listing_the_allowed_ones(api_client):
    response = api_client.get("/api/auth/register")

    assert response.status_code == 405
    assert response.json() == envelope_error("METHOD_NOT_ALLOWED", 'Method "GET" not allowed.')
    assert response["Allow"] == "POST, OPTIONS"


# --- 500 ------------------------------------------------------------------------------------


def test_an_unhandled_error_in_a_view_is_a_500_carrying_only_the_request_id(
    auth_client, monkeypatch
):
    def explode(self, request, *args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("accounts.views.MeView.get", explode)

    response = auth_client.get("/api/auth/me")

    assert response.status_code == 500
    assert response.json() == envelope_error(
        "INTERNAL_ERROR",
        "The server failed to handle this request; quote the request id when reporting it.",
        {"request_id": response["X-Request-ID"]},
    )
    assert b"secret internal detail" not in response.content
    assert b"RuntimeError" not in response.content


@pytest.mark.django_db
def test_an_unhandled_error_outside_drf_is_a_500_envelope_too(monkeypatch):
    def explode(self, request):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("taskapi.middleware.OptionalTrailingSlashMiddleware.__call__", explode)
    client = Client(raise_request_exception=False)

    response = client.get("/api/auth/me", headers={"X-Request-ID": "trace-500"})

    assert response.status_code == 500
    assert response.json() == envelope_error(
        "INTERNAL_ERROR",
        "The server failed to handle this request; quote the request id when reporting it.",
        {"request_id": "trace-500"},
    )
    assert response["X-Request-ID"] == "trace-500"
    assert b"secret internal detail" not in response.content


# --- X-Request-ID ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "request_id",
    ["abc123", "req-2024.06.01:node_7", "0f8fad5b-d9cb-469f-a165-70867728950e", "x" * 128],
)
def test_a_well_formed_client_request_id_is_echoed(api_client, request_id):
    response = api_client.get("/health", headers={"X-Request-ID": request_id})

    assert response["X-Request-ID"] == request_id


@pytest.mark.django_db
@pytest.mark.parametrize(
    "request_id",
    ["", "has space", "x" * 129, "semi;colon", "new\nline", "ünïcode", "<script>"],
)
def test_a_malformed_client_request_id_is_replaced_with_a_fresh_one(api_client, request_id):
    response = api_client.get("/health", headers={"X-Request-ID": request_id})

    assert response["X-Request-ID"] != request_id
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_every_request_without_an_id_gets_a_different_one(api_client):
    first = api_client.get("/health")["X-Request-ID"]
    second = api_client.get("/health")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/nowhere", "/api/auth/me", "/nowhere"])
def test_error_responses_carry_the_request_id_too(api_client, path):
    response = api_client.get(path, headers={"X-Request-ID": "trace-42"})

    assert response.status_code in (401, 404)
    assert response["X-Request-ID"] == "trace-42"


# --- Trailing slash -------------------------------------------------------------------------


def test_a_trailing_slash_is_served_without_a_redirect(auth_client, user):
    response = auth_client.get("/api/auth/me/")

    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(user.id)


def test_a_post_with_a_trailing_slash_is_served_as_a_post(api_client, user):
    response = api_client.post(
        "/api/auth/token/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()["data"]) == {"access", "refresh"}


@pytest.mark.django_db
def test_the_health_check_answers_with_a_trailing_slash(api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200


# --- Request bodies: 400, 413, 415 ----------------------------------------------------------


@pytest.mark.django_db
def test_a_body_over_one_mebibyte_is_a_413(api_client):
    body = '{"email": "a@example.com", "password": "' + "x" * ONE_MIB + '", "name": "A"}'

    response = api_client.post("/api/auth/register", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == envelope_error(
        "PAYLOAD_TOO_LARGE", f"Request body is larger than {ONE_MIB} bytes."
    )


@pytest.mark.django_db
def test_a_body_of_exactly_one_mebibyte_is_read(api_client):
    prefix, suffix = '{"email": "not-an-email", "name": "A", "password": "', '"}'
    body = prefix + "x" * (ONE_MIB - len(prefix) - len(suffix)) + suffix
    assert len(body) == ONE_MIB

    response = api_client.post("/api/auth/register", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_a_415(api_client, content_type):
    response = api_client.post("/api/auth/token", "email=a@example.com", content_type=content_type)

    assert response.status_code == 415
    assert response.json() == envelope_error(
        "UNSUPPORTED_MEDIA_TYPE", f'Unsupported media type "{content_type}" in request.'
    )


@pytest.mark.django_db
def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/auth/token", '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["data"] is None
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert response.json()["error"]["message"].startswith("Request body is not valid JSON")
    assert response.json()["error"]["details"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '["email"]', '"text"', "42", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_a_400(api_client, body):
    response = api_client.post("/api/auth/token", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == envelope_error("BAD_REQUEST", "Request body must be a JSON object.")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"n": NaN}', '{"n": Infinity}', '{"s": "\\ud800"}'])
def test_json_that_postgresql_could_not_store_is_a_400(api_client, body):
    response = api_client.post("/api/auth/token", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


# --- Success envelope -----------------------------------------------------------------------


def test_a_success_wraps_the_payload_in_data_with_a_null_error(auth_client, user):
    response = auth_client.get("/api/auth/me")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"data", "error"}
    assert response.json()["error"] is None
    assert response.json()["data"]["email"] == user.email
