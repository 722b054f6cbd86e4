"""Hostile requests: each is refused with the error envelope, never a 500, and writes nothing.

One table, a row per request: what is sent, the status and error code that answer it, and for
a 422 the fields `details` names. Around every request the test counts the rows a request
could write (users, tasks, issued and revoked refresh tokens) and reads the signed-in user's
row and their task's row; refused means none of that changed. Requests go through a client
that meets CSRF checks as a real one does. Odd requests the API accepts close the file, each
asserting the write it makes.
"""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from tasks.models import Task
from tasks.tests.factories import TaskFactory

TASKS = "/api/{user_id}/tasks"
TASK = "/api/{user_id}/tasks/{task_id}"
COMPLETE = "/api/{user_id}/tasks/{task_id}/complete"
REGISTER = "/api/auth/register"
TOKEN = "/api/auth/token"
REFRESH = "/api/auth/token/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"
PASSWORD = "/api/auth/password"

TEN_MB = 10 * 1024 * 1024
NEW_ACCOUNT = {"email": "new@example.com", "password": "analytical-engine-1843", "name": "New"}
SIGN_IN = {"email": "new@example.com", "password": DEFAULT_PASSWORD}
PASSWORD_CHANGE = {"old_password": DEFAULT_PASSWORD, "new_password": "difference-engine-1822"}
EMOJI = "\U0001f600"  # four bytes in UTF-8, one character
MUST_NOT_EXIST = {"title": "Must not exist"}


# --- Credentials ----------------------------------------------------------------------------

Credentials = Callable[[User], str | None]


def signed_in(user: User) -> str:
    return f"Bearer {AccessToken.for_user(user)}"


def no_credentials(user: User) -> None:
    return None


def sent_as(template: str) -> Credentials:
    """An Authorization header shaped by `template` around the user's valid access token."""
    return lambda user: template.format(access=AccessToken.for_user(user))


def forged(algorithm: str = "HS256", key: str | None = None, drop=(), **claims) -> Credentials:
    """An access token made with PyJWT: valid unless the arguments say otherwise.

    `exp`, `nbf` and `iat` are seconds from now; other claims replace the defaults, `drop`
    leaves claims out, and `key` replaces the signing key.
    """

    def build(user: User) -> str:
        now = int(time.time())
        payload = {
            "token_type": "access",
            "exp": now + 300,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "user_id": str(user.pk),
        }
        for name, value in claims.items():
            payload[name] = now + value if name in {"exp", "nbf", "iat"} else value
        for name in drop:
            del payload[name]
        signing_key = None if algorithm == "none" else key or settings.SIMPLE_JWT["SIGNING_KEY"]
        return f"Bearer {jwt.encode(payload, signing_key, algorithm=algorithm)}"

    return build


def refresh_token_as_access(user: User) -> str:
    token = RefreshToken()
    token["user_id"] = str(user.pk)
    return f"Bearer {token}"


def token_of_deleted_user(user: User) -> str:
    gone = UserFactory()
    header = signed_in(gone)
    gone.delete()
    return header


# --- The table ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Hostile:
    """A request and how it must be refused.

    `path` may name `{user_id}` and `{task_id}` (the signed-in user and their task). `body` is
    sent as JSON unless it is bytes, which are sent as they are; None sends no body. A 401
    says its `reason` in `details`.
    """

    method: str
    path: str
    status: int
    code: str
    fields: tuple[str, ...] = ()
    reason: str | None = None
    body: object = None
    query: str = ""
    content_type: str = "application/json"
    authorization: Credentials = signed_in
    headers: dict = field(default_factory=dict)


def row(id: str, **request) -> pytest.param:
    return pytest.param(Hostile(**request), id=id)


def invalid(id: str, method: str, path: str, body, *fields: str) -> pytest.param:
    """Refused with 422, `details` naming exactly `fields`."""
    return row(
        id, method=method, path=path, body=body, status=422, code="VALIDATION_ERROR", fields=fields
    )


def list_query(id: str, query: str, *fields: str) -> pytest.param:
    """A task list query refused with 422, `details` naming exactly `fields`."""
    return row(
        id,
        method="GET",
        path=TASKS,
        query=query,
        status=422,
        code="VALIDATION_ERROR",
        fields=fields,
    )


