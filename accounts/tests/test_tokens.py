"""Token endpoints: obtain a pair, rotate it with the refresh token, log out."""

import threading
from datetime import timedelta
from unittest.mock import ANY

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

OBTAIN = "/api/auth/token"
REFRESH = "/api/auth/token/refresh"
LOGOUT = "/api/auth/logout"


def unauthorized(message: str, reason: str) -> dict:
    return {
        "data": None,
        "error": {"code": "UNAUTHORIZED", "message": message, "details": {"reason": reason}},
    }


INVALID_CREDENTIALS = unauthorized("Invalid email or password.", "credentials_invalid")


def claims_of(token: str) -> dict:
    return jwt.decode(
        token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=[settings.SIMPLE_JWT["ALGORITHM"]]
    )


def expired_refresh_token(user) -> str:
    """A refresh token this service issued to the user, whose time ran out a second ago."""
    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def refresh_token_forged_with_the_jti_of(refresh: str) -> str:
    """A refresh token with another one's claims, signed with a key that is not the service's."""
    return jwt.encode(claims_of(refresh), "not-the-signing-key-" * 3, algorithm="HS256")


def access_works(token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/auth/me").status_code == 200


# --- Obtain ---------------------------------------------------------------------------------


def test_signing_in_returns_an_access_and_a_refresh_token_for_the_user(api_client, user):
    response = api_client.post(
        OBTAIN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"access": ANY, "refresh": ANY}, "error": None}
    access = claims_of(response.json()["data"]["access"])
    refresh = claims_of(response.json()["data"]["refresh"])
    assert access == {
        "token_type": "access",
        "user_id": str(user.id),
        "exp": ANY,
        "iat": ANY,
        "jti": ANY,
    }
    assert refresh["token_type"] == "refresh"
    assert refresh["user_id"] == str(user.id)
    assert access["exp"] - access["iat"] == 15 * 60
    assert jwt.get_unverified_header(response.json()["data"]["access"])["alg"] == "HS256"
    assert access_works(response.json()["data"]["access"])


