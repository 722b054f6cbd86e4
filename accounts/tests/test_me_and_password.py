"""GET and PATCH /api/auth/me, and POST /api/auth/password."""

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import DEFAULT_PASSWORD

ME = "/api/auth/me"
PASSWORD = "/api/auth/password"
NEW_PASSWORD = "a-brand-new-passphrase-42"

NOT_SIGNED_IN = {
    "data": None,
    "error": {
        "code": "UNAUTHORIZED",
        "message": "Authentication credentials were not provided.",
        "details": {"reason": "token_missing"},
    },
}


def iso(moment) -> str:
    """A datetime as the API writes it: ISO 8601, UTC as `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


def user_json(user) -> dict:
    user.refresh_from_db()
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "image": user.image,
        "email_verified": user.email_verified,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
    }


# --- Me -------------------------------------------------------------------------------------


def test_me_returns_the_signed_in_user(auth_client, user):
    response = auth_client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "image": None,
            "email_verified": False,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
        },
        "error": None,
    }


def test_me_without_a_token_is_unauthorized_with_a_bearer_challenge(api_client, db):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == NOT_SIGNED_IN
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_patching_me_changes_name_and_image(auth_client, user):
    response = auth_client.patch(
        ME, {"name": "Grace Hopper", "image": "https://img.example.com/grace.png"}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "Grace Hopper"
    assert user.image == "https://img.example.com/grace.png"
    assert response.json() == {"data": user_json(user), "error": None}


def test_patching_me_with_what_it_already_has_changes_nothing(auth_client, user):
    before = auth_client.get(ME).json()["data"]

    response = auth_client.patch(ME, {"name": before["name"]}, format="json")

    assert response.status_code == 200
    assert response.json()["data"] == before
    assert auth_client.get(ME).json()["data"]["updated_at"] == before["updated_at"]


def test_patching_me_with_a_new_name_moves_updated_at(auth_client, user):
    before = auth_client.get(ME).json()["data"]

    after = auth_client.patch(ME, {"name": before["name"] + " Jr."}, format="json").json()["data"]

    assert after["name"] == before["name"] + " Jr."
    assert after["updated_at"] > before["updated_at"]


def test_patching_me_ignores_email_id_and_email_verified(auth_client, user):
    original_email = user.email

    response = auth_client.patch(
        ME,
        {
            "name": "Grace Hopper",
            "email": "someone-else@example.com",
            "id": "00000000-0000-0000-0000-000000000000",
            "email_verified": True,
        },
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.email, user.email_verified, user.name) == (original_email, False, "Grace Hopper")
    assert response.json() == {"data": user_json(user), "error": None}


def test_patching_me_can_clear_the_image(auth_client, user):
    user.image = "https://img.example.com/old.png"
    user.save()

    response = auth_client.patch(ME, {"image": None}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["image"] is None


def test_patching_me_with_an_invalid_image_url_is_a_validation_error(auth_client, user):
    response = auth_client.patch(ME, {"image": "not a url"}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: Enter a valid URL.",
            "details": {"image": ["Enter a valid URL."]},
        },
    }


def test_patching_me_with_a_blank_name_is_a_validation_error(auth_client, user):
    response = auth_client.patch(ME, {"name": ""}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"name": ["This field may not be blank."]}


def test_replacing_me_with_put_is_not_allowed(auth_client, user):
    response = auth_client.put(ME, {"name": "Grace Hopper"}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "data": None,
        "error": {
            "code": "METHOD_NOT_ALLOWED",
            "message": 'Method "PUT" not allowed.',
            "details": None,
        },
    }


# --- Password change ------------------------------------------------------------------------


def test_changing_the_password_answers_204_and_the_new_password_signs_in(auth_client, user):
    response = auth_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204
    assert response.content == b""
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(DEFAULT_PASSWORD)


def test_changing_the_password_revokes_every_earlier_refresh_token(auth_client, api_client, user):
    earlier = [str(RefreshToken.for_user(user)) for _ in range(2)]

    auth_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    for refresh in earlier:
        response = api_client.post("/api/auth/token/refresh", {"refresh": refresh}, format="json")
        assert response.status_code == 401
        assert response.json()["error"] == {
            "code": "UNAUTHORIZED",
            "message": "Token is blacklisted",
            "details": {"reason": "token_blacklisted"},
        }


def test_a_refresh_token_issued_after_the_change_still_works(auth_client, api_client, user):
    auth_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    later = str(RefreshToken.for_user(user))

    response = api_client.post("/api/auth/token/refresh", {"refresh": later}, format="json")

    assert response.status_code == 200


def test_changing_the_password_with_a_wrong_old_password_is_a_validation_error(auth_client, user):
    response = auth_client.post(
        PASSWORD, {"old_password": "not-my-password", "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: The current password is incorrect.",
            "details": {"old_password": ["The current password is incorrect."]},
        },
    }
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_changing_to_a_weak_password_lists_the_validator_failures(auth_client, user):
    response = auth_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": "password"}, format="json"
    )

    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: This password is too common.",
            "details": {"new_password": ["This password is too common."]},
        },
    }
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_failed_password_change_revokes_no_refresh_token(auth_client, api_client, user):
    refresh = str(RefreshToken.for_user(user))
    auth_client.post(
        PASSWORD, {"old_password": "not-my-password", "new_password": NEW_PASSWORD}, format="json"
    )

    response = api_client.post("/api/auth/token/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 200


def test_changing_the_password_without_a_token_is_unauthorized(api_client, db):
    response = api_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == NOT_SIGNED_IN