def malformed(id: str, path: str, raw: bytes) -> pytest.param:
    return row(id, method="POST", path=path, body=raw, status=400, code="BAD_REQUEST")


def too_large(id: str, path: str, raw: bytes) -> pytest.param:
    return row(id, method="POST", path=path, body=raw, status=413, code="PAYLOAD_TOO_LARGE")


def unsupported(id: str, path: str, raw: bytes, content_type: str) -> pytest.param:
    return row(
        id,
        method="POST",
        path=path,
        body=raw,
        content_type=content_type,
        status=415,
        code="UNSUPPORTED_MEDIA_TYPE",
    )


def forbidden(id: str, method: str, path: str, body=None) -> pytest.param:
    return row(id, method=method, path=path, body=body, status=403, code="FORBIDDEN")


def not_found(id: str, method: str, path: str, body=None) -> pytest.param:
    return row(id, method=method, path=path, body=body, status=404, code="NOT_FOUND")


def unexpiring_access_token() -> str:
    """An access token made when the rows are collected that is still unexpired when a slow
    run reaches them, so that only its type is wrong."""
    token = AccessToken()
    token.set_exp(lifetime=timedelta(days=1))
    return str(token)


def refused_credentials(
    id: str,
    reason: str,
    authorization: Credentials,
    path: str = TASKS,
    body: object = MUST_NOT_EXIST,
) -> pytest.param:
    """Refused with 401 for `reason`: by default a task creation, which must not create the
    task."""
    return row(
        id,
        method="POST",
        path=path,
        body=body,
        authorization=authorization,
        status=401,
        code="UNAUTHORIZED",
        reason=reason,
    )


NUL_BYTES = [
    invalid("nul-in-title", "POST", TASKS, {"title": "Buy\u0000milk"}, "title"),
    invalid(
        "nul-in-description", "POST", TASKS, {"title": "x", "description": "\u0000"}, "description"
    ),
    invalid("nul-in-title-on-update", "PATCH", TASK, {"title": "\u0000"}, "title"),
    list_query("nul-in-search", "search=%00", "search"),
    list_query("nul-in-sort", "sort=%00", "sort"),
    forbidden("nul-as-user-id", "GET", "/api/%00/tasks"),
    forbidden("nul-after-own-user-id", "POST", "/api/{user_id}%00/tasks", {"title": "x"}),
    not_found("nul-after-task-id", "GET", TASK + "%00"),
    not_found("nul-after-task-id-on-delete", "DELETE", TASK + "%00"),
    invalid(
        "nul-in-register-email",
        "POST",
        REGISTER,
        {**NEW_ACCOUNT, "email": "new\u0000@example.com"},
        "email",
    ),
    invalid(
        "nul-in-register-password",
        "POST",
        REGISTER,
        {**NEW_ACCOUNT, "password": "analytical\u0000engine"},
        "password",
    ),
    invalid("nul-in-token-email", "POST", TOKEN, {**SIGN_IN, "email": "new@\u0000"}, "email"),
    invalid("nul-in-token-password", "POST", TOKEN, {**SIGN_IN, "password": "\u0000"}, "password"),
]

# Python cannot encode a lone surrogate, so these bodies are written as JSON text.
LONE_SURROGATES = [
    malformed("lone-high-surrogate-in-title", TASKS, rb'{"title": "\ud800"}'),
    malformed("lone-low-surrogate-in-title", TASKS, rb'{"title": "a\udc00b"}'),
    malformed("reversed-surrogate-pair-in-title", TASKS, rb'{"title": "\udc00\ud800"}'),
    malformed(
        "lone-surrogate-in-register-email",
        REGISTER,
        rb'{"email": "\ud800@example.com", "password": "a-long-password", "name": "N"}',
    ),
    malformed(
        "lone-surrogate-in-token-password",
        TOKEN,
        rb'{"email": "new@example.com", "password": "\udbff"}',
    ),
]