def test_signing_in_accepts_the_email_in_any_case(api_client, user):
    response = api_client.post(
        OBTAIN, {"email": user.email.upper(), "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_signing_in_with_a_wrong_password_is_unauthorized(api_client, user):
    response = api_client.post(
        OBTAIN, {"email": user.email, "password": "wrong-password-123"}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_signing_in_with_an_unknown_email_fails_exactly_like_a_wrong_password(api_client, db):
    response = api_client.post(
        OBTAIN, {"email": "nobody@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


def test_a_deactivated_user_cannot_sign_in(api_client, db):
    inactive = UserFactory(is_active=False)

    response = api_client.post(
        OBTAIN, {"email": inactive.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == INVALID_CREDENTIALS


def test_signing_in_without_credentials_names_the_missing_fields(api_client, db):
    response = api_client.post(OBTAIN, {}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: This field is required.",
            "details": {
                "email": ["This field is required."],
                "password": ["This field is required."],
            },
        },
    }


# --- Refresh --------------------------------------------------------------------------------


def test_refreshing_returns_a_new_pair_for_the_same_user(api_client, user):
    refresh = str(RefreshToken.for_user(user))

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert response.json() == {"data": {"access": ANY, "refresh": ANY}, "error": None}
    pair = response.json()["data"]
    assert pair["refresh"] != refresh
    assert claims_of(pair["refresh"])["user_id"] == str(user.id)
    assert access_works(pair["access"])


def test_a_refresh_token_works_only_once(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    first = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    reused = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert first.status_code == 200
    assert reused.status_code == 401
    assert reused.json() == unauthorized("Token is blacklisted", "token_blacklisted")


def test_the_rotated_refresh_token_can_itself_be_refreshed(api_client, user):
    rotated = api_client.post(
        REFRESH, {"refresh": str(RefreshToken.for_user(user))}, format="json"
    ).json()["data"]["refresh"]

    response = api_client.post(REFRESH, {"refresh": rotated}, format="json")

    assert response.status_code == 200


def test_an_access_token_cannot_be_used_to_refresh(api_client, user):
    access = str(RefreshToken.for_user(user).access_token)

    response = api_client.post(REFRESH, {"refresh": access}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token has wrong type", "token_invalid")


def test_refreshing_with_a_garbage_token_is_unauthorized(api_client, db):
    response = api_client.post(REFRESH, {"refresh": "not.a.token"}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is invalid", "token_invalid")


def test_a_deactivated_users_refresh_token_is_refused(api_client, db):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    user.is_active = False
    user.save()

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("User is inactive", "user_inactive")


def test_a_deleted_users_refresh_token_is_refused(api_client, db):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("User not found", "user_not_found")


def test_an_expired_refresh_token_is_refused_as_expired(api_client, user):
    response = api_client.post(REFRESH, {"refresh": expired_refresh_token(user)}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is expired", "token_expired")


def test_a_forged_token_with_the_id_of_a_revoked_one_is_invalid_not_revoked(api_client, user):
    """Only a token the service signed is looked up on the blacklist: a forger learns nothing
    about which token ids are revoked."""
    revoked = str(RefreshToken.for_user(user))
    api_client.post(LOGOUT, {"refresh": revoked}, format="json")

    response = api_client.post(
        REFRESH, {"refresh": refresh_token_forged_with_the_jti_of(revoked)}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is invalid", "token_invalid")


def test_refreshing_without_a_token_is_a_validation_error(api_client, db):
    response = api_client.post(REFRESH, {}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"refresh": ["This field is required."]}


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_succeed_exactly_once():
    refresh = str(RefreshToken.for_user(UserFactory()))
    attempts = 8
    barrier = threading.Barrier(attempts)
    answers: list[tuple[int, str | None]] = []

    def use_refresh_token() -> None:
        try:
            barrier.wait()
            response = APIClient().post(REFRESH, {"refresh": refresh}, format="json")
            error = response.json()["error"]
            answers.append((response.status_code, error["details"]["reason"] if error else None))
        finally:
            connection.close()

    threads = [threading.Thread(target=use_refresh_token) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners_first = sorted(answers, key=lambda answer: answer[0])
    assert winners_first == [(200, None)] + [(401, "token_blacklisted")] * (attempts - 1)


# --- Logout ---------------------------------------------------------------------------------


def test_logging_out_answers_204_with_an_empty_body(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": str(RefreshToken.for_user(user))}, format="json")

    assert response.status_code == 204
    assert response.content == b""


def test_a_logged_out_refresh_token_can_no_longer_refresh(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    api_client.post(LOGOUT, {"refresh": refresh}, format="json")

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is blacklisted", "token_blacklisted")


def test_logging_out_leaves_the_users_other_sessions_signed_in(api_client, user):
    this_session = str(RefreshToken.for_user(user))
    other_session = str(RefreshToken.for_user(user))
    api_client.post(LOGOUT, {"refresh": this_session}, format="json")

    response = api_client.post(REFRESH, {"refresh": other_session}, format="json")

    assert response.status_code == 200


def test_logging_out_twice_with_one_token_is_unauthorized(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    api_client.post(LOGOUT, {"refresh": refresh}, format="json")

    response = api_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is blacklisted", "token_blacklisted")


def test_logging_out_with_a_garbage_token_is_unauthorized(api_client, db):
    response = api_client.post(LOGOUT, {"refresh": "garbage"}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is invalid", "token_invalid")


def test_logging_out_with_an_expired_refresh_token_is_refused_as_expired(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": expired_refresh_token(user)}, format="json")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is expired", "token_expired")


@pytest.mark.parametrize("account", ["deactivated", "deleted"])
def test_logging_out_revokes_the_token_whatever_became_of_its_account(api_client, db, account):
    """The refresh token is the proof of the session; revoking it is never refused for the
    account's sake, and a refresh after it is refused as revoked."""
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    if account == "deleted":
        user.delete()
    else:
        user.is_active = False
        user.save()

    logged_out = api_client.post(LOGOUT, {"refresh": refresh}, format="json")
    refreshed = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert logged_out.status_code == 204
    assert refreshed.json() == unauthorized("Token is blacklisted", "token_blacklisted")
