"""POST /api/auth/register: create an account and sign it in at once."""

import threading
from unittest.mock import ANY

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

REGISTER = "/api/auth/register"


def iso(moment) -> str:
    """A datetime as the API writes it: ISO 8601, UTC as `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_registering_creates_the_user_and_returns_it_with_a_token_pair(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "ada@example.com", "password": DEFAULT_PASSWORD, "name": "Ada Lovelace"},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(email="ada@example.com")
    assert response.json() == {
        "data": {
            "user": {
                "id": str(user.id),
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "image": None,
                "email_verified": False,
                "created_at": iso(user.created_at),
                "updated_at": iso(user.updated_at),
            },
            "access": ANY,
            "refresh": ANY,
        },
        "error": None,
    }
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.is_active and not user.is_staff and not user.is_superuser


@pytest.mark.django_db
def test_the_access_token_from_registration_signs_the_new_user_in(api_client):
    registered = api_client.post(
        REGISTER,
        {"email": "ada@example.com", "password": DEFAULT_PASSWORD, "name": "Ada Lovelace"},
        format="json",
    ).json()["data"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {registered['access']}")
    me = api_client.get("/api/auth/me")

    assert me.status_code == 200
    assert me.json()["data"] == registered["user"]


@pytest.mark.django_db
def test_registering_stores_the_email_lower_cased_and_trimmed(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "  Ada.Lovelace@Example.COM ", "password": DEFAULT_PASSWORD, "name": "Ada"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["user"]["email"] == "ada.lovelace@example.com"
    assert list(User.objects.values_list("email", flat=True)) == ["ada.lovelace@example.com"]


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["taken@example.com", "Taken@Example.com", "TAKEN@EXAMPLE.COM"])
def test_registering_a_taken_email_in_any_case_is_a_conflict(api_client, email):
    UserFactory(email="taken@example.com")

    response = api_client.post(
        REGISTER, {"email": email, "password": DEFAULT_PASSWORD, "name": "Ada"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "data": None,
        "error": {
            "code": "CONFLICT",
            "message": "An account with this email already exists.",
            "details": None,
        },
    }
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_registering_with_a_weak_password_lists_every_validator_failure(api_client):
    response = api_client.post(
        REGISTER, {"email": "ada@example.com", "password": "1234567", "name": "Ada"}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": (
                "Invalid input: This password is too short. It must contain at least 8 characters."
            ),
            "details": {
                "password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is too common.",
                    "This password is entirely numeric.",
                ]
            },
        },
    }
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registering_with_a_password_like_the_email_is_refused(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "lovelace.ada@example.com", "password": "lovelace.ada", "name": "Ada"},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "password": ["The password is too similar to the email address."]
    }
    assert not User.objects.exists()


@pytest.mark.django_db
def test_registering_without_fields_names_each_missing_field(api_client):
    response = api_client.post(REGISTER, {}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: This field is required.",
            "details": {
                "email": ["This field is required."],
                "password": ["This field is required."],
                "name": ["This field is required."],
            },
        },
    }


@pytest.mark.django_db
def test_registering_with_an_invalid_email_is_a_validation_error(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "not-an-email", "password": DEFAULT_PASSWORD, "name": "Ada"},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"email": ["Enter a valid email address."]}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_exactly_one_account():
    attempts = 6
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def register() -> None:
        try:
            barrier.wait()
            response = APIClient().post(
                REGISTER,
                {"email": "race@example.com", "password": DEFAULT_PASSWORD, "name": "Racer"},
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * (attempts - 1)
    assert User.objects.filter(email="race@example.com").count() == 1