BODIES = [
    too_large("10-mb-task", TASKS, b'{"title": "' + b"a" * TEN_MB + b'"}'),
    too_large("10-mb-registration", REGISTER, b'{"name": "' + b"a" * TEN_MB + b'"}'),
    malformed("malformed-json", TASKS, b'{"title": '),
    malformed("json-then-garbage", TASKS, b'{"title": "x"} x'),
    malformed("nan", TASKS, b'{"title": "x", "completed": NaN}'),
    malformed("json-array-body", TASKS, b'[{"title": "x"}]'),
    malformed("json-string-body", TASKS, b'"x"'),
    malformed("json-number-body", TASKS, b"1"),
    malformed("json-null-body", TASKS, b"null"),
    malformed("json-true-body", TASKS, b"true"),
    malformed("json-array-to-register", REGISTER, b"[]"),
    unsupported("form-encoded-body", TASKS, b"title=x", "application/x-www-form-urlencoded"),
    unsupported("text-plain-body", TASKS, b'{"title": "x"}', "text/plain"),
    unsupported("multipart-body", TASKS, b"--b\r\n\r\n--b--", "multipart/form-data; boundary=b"),
    unsupported("octet-stream-body", TASKS, b'{"title": "x"}', "application/octet-stream"),
    unsupported(
        "form-encoded-sign-in", TOKEN, b"email=a&password=b", "application/x-www-form-urlencoded"
    ),
    # An empty body parses as `{}`: whatever is required is missing.
    invalid("empty-body-on-create", "POST", TASKS, b"", "title"),
    invalid("empty-body-on-replace", "PUT", TASK, b"", "title"),
    invalid("empty-body-on-complete", "PATCH", COMPLETE, b"", "completed"),
    invalid("empty-body-on-register", "POST", REGISTER, b"", "email", "name", "password"),
    invalid("empty-body-on-sign-in", "POST", TOKEN, b"", "email", "password"),
    invalid(
        "due-date-before-year-1-in-utc",
        "POST",
        TASKS,
        {"title": "x", "due_date": "0001-01-01T00:00:00+21:30"},
        "due_date",
    ),
    invalid(
        "due-date-after-year-9999-in-utc",
        "PATCH",
        TASK,
        {"due_date": "9999-12-31T23:00:00-05:00"},
        "due_date",
    ),
    invalid("title-of-256-emoji", "POST", TASKS, {"title": EMOJI * 256}, "title"),
    invalid(
        "title-of-whitespace-python-trims", "POST", TASKS, {"title": " \t\u001e\u3000"}, "title"
    ),
]

QUERIES = [
    list_query("limit-10e30", f"limit={10**30}", "limit"),
    list_query("offset-10e30", f"offset={10**30}", "offset"),
    list_query("limit-negative", "limit=-1", "limit"),
    list_query("offset-negative", "offset=-1", "offset"),
    list_query("limit-zero", "limit=0", "limit"),
    list_query("limit-float", "limit=1.5", "limit"),
    list_query("offset-float", "offset=2.5", "offset"),
    list_query("limit-exponent", "limit=1e1", "limit"),
    list_query("limit-with-a-decimal-zero", "limit=10.0", "limit"),
    list_query("limit-with-an-underscore", "limit=1_0", "limit"),
    list_query("limit-in-full-width-digits", "limit=%EF%BC%91%EF%BC%90", "limit"),
    list_query("offset-with-a-leading-space", "offset=%200", "offset"),
    list_query("limit-empty", "limit=", "limit"),
    list_query("offset-empty", "offset=", "offset"),
    list_query("limit-repeated", "limit=1&limit=2", "limit"),
    list_query("limit-and-offset-repeated", "limit=1&offset=0&limit=1&offset=0", "limit", "offset"),
    list_query("status-unknown", "status=done", "status"),
    list_query("status-in-upper-case", "status=PENDING", "status"),
    list_query("sort-unknown", "sort=password", "sort"),
    list_query("sort-across-a-relation", "sort=user__password", "sort"),
    list_query("sort-direction-only", "sort=-", "sort"),
    list_query("due-before-not-a-date", "due_before=yesterday", "due_before"),
    list_query("due-after-year-zero", "due_after=0000-01-01", "due_after"),
    list_query("cursor-not-from-the-api", "cursor=garbage", "cursor"),
    list_query("search-of-100-kb", "search=" + "a" * 100_000, "search"),
    row(
        "query-of-100-kb-in-parameters",
        method="GET",
        path=TASKS,
        query="a=1&" * 25_000,
        status=400,
        code="BAD_REQUEST",
    ),
]

