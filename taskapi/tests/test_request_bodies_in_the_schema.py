"""The OpenAPI document says what RefusesUnknownFields enforces: no request body may carry a
property it does not list, and a body made from what a GET answered stays valid.
"""

import pytest
from openapi_schema_validator import OAS30Validator

from tasks.tests.factories import TaskFactory


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/openapi.json").json()


def request_bodies(schema: dict):
    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield f"{method.upper()} {path}", resolved(schema, media["schema"])


def resolved(schema: dict, node: dict) -> dict:
    if "$ref" not in node:
        return node
    return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]


def body_of(schema: dict, method: str, path: str) -> dict:
    operation = schema["paths"][path][method]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    # With the document's components, so that the references within it (an enum's) resolve.
    return {**resolved(schema, body_schema), "components": schema["components"]}


def is_valid(body_schema: dict, body: dict) -> bool:
    return OAS30Validator(body_schema).is_valid(body)


# openapi-schema-validator does not let `nullable` admit null past a `oneOf` (the document's
# description and image), which Schemathesis and the server do; the rows give them a value.
DESCRIPTION = "Kept"
IMAGE = "https://example.com/ada.png"


TASK = "/api/{user_id}/tasks/{task_id}"


def test_every_request_body_refuses_properties_it_does_not_list(schema):
    bodies = dict(request_bodies(schema))

    assert len(bodies) == 13
    assert {name: body.get("additionalProperties") for name, body in bodies.items()} == {
        name: False for name in bodies
    }


@pytest.mark.parametrize(("method", "path"), [("put", TASK), ("patch", TASK)])
def test_a_task_as_read_with_a_change_is_a_valid_body(schema, auth_client, user, method, path):
    task = TaskFactory(user=user, description=DESCRIPTION)
    read = auth_client.get(f"/api/{user.pk}/tasks/{task.pk}").json()["data"]
    body_schema = body_of(schema, method, path)

    assert is_valid(body_schema, {**read, "title": "Changed"})
    assert not is_valid(body_schema, {**read, "dueDate": "2026-05-01T10:00:00Z"})


def test_completing_takes_the_tasks_read_only_fields_but_no_other(schema, auth_client, user):
    task = TaskFactory(user=user)
    read = auth_client.get(f"/api/{user.pk}/tasks/{task.pk}").json()["data"]
    read_only = {name: read[name] for name in ("id", "user_id", "version", "created_at")}
    body_schema = body_of(schema, "patch", TASK + "/complete")

    assert is_valid(body_schema, {**read_only, "completed": True})
    assert not is_valid(body_schema, {**read_only, "completed": True, "title": read["title"]})


def test_the_account_as_read_with_a_new_name_is_a_valid_body(schema, auth_client, user):
    user.image = IMAGE
    user.save()
    read = auth_client.get("/api/auth/me").json()["data"]
    body_schema = body_of(schema, "patch", "/api/auth/me")

    assert is_valid(body_schema, {**read, "name": "Renamed"})
    assert not is_valid(body_schema, {**read, "name": "Renamed", "is_staff": True})


def test_a_body_of_a_new_task_or_account_lists_no_read_only_property(schema):
    """Nothing is read before a create, so there is nothing to send back."""
    register = body_of(schema, "post", "/api/auth/register")

    assert set(register["properties"]) == {"email", "password", "name"}
    assert is_valid(body_of(schema, "post", "/api/{user_id}/tasks"), {"title": "x", "id": 1})


def test_a_tag_as_read_with_a_new_name_is_a_valid_body(schema, auth_client, user):
    TaskFactory(user=user, tags=["home"])
    read = auth_client.get(f"/api/{user.pk}/tags").json()["data"]["items"][0]
    body_schema = body_of(schema, "patch", "/api/{user_id}/tags/{tag_id}")

    assert is_valid(body_schema, {**read, "name": "House"})
    assert not is_valid(body_schema, {**read, "name": "House", "colour": "#000000"})
