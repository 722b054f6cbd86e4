"""DELETE /api/auth/me: a user deletes their own account, password first."""

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, SuperuserFactory, UserFactory
from taskapi.schema import RequestBodyOnDeleteSchema

ME = "/api/auth/me"


def sign_in(client, user) -> dict:
    response = client.post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    return response.json()["data"]


def delete_account(client, body=None):
    return client.delete(ME, body, format="json")


def test_deleting_your_account_answers_204_and_the_user_is_gone(auth_client, user):
    response = delete_account(auth_client, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=user.pk).exists()


def test_the_access_token_stops_working_at_once(auth_client, user):
    assert auth_client.get(ME).status_code == 200

    delete_account(auth_client, {"password": DEFAULT_PASSWORD})

    response = auth_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_retried_deletion_is_a_401_not_a_server_error(auth_client):
    delete_account(auth_client, {"password": DEFAULT_PASSWORD})

    retry = delete_account(auth_client, {"password": DEFAULT_PASSWORD})

    assert retry.status_code == 401
    assert retry.json()["error"]["code"] == "UNAUTHORIZED"
    assert retry.json()["error"]["details"] == {"reason": "user_not_found"}


def test_every_refresh_token_of_the_user_goes_with_them(api_client, user):
    pairs = [sign_in(api_client, user) for _ in range(2)]
    api_client.post("/api/auth/logout", {"refresh": pairs[0]["refresh"]}, format="json")
    other = UserFactory()
    sign_in(APIClient(), other)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pairs[1]['access']}")

    assert delete_account(api_client, {"password": DEFAULT_PASSWORD}).status_code == 204

    assert not OutstandingToken.objects.filter(user=None).exists()
    assert list(OutstandingToken.objects.values_list("user", flat=True)) == [other.pk]
    assert BlacklistedToken.objects.count() == 0
    refresh = APIClient().post(
        "/api/auth/token/refresh", {"refresh": pairs[1]["refresh"]}, format="json"
    )
    assert refresh.status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"password": "not-the-password"}, "The current password is incorrect."),
        ({}, "This field is required."),
        (None, "This field is required."),
        ({"password": ""}, "This field may not be blank."),
        ({"password": 12345}, "Must be a JSON string."),
    ],
    ids=["wrong", "missing", "no body", "empty", "not a string"],
)
def test_without_the_right_password_nothing_is_deleted(auth_client, user, body, message):
    response = delete_account(auth_client, body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == {"password": [message]}
    assert User.objects.filter(pk=user.pk).exists()
    assert auth_client.get(ME).status_code == 200


def test_another_users_account_is_untouched(auth_client, other_user):
    delete_account(auth_client, {"password": DEFAULT_PASSWORD})

    assert User.objects.filter(pk=other_user.pk).exists()


def test_without_a_token_nothing_is_deleted(api_client, user):
    response = delete_account(api_client, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert User.objects.filter(pk=user.pk).exists()


def test_openapi_documents_the_password_body_of_the_deletion(api_client, db):
    schema = api_client.get("/openapi.json").json()

    operation = schema["paths"]["/api/auth/me"]["delete"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert component["required"] == ["password"]
    assert {"204", "401", "422"} <= set(operation["responses"])


def test_without_drf_spectaculars_body_hook_the_deletion_is_still_documented(
    api_client, db, monkeypatch
):
    monkeypatch.setattr("taskapi.schema.DOCUMENTS_BODIES_OF_OTHER_METHODS", False)
    assert RequestBodyOnDeleteSchema  # the schema class stays in use, with the hook off

    schema = api_client.get("/openapi.json").json()

    operation = schema["paths"]["/api/auth/me"]["delete"]
    assert "requestBody" not in operation
    assert "`password`" in operation["description"]


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(SuperuserFactory(email="root@example.com", name="Root"))
    return client


def test_the_admin_confirms_a_users_deletion_by_counting_what_goes(admin_client, user):
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/delete/")

    assert page.status_code == 200
    assert dict(page.context["model_count"]) == {"users": 1}
    assert f"User: {user.email}" in page.content.decode()


def test_the_admin_deletes_a_user_and_their_refresh_tokens(admin_client, user):
    sign_in(APIClient(), user)

    response = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not OutstandingToken.objects.exists()


def test_the_admins_bulk_delete_action_confirms_with_totals(admin_client, user, other_user):
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [user.pk, other_user.pk]},
    )

    assert response.status_code == 200
    assert dict(response.context["model_count"]) == {"users": 2}