IDS = [
    forbidden("user-id-not-a-uuid", "GET", "/api/not-a-uuid/tasks"),
    forbidden("user-id-in-braces", "GET", "/api/%7B{user_id}%7D/tasks"),
    forbidden("user-id-with-a-suffix", "POST", "/api/{user_id}x/tasks", {"title": "x"}),
    forbidden("user-id-of-nobody", "GET", f"/api/{uuid.uuid4()}/tasks"),
    *[
        not_found(f"task-id-{kind}-on-{method.lower()}", method, path, body)
        for kind, path in [
            ("not-a-uuid", "/api/{user_id}/tasks/not-a-uuid"),
            ("in-braces", "/api/{user_id}/tasks/%7B{task_id}%7D"),
            ("without-dashes", "/api/{user_id}/tasks/" + uuid.uuid4().hex),
            ("of-nobody", f"/api/{{user_id}}/tasks/{uuid.uuid4()}"),
        ]
        for method, body in [
            ("GET", None),
            ("PUT", {"title": "x"}),
            ("PATCH", {"title": "x"}),
            ("DELETE", None),
        ]
    ],
    not_found(
        "task-id-not-a-uuid-on-complete",
        "PATCH",
        "/api/{user_id}/tasks/not-a-uuid/complete",
        {"completed": True},
    ),
]

CREDENTIALS = [
    refused_credentials("no-authorization", "token_missing", no_credentials),
    refused_credentials("no-scheme", "token_missing", sent_as("{access}")),
    refused_credentials("empty-bearer", "token_invalid", sent_as("Bearer ")),
    refused_credentials("basic-scheme", "token_missing", sent_as("Basic dXNlcjpwYXNzd29yZA==")),
    refused_credentials("two-tokens", "token_invalid", sent_as("Bearer {access} {access}")),
    refused_credentials(
        "token-with-trailing-garbage", "token_invalid", sent_as("Bearer {access}x")
    ),
    refused_credentials("alg-none", "token_invalid", forged(algorithm="none")),
    refused_credentials("hs512-with-the-signing-key", "token_invalid", forged(algorithm="HS512")),
    refused_credentials(
        "signed-with-another-key", "token_invalid", forged(key="not-the-signing-key-" * 3)
    ),
    refused_credentials("expired", "token_expired", forged(exp=-1)),
    refused_credentials("not-valid-before-a-minute-from-now", "token_invalid", forged(nbf=60)),
    refused_credentials("without-exp", "token_invalid", forged(drop=["exp"])),
    refused_credentials("without-token-type", "token_invalid", forged(drop=["token_type"])),
    refused_credentials("without-user-id", "token_invalid", forged(drop=["user_id"])),
    refused_credentials("user-id-not-a-uuid", "token_invalid", forged(user_id="1 OR 1=1")),
    refused_credentials("user-id-of-nobody", "user_not_found", forged(user_id=str(uuid.uuid4()))),
    refused_credentials("refresh-token-as-access-token", "token_invalid", refresh_token_as_access),
    refused_credentials("token-of-a-deleted-user", "user_not_found", token_of_deleted_user),
    # The refresh token goes in the body; these send an access token there instead.
    refused_credentials(
        "access-token-as-refresh-token",
        "token_invalid",
        no_credentials,
        REFRESH,
        {"refresh": unexpiring_access_token()},
    ),
    refused_credentials(
        "access-token-to-log-out",
        "token_invalid",
        no_credentials,
        LOGOUT,
        {"refresh": unexpiring_access_token()},
    ),
]

