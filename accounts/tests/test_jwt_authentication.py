"""Bearer access tokens: exactly the tokens this service signed, for a live account, pass.

Tokens are built by hand with PyJWT so each test changes one thing about a token that is
otherwise valid; the first test proves the hand-built token is accepted as it stands.
"""

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory

ME = "/api/auth/me"


def unauthorized(message: str, reason: str) -> dict:
    return {
        "data": None,
        "error": {"code": "UNAUTHORIZED", "message": message, "details": {"reason": reason}},
    }


INVALID_TOKEN = unauthorized("Token is invalid", "token_invalid")


def access_claims(user, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user.id),
    }
    claims.update(overrides)
    return claims


def sign(claims: dict, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def get_me(authorization: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(ME)


def test_a_well_formed_hs256_token_signed_with_the_secret_is_accepted(user):
    response = get_me(f"Bearer {sign(access_claims(user))}")

    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(user.id)


def test_an_expired_access_token_is_unauthorized(user):
    expired = access_claims(user, iat=int(time.time()) - 600, exp=int(time.time()) - 1)

    response = get_me(f"Bearer {sign(expired)}")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token is expired", "token_expired")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_signed_with_another_secret_is_unauthorized(user):
    response = get_me(f"Bearer {sign(access_claims(user), key='another-secret-' + 'x' * 40)}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_an_unsigned_alg_none_token_is_unauthorized(user):
    def segment(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    unsigned = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(access_claims(user))}."

    response = get_me(f"Bearer {unsigned}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_a_token_with_another_hmac_algorithm_and_the_right_secret_is_unauthorized(user):
    response = get_me(f"Bearer {sign(access_claims(user), algorithm='HS512')}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_a_refresh_token_is_not_accepted_as_an_access_token(user):
    response = get_me(f"Bearer {RefreshToken.for_user(user)}")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token has wrong type", "token_invalid")


def test_a_token_without_a_jti_is_unauthorized(user):
    claims = access_claims(user)
    del claims["jti"]

    response = get_me(f"Bearer {sign(claims)}")

    assert response.status_code == 401
    assert response.json() == unauthorized("Token has no id", "token_invalid")


@pytest.mark.parametrize(
    ("user_id", "message", "reason"),
    [
        ("not-a-uuid", "Token contained no recognizable user identification", "token_invalid"),
        ({"id": 1}, "Token contained no recognizable user identification", "token_invalid"),
        (None, "User not found", "user_not_found"),
        (42, "User not found", "user_not_found"),
    ],
)
def test_a_well_signed_token_whose_user_id_names_no_user_is_unauthorized(
    user, user_id, message, reason
):
    response = get_me(f"Bearer {sign(access_claims(user, user_id=user_id))}")

    assert response.status_code == 401
    assert response.json() == unauthorized(message, reason)


def test_a_well_signed_token_without_a_user_id_is_unauthorized(user):
    claims = access_claims(user)
    del claims["user_id"]

    response = get_me(f"Bearer {sign(claims)}")

    assert response.status_code == 401
    assert response.json() == unauthorized(
        "Token contained no recognizable user identification", "token_invalid"
    )


def test_a_token_for_a_deactivated_user_is_unauthorized(db):
    user = UserFactory()
    token = sign(access_claims(user))
    user.is_active = False
    user.save()

    response = get_me(f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == unauthorized("User is inactive", "user_inactive")


def test_a_token_for_a_deleted_user_is_unauthorized(db):
    user = UserFactory()
    token = sign(access_claims(user))
    user.delete()

    response = get_me(f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == unauthorized("User not found", "user_not_found")


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer", "Authorization header must contain two space-delimited values"),
        ("Bearer one two", "Authorization header must contain two space-delimited values"),
        ("Bearer garbage", "Token is invalid"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA", "Token is invalid"),
    ],
    ids=["scheme-without-token", "two-tokens", "garbage", "bad-signature"],
)
def test_a_malformed_bearer_header_is_unauthorized(db, authorization, message):
    response = get_me(authorization)

    assert response.status_code == 401
    assert response.json() == unauthorized(message, "token_invalid")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "authorization", ["TOKEN-WITHOUT-SCHEME", "Basic dXNlcjpwYXNz", "Token abc", ""]
)
def test_an_authorization_header_that_is_not_bearer_counts_as_no_credentials(user, authorization):
    if authorization == "TOKEN-WITHOUT-SCHEME":
        authorization = str(RefreshToken.for_user(user).access_token)

    response = get_me(authorization)

    assert response.status_code == 401
    assert response.json() == unauthorized(
        "Authentication credentials were not provided.", "token_missing"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(api_client, scheme):
    user = UserFactory()
    token = RefreshToken.for_user(user).access_token

    response = api_client.get(f"/api/{user.pk}/tasks", HTTP_AUTHORIZATION=f"{scheme} {token}")

    assert response.status_code == 200


# Signed with the right key, so only SimpleJWT's reading of `exp` can refuse them.
UNREADABLE_EXPIRIES = [10**12, 10**20, "1999999999"]


@pytest.mark.parametrize("exp", UNREADABLE_EXPIRIES, ids=["year 33658", "past time_t", "string"])
def test_a_signed_token_whose_expiry_cannot_be_read_is_unauthorized(user, exp):
    response = get_me(f"Bearer {sign(access_claims(user, exp=exp))}")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


@pytest.mark.parametrize("exp", UNREADABLE_EXPIRIES, ids=["year 33658", "past time_t", "string"])
def test_a_signed_refresh_token_whose_expiry_cannot_be_read_is_unauthorized(user, exp):
    claims = access_claims(user, token_type="refresh", exp=exp)

    response = APIClient().post("/api/auth/token/refresh", {"refresh": sign(claims)}, format="json")

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
