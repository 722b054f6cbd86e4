"""The OpenAPI document tells a client why each operation can answer 401.

Every 401 is the UnauthorizedEnvelope, whose `details.reason` is one of the reasons; each
operation's 401 description lists the reasons that operation can give, each with what it
means. The tests of each reason through the API live beside the routes' own tests.
"""

import re

import pytest

UNAUTHORIZED_ENVELOPE_REF = {"$ref": "#/components/schemas/UnauthorizedEnvelope"}
ALL_REASONS = [
    "token_missing",
    "token_expired",
    "token_invalid",
    "token_blacklisted",
    "user_inactive",
    "user_not_found",
    "credentials_invalid",
]
BEARER_TOKEN_REASONS = [
    "token_missing",
    "token_expired",
    "token_invalid",
    "user_inactive",
    "user_not_found",
]
# The operations that check credentials sent in the body rather than a bearer token.
BODY_CREDENTIAL_REASONS = {
    ("/api/auth/token", "post"): ["credentials_invalid"],
    ("/api/auth/token/refresh", "post"): [
        "token_expired",
        "token_invalid",
        "token_blacklisted",
        "user_inactive",
        "user_not_found",
    ],
    ("/api/auth/logout", "post"): ["token_expired", "token_invalid", "token_blacklisted"],
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/openapi.json").json()


def documented_reasons(response: dict) -> list[str]:
    return re.findall(r"^- `(\w+)`: \S", response["description"], re.MULTILINE)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield (path, method), operation


def test_a_401_carries_code_unauthorized_and_one_of_the_reasons(schema):
    error = schema["components"]["schemas"]["UnauthorizedEnvelope"]["properties"]["error"]

    assert error["required"] == ["code", "message", "details"]
    assert error["properties"]["code"]["enum"] == ["UNAUTHORIZED"]
    details = error["properties"]["details"]
    assert details["required"] == ["reason"]
    assert details["properties"]["reason"]["enum"] == ALL_REASONS
    assert documented_reasons(details["properties"]["reason"]) == ALL_REASONS


@pytest.mark.parametrize(("key", "reasons"), BODY_CREDENTIAL_REASONS.items(), ids=str)
def test_the_auth_operations_list_the_reasons_their_credentials_are_refused(schema, key, reasons):
    path, method = key
    response = schema["paths"][path][method]["responses"]["401"]

    assert response["content"]["application/json"]["schema"] == UNAUTHORIZED_ENVELOPE_REF
    assert documented_reasons(response) == reasons


def test_every_other_operation_with_a_401_lists_the_reasons_a_bearer_token_is_refused(schema):
    bearer_operations = {
        key: operation
        for key, operation in operations(schema)
        if "401" in operation["responses"] and key not in BODY_CREDENTIAL_REASONS
    }

    assert ("/api/auth/me", "get") in bearer_operations
    for key, operation in bearer_operations.items():
        response = operation["responses"]["401"]
        assert operation["security"], key
        assert response["content"]["application/json"]["schema"] == UNAUTHORIZED_ENVELOPE_REF
        assert documented_reasons(response) == BEARER_TOKEN_REASONS, key


def test_operations_that_need_no_credentials_document_no_401(schema):
    without = {key for key, operation in operations(schema) if "401" not in operation["responses"]}

    assert without == {("/api/auth/register", "post"), ("/health", "get")}