NULLS = [
    invalid("null-title-on-create", "POST", TASKS, {"title": None}, "title"),
    invalid("null-title-on-replace", "PUT", TASK, {"title": None}, "title"),
    invalid("null-title-on-update", "PATCH", TASK, {"title": None}, "title"),
    invalid("null-completed-on-update", "PATCH", TASK, {"completed": None}, "completed"),
    invalid("null-completed-on-complete", "PATCH", COMPLETE, {"completed": None}, "completed"),
    *[
        invalid(f"null-{name}-on-register", "POST", REGISTER, {**NEW_ACCOUNT, name: None}, name)
        for name in NEW_ACCOUNT
    ],
    *[
        invalid(f"null-{name}-on-sign-in", "POST", TOKEN, {**SIGN_IN, name: None}, name)
        for name in SIGN_IN
    ],
    invalid("null-refresh-on-refresh", "POST", REFRESH, {"refresh": None}, "refresh"),
    invalid("null-refresh-on-logout", "POST", LOGOUT, {"refresh": None}, "refresh"),
    invalid("null-name-on-me", "PATCH", ME, {"name": None}, "name"),
    *[
        invalid(f"null-{name}", "POST", PASSWORD, {**PASSWORD_CHANGE, name: None}, name)
        for name in PASSWORD_CHANGE
    ],
]

# Every field of every body, given JSON of another type than its own.
WRONG_TYPES_FOR = {
    "string": [123, 1.5, True, ["x"], {"x": "y"}],
    "boolean": ["true", 1, ["true"], {}],
    "datetime": [1767225600, True, ["2026-01-01"], {"date": "2026-01-01"}],
}
TASK_FIELDS = {
    "title": "string",
    "description": "string",
    "due_date": "datetime",
    "completed": "boolean",
}
WRONG_TYPE_ROUTES = [
    # (route, method, path, a valid body, {field: its type})
    ("create", "POST", TASKS, {"title": "Valid"}, TASK_FIELDS),
    ("replace", "PUT", TASK, {"title": "Valid"}, TASK_FIELDS),
    ("update", "PATCH", TASK, {}, TASK_FIELDS),
    ("complete", "PATCH", COMPLETE, {}, {"completed": "boolean"}),
    ("register", "POST", REGISTER, NEW_ACCOUNT, dict.fromkeys(NEW_ACCOUNT, "string")),
    ("sign-in", "POST", TOKEN, SIGN_IN, dict.fromkeys(SIGN_IN, "string")),
    ("refresh", "POST", REFRESH, {}, {"refresh": "string"}),
    ("logout", "POST", LOGOUT, {}, {"refresh": "string"}),
    ("me", "PATCH", ME, {}, {"name": "string", "image": "string"}),
    ("password", "POST", PASSWORD, PASSWORD_CHANGE, dict.fromkeys(PASSWORD_CHANGE, "string")),
]
WRONG_TYPES = [
    invalid(f"{route}-{name}-as-{type(value).__name__}", method, path, {**valid, name: value}, name)
    for route, method, path, valid, types in WRONG_TYPE_ROUTES
    for name, kind in types.items()
    for value in WRONG_TYPES_FOR[kind]
]

TABLE = [*NUL_BYTES, *LONE_SURROGATES, *BODIES, *QUERIES, *IDS, *CREDENTIALS, *NULLS, *WRONG_TYPES]


# --- The test -------------------------------------------------------------------------------


