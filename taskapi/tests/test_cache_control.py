"""What caches may keep: nothing that carries a token, and one user's data only privately."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD
from tasks.tests.factories import TaskFactory


@pytest.mark.django_db
def test_a_new_account_and_its_tokens_are_never_stored(api_client):
    response = api_client.post(
        "/api/auth/register",
        {"email": "ada@example.com", "password": DEFAULT_PASSWORD, "name": "Ada"},
        format="json",
    )

    assert response.status_code == 201
    assert (response["Cache-Control"], response["Pragma"]) == ("no-store", "no-cache")


def test_a_sign_in_and_a_refresh_are_never_stored(api_client, user):
    signed_in = api_client.post(
        "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    refreshed = api_client.post(
        "/api/auth/token/refresh", {"refresh": signed_in.json()["data"]["refresh"]}, format="json"
    )

    assert (signed_in.status_code, refreshed.status_code) == (200, 200)
    assert signed_in["Cache-Control"] == refreshed["Cache-Control"] == "no-store"


def test_a_refused_sign_in_is_never_stored_either(api_client, user):
    response = api_client.post(
        "/api/auth/token", {"email": user.email, "password": "wrong"}, format="json"
    )

    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"


def test_a_users_data_may_be_cached_only_privately_and_revalidated(auth_client, user):
    task = TaskFactory(user=user)

    answers = [
        auth_client.get(f"/api/{user.pk}/tasks"),
        auth_client.get(f"/api/{user.pk}/tasks/{task.pk}"),
        auth_client.get("/api/auth/me"),
        auth_client.get(f"/api/{user.pk}/tasks/{task.pk}", headers={"If-None-Match": task.etag}),
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 304]
    assert {answer["Cache-Control"] for answer in answers} == {"private, no-cache"}
