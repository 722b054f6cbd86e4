"""Every auth route refuses a body field it does not know, as the task routes do.

A misspelt field would otherwise be dropped while the request succeeds: a camelCase
`newPassword` would leave the password unchanged behind a 422 for the missing field at best,
and `{"name": ..., "avatarUrl": ...}` would change the name and lose the image. Each row is a
body the route would otherwise accept, plus one unknown field.
"""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "analytical-engine-1843"


def refresh_token(user: User) -> str:
    return str(RefreshToken.for_user(user))


# (method, path, body without the unknown field, made from the signed-in user)
ROUTES = {
    "register": (
        "post",
        "/api/auth/register",
        lambda user: {"email": "ada@example.com", "password": NEW_PASSWORD, "name": "Ada"},
    ),
    "token": (
        "post",
        "/api/auth/token",
        lambda user: {"email": user.email, "password": DEFAULT_PASSWORD},
    ),
    "refresh": ("post", "/api/auth/token/refresh", lambda user: {"refresh": refresh_token(user)}),
    "logout": ("post", "/api/auth/logout", lambda user: {"refresh": refresh_token(user)}),
    "password": (
        "post",
        "/api/auth/password",
        lambda user: {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    ),
    "me": ("patch", "/api/auth/me", lambda user: {"name": "Renamed"}),
    "delete me": ("delete", "/api/auth/me", lambda user: {"password": DEFAULT_PASSWORD}),
}


def send(client, route: str, user: User, extra: dict):
    method, path, body = ROUTES[route]
    return getattr(client, method)(path, {**body(user), **extra}, format="json")


@pytest.mark.parametrize("route", ROUTES)
def test_an_auth_body_with_an_unknown_field_is_a_422_naming_it(auth_client, user, route):
    password_hash = user.password

    response = send(auth_client, route, user, {"rememberMe": True})

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: Unknown field.",
            "details": {"rememberMe": ["Unknown field."]},
        },
    }
    user.refresh_from_db()
    assert user.password == password_hash
    assert user.name != "Renamed"
    assert User.objects.count() == 1


@pytest.mark.parametrize("route", ROUTES)
def test_the_same_body_without_it_is_accepted(auth_client, user, route):
    """The control for the row above: the unknown field is what was refused."""
    response = send(auth_client, route, user, {})

    assert response.status_code in (200, 201, 204)


def test_a_camel_case_spelling_of_a_known_field_is_named_with_its_snake_case_form(
    auth_client, user
):
    response = auth_client.post(
        "/api/auth/password",
        {"oldPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "oldPassword": ["Unknown field; did you mean old_password?"],
        "newPassword": ["Unknown field; did you mean new_password?"],
    }
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_the_accounts_read_only_fields_sent_back_change_nothing(auth_client, user):
    """GET /me, change the name, PATCH it all back: what is read-only is ignored."""
    read = auth_client.get("/api/auth/me").json()["data"]

    response = auth_client.patch(
        "/api/auth/me",
        {**read, "name": "Renamed", "email": "other@example.com", "email_verified": True},
        format="json",
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert (user.name, user.email, user.email_verified) == ("Renamed", read["email"], False)