@pytest.fixture
def client_as_deployed() -> APIClient:
    """A client that meets the CSRF checks a real one meets: Django's test client skips them
    unless asked, which would hide an HTML 403 from any view that is not DRF's."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def task(user) -> Task:
    return TaskFactory(user=user, title="Untouched", description="As created")


def written_state(user: User, task: Task) -> dict:
    """Everything a request could have written: row counts, and the rows it could change."""
    return {
        "users": User.objects.count(),
        "tasks": Task.objects.count(),
        "issued refresh tokens": OutstandingToken.objects.count(),
        "revoked refresh tokens": BlacklistedToken.objects.count(),
        "the user": User.objects.filter(pk=user.pk).values().first(),
        "the task": Task.objects.filter(pk=task.pk).values().first(),
    }


def send(client: APIClient, request: Hostile, user: User, task: Task, authorization: str | None):
    path = request.path.format(user_id=user.pk, task_id=task.pk)
    if request.query:
        path = f"{path}?{request.query}"
    if request.body is None:
        body = b""
    elif isinstance(request.body, bytes):
        body = request.body
    else:
        body = json.dumps(request.body).encode()
    headers = dict(request.headers)
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.generic(
        request.method, path, body, content_type=request.content_type, headers=headers
    )


@pytest.mark.parametrize("hostile", TABLE)
def test_a_hostile_request_is_refused_with_the_error_envelope_and_writes_nothing(
    client_as_deployed, user, task, hostile
):
    # Made first: the token of a deleted user writes a user and removes it.
    authorization = hostile.authorization(user)
    before = written_state(user, task)

    response = send(client_as_deployed, hostile, user, task, authorization)

    assert response.status_code == hostile.status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["data"] is None
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == hostile.code
    assert isinstance(error["message"], str) and error["message"]
    if hostile.status == 422:
        assert set(error["details"]) == set(hostile.fields)
        for messages in error["details"].values():
            assert messages and all(isinstance(message, str) for message in messages)
    elif hostile.status == 401:
        assert error["details"] == {"reason": hostile.reason}
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    else:
        assert error["details"] is None
    assert written_state(user, task) == before


# --- Odd requests the API accepts -----------------------------------------------------------


def test_a_title_of_255_four_byte_emoji_is_stored_whole(auth_client, user):
    response = auth_client.post(
        TASKS.format(user_id=user.pk), {"title": EMOJI * 255}, format="json"
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert task.title == EMOJI * 255
    assert response.json()["data"]["title"] == EMOJI * 255


def test_a_task_id_in_upper_case_names_the_same_task(auth_client, user):
    task = TaskFactory(user=user)

    response = auth_client.patch(
        TASK.format(user_id=user.pk, task_id=str(task.pk).upper()),
        {"title": "Renamed"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(task.pk)
    task.refresh_from_db()
    assert task.title == "Renamed"


def test_a_user_id_in_upper_case_names_the_signed_in_user(auth_client, user):
    response = auth_client.post(
        TASKS.format(user_id=str(user.pk).upper()), {"title": "Mine"}, format="json"
    )

    assert response.status_code == 201
    assert Task.objects.get().user_id == user.pk


def test_read_only_fields_of_a_new_task_are_ignored(auth_client, user, other_user):
    chosen_id = uuid.uuid4()

    response = auth_client.post(
        TASKS.format(user_id=user.pk),
        {
            "title": "Mine",
            "id": str(chosen_id),
            "user_id": str(other_user.pk),
            "completed_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.user_id, task.completed_at) == (user.pk, None)
    assert task.pk != chosen_id
    assert task.created_at.year != 2020


def test_fields_a_task_does_not_have_are_refused(auth_client, user, other_user):
    response = auth_client.post(
        TASKS.format(user_id=user.pk),
        {"title": "Mine", "user": str(other_user.pk), "owner": "someone else"},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "user": ["Unknown field."],
        "owner": ["Unknown field."],
    }
    assert not Task.objects.exists()


def test_registering_cannot_grant_staff_rights_or_a_verified_email(db, api_client):
    response = api_client.post(
        REGISTER,
        {**NEW_ACCOUNT, "is_staff": True, "is_superuser": True, "email_verified": True},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "is_staff": ["Unknown field."],
        "is_superuser": ["Unknown field."],
        "email_verified": ["Unknown field."],
    }
    assert not User.objects.filter(email=NEW_ACCOUNT["email"]).exists()


def test_me_cannot_change_staff_rights(auth_client, user):
    response = auth_client.patch(ME, {"name": "Renamed", "is_staff": True}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"is_staff": ["Unknown field."]}
    user.refresh_from_db()
    assert user.is_staff is False
    assert user.name != "Renamed"


def test_me_changes_name_but_not_email(auth_client, user):
    """`email` is a read-only field of the account, so sending it back changes nothing."""
    response = auth_client.patch(
        ME, {"name": "Renamed", "email": "taken@example.com"}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "Renamed"
    assert user.email != "taken@example.com"


def test_a_token_made_with_the_signing_key_and_algorithm_is_accepted(api_client, user):
    """The control for the forged-token rows: each is refused for its one defect."""
    response = api_client.get(
        TASKS.format(user_id=user.pk), headers={"Authorization": forged()(user)}
    )

    assert response.status_code == 200


def test_the_bearer_scheme_is_accepted_in_any_case(api_client, user):
    """RFC 7235: the authentication scheme is case-insensitive."""
    for scheme in ("bearer", "BEARER"):
        access = AccessToken.for_user(user)

        response = api_client.get(
            TASKS.format(user_id=user.pk), headers={"Authorization": f"{scheme} {access}"}
        )

        assert response.status_code == 200, scheme
