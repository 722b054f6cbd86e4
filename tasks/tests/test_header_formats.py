"""The formats /openapi.json gives `If-Match` and `Idempotency-Key` are the ones the server
enforces: for each value below, the document's pattern and the server give the same verdict.

Both read their rule from one constant (tasks/preconditions.py, tasks/idempotency.py), so
these rows check that the constant says, in a pattern a client can run, what the server does.
"""

import re

import pytest

from tasks.models import Task
from tasks.tests.factories import TaskFactory


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/openapi.json").json()


def header(schema: dict, path: str, method: str, name: str) -> dict:
    parameters = schema["paths"][path][method]["parameters"]
    return next(p["schema"] for p in parameters if p["in"] == "header" and p["name"] == name)


def documented_as_valid(header_schema: dict, value: str) -> bool:
    """What a client that validates against the document concludes."""
    return (
        re.search(header_schema["pattern"], value) is not None
        and header_schema.get("minLength", 0) <= len(value)
        and len(value) <= header_schema.get("maxLength", len(value))
    )


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("order-1", True),
        ("8d1c0d0e-2f55-4a57-9e3a-0b8c2a4f1e77", True),
        (" ~!{}", True),
        ("k" * 255, True),
        ("", False),
        ("k" * 256, False),
        ("café", False),
        ("tab\there", False),
    ],
    ids=["word", "uuid", "punctuation", "255 long", "empty", "256 long", "not ascii", "tab"],
)
def test_the_idempotency_key_pattern_is_what_the_server_accepts(
    schema, auth_client, user, key, valid
):
    header_schema = header(schema, "/api/{user_id}/tasks", "post", "Idempotency-Key")

    response = auth_client.post(
        f"/api/{user.pk}/tasks", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert documented_as_valid(header_schema, key) is valid
    if valid:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert list(response.json()["error"]["details"]) == ["Idempotency-Key"]
        assert not Task.objects.exists()


# `{tag}` is the task's current ETag. A value of the documented form is honoured when it names
# the current version (or is `*`); any other value names no version, whatever it contains.
@pytest.mark.parametrize(
    ("if_match", "valid", "status"),
    [
        ("*", True, 200),
        ("{tag}", True, 200),
        ('"x", {tag}', True, 200),
        ('"x",{tag}', True, 200),
        ('W/"x"', True, 412),
        ('""', True, 412),
        ("garbage", False, 412),
        ("{tag}, garbage", False, 412),
        ("*, {tag}", False, 412),
        (" {tag}\t", True, 200),
        ("{tag} {tag}", False, 412),
        ("{tag},", False, 412),
    ],
)
def test_the_if_match_pattern_is_what_the_server_honours(
    schema, auth_client, user, if_match, valid, status
):
    task = TaskFactory(user=user)
    value = if_match.format(tag=task.etag)
    header_schema = header(schema, "/api/{user_id}/tasks/{task_id}", "patch", "If-Match")

    response = auth_client.patch(
        f"/api/{user.pk}/tasks/{task.pk}", {"title": "Changed"}, format="json", HTTP_IF_MATCH=value
    )

    assert documented_as_valid(header_schema, value) is valid
    assert response.status_code == status
    task.refresh_from_db()
    assert (task.title == "Changed") is (status == 200)


def test_every_write_documents_the_if_match_pattern(schema):
    task_path = "/api/{user_id}/tasks/{task_id}"
    writes = [(task_path, "put"), (task_path, "patch"), (task_path, "delete")]
    writes.append((task_path + "/complete", "patch"))

    patterns = {header(schema, path, method, "If-Match")["pattern"] for path, method in writes}

    assert len(patterns) == 1
