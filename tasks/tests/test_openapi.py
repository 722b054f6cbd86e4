"""The OpenAPI document at /openapi.json: valid, and true to the task routes' contract."""

import re

import pytest
from openapi_spec_validator import validate

TASK_OPERATIONS = {
    "tasks_list": ("/api/{user_id}/tasks", "get"),
    "tasks_create": ("/api/{user_id}/tasks", "post"),
    "tasks_retrieve": ("/api/{user_id}/tasks/{task_id}", "get"),
    "tasks_replace": ("/api/{user_id}/tasks/{task_id}", "put"),
    "tasks_update": ("/api/{user_id}/tasks/{task_id}", "patch"),
    "tasks_delete": ("/api/{user_id}/tasks/{task_id}", "delete"),
    "tasks_complete": ("/api/{user_id}/tasks/{task_id}/complete", "patch"),
    "tasks_changes": ("/api/{user_id}/tasks/changes", "get"),
}
ERROR_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
# A 401 is the error envelope whose `details` carries the reason.
UNAUTHORIZED_ENVELOPE_REF = {"$ref": "#/components/schemas/UnauthorizedEnvelope"}
TASK_REF = {"$ref": "#/components/schemas/Task"}
NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/")
    assert "json" in response["Content-Type"]
    return response.json()


def operation(schema: dict, operation_id: str) -> dict:
    path, method = TASK_OPERATIONS[operation_id]
    return schema["paths"][path][method]


def success_schema(op: dict, status: str) -> dict:
    return op["responses"][status]["content"]["application/json"]["schema"]


def test_the_document_is_valid_openapi(schema):
    validate(schema)

    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
def test_every_task_operation_is_documented_under_its_operation_id(schema, operation_id):
    assert operation(schema, operation_id)["operationId"] == operation_id


def test_the_task_paths_have_exactly_the_seven_operations_and_the_changes_feed(schema):
    documented = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/api/{user_id}/tasks")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert documented == set(TASK_OPERATIONS.values())


def test_operation_ids_are_unique(schema):
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]

    assert len(ids) == len(set(ids))


def test_the_list_documents_its_query_parameters(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in operation(schema, "tasks_list")["parameters"]
        if parameter["in"] == "query"
    }

    assert set(parameters) == {
        "limit",
        "offset",
        "cursor",
        "status",
        "sort",
        "search",
        "due_before",
        "due_after",
        "completed_before",
        "completed_after",
        "priority",
        "tag",
    }
    limit, offset = parameters["limit"]["schema"], parameters["offset"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 10)
    assert (offset["minimum"], offset["maximum"], offset["default"]) == (0, 1_000_000, 0)
    # An empty value is accepted, as the default.
    assert set(parameters["status"]["schema"]["enum"]) == {"all", "pending", "completed", ""}
    assert set(parameters["sort"]["schema"]["enum"]) == {""} | {
        f"{direction}{field}"
        for direction in ("", "-")
        for field in ("created_at", "updated_at", "due_date", "title", "completed_at", "priority")
    }


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
def test_every_task_operation_documents_its_path_parameters(schema, operation_id):
    path, _ = TASK_OPERATIONS[operation_id]
    in_path = {
        parameter["name"]
        for parameter in operation(schema, operation_id)["parameters"]
        if parameter["in"] == "path"
    }

    assert in_path == {name for name in ("user_id", "task_id") if f"{{{name}}}" in path}


@pytest.mark.parametrize(
    ("operation_id", "status"),
    [
        ("tasks_create", "201"),
        ("tasks_retrieve", "200"),
        ("tasks_replace", "200"),
        ("tasks_update", "200"),
        ("tasks_complete", "200"),
    ],
)
def test_a_single_task_answer_is_a_task_inside_the_success_envelope(schema, operation_id, status):
    assert success_schema(operation(schema, operation_id), status) == {
        "type": "object",
        "required": ["data", "error"],
        "properties": {"data": TASK_REF, "error": NULL_ONLY},
    }


def test_the_list_answer_is_one_page_object_inside_the_success_envelope(schema):
    assert success_schema(operation(schema, "tasks_list"), "200") == {
        "type": "object",
        "required": ["data", "error"],
        "properties": {"data": {"$ref": "#/components/schemas/TaskPage"}, "error": NULL_ONLY},
    }
    page = schema["components"]["schemas"]["TaskPage"]
    assert page["type"] == "object"
    assert page["properties"]["items"] == {"type": "array", "items": TASK_REF}
    assert page["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}
    pagination = schema["components"]["schemas"]["Pagination"]
    assert set(pagination["properties"]) == {
        "limit",
        "offset",
        "total",
        "has_more",
        "next_cursor",
    }


def test_delete_documents_a_204_without_a_body(schema):
    response = operation(schema, "tasks_delete")["responses"]["204"]

    assert "content" not in response


def test_the_task_component_has_every_field_of_the_task_json(schema):
    task = schema["components"]["schemas"]["Task"]

    assert set(task["properties"]) == {
        "id",
        "user_id",
        "title",
        "description",
        "due_date",
        "completed",
        "completed_at",
        "priority",
        "tags",
        "created_at",
        "updated_at",
        "version",
    }
    read_only = {name for name, field in task["properties"].items() if field.get("readOnly")}
    assert read_only == {"id", "user_id", "completed_at", "created_at", "updated_at", "version"}


def test_the_complete_operation_requires_the_completed_boolean(schema):
    body = operation(schema, "tasks_complete")["requestBody"]["content"]["application/json"]

    assert body["schema"]["required"] == ["completed"]
    assert body["schema"]["properties"]["completed"] == {"type": "boolean"}
    # The rest are the task's read-only fields, which the route ignores.
    assert {
        name for name, field in body["schema"]["properties"].items() if field.get("readOnly")
    } == {"id", "user_id", "completed_at", "created_at", "updated_at", "version"}


def test_replace_requires_a_title_and_update_requires_nothing(schema):
    components = schema["components"]["schemas"]

    def request_component(operation_id: str) -> dict:
        ref = operation(schema, operation_id)["requestBody"]["content"]["application/json"]
        return components[ref["schema"]["$ref"].rsplit("/", 1)[-1]]

    assert request_component("tasks_create")["required"] == ["title"]
    assert request_component("tasks_replace")["required"] == ["title"]
    assert "required" not in request_component("tasks_update")


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
@pytest.mark.parametrize("status", ["401", "403", "404"])
def test_every_task_operation_documents_401_403_and_404_as_error_envelopes(
    schema, operation_id, status
):
    response = operation(schema, operation_id)["responses"][status]

    assert response["content"]["application/json"]["schema"] == (
        UNAUTHORIZED_ENVELOPE_REF if status == "401" else ERROR_ENVELOPE_REF
    )
    assert response["description"]


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
def test_every_task_operation_documents_the_reasons_a_bearer_token_is_refused(schema, operation_id):
    description = operation(schema, operation_id)["responses"]["401"]["description"]

    assert re.findall(r"^- `(\w+)`: ", description, re.MULTILINE) == [
        "token_missing",
        "token_expired",
        "token_invalid",
        "user_inactive",
        "user_not_found",
    ]


@pytest.mark.parametrize(
    "operation_id",
    ["tasks_list", "tasks_create", "tasks_replace", "tasks_update", "tasks_complete"],
)
def test_every_task_operation_that_takes_input_documents_422(schema, operation_id):
    response = operation(schema, operation_id)["responses"]["422"]

    assert response["content"]["application/json"]["schema"] == ERROR_ENVELOPE_REF


@pytest.mark.parametrize(
    "operation_id", ["tasks_create", "tasks_replace", "tasks_update", "tasks_complete"]
)
def test_every_task_operation_with_a_body_documents_400(schema, operation_id):
    response = operation(schema, operation_id)["responses"]["400"]

    assert response["content"]["application/json"]["schema"] == ERROR_ENVELOPE_REF


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
def test_every_error_answer_of_a_task_operation_is_the_error_envelope(schema, operation_id):
    responses = operation(schema, operation_id)["responses"]
    errors = {status: response for status, response in responses.items() if int(status) >= 400}

    assert errors
    for status, response in errors.items():
        assert response["content"]["application/json"]["schema"] == (
            UNAUTHORIZED_ENVELOPE_REF if status == "401" else ERROR_ENVELOPE_REF
        )


def test_the_error_envelope_has_data_null_and_an_error_with_code_message_details(schema):
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]

    assert envelope["required"] == ["data", "error"]
    assert envelope["properties"]["data"] == NULL_ONLY
    error = envelope["properties"]["error"]
    assert error["required"] == ["code", "message", "details"]
    assert {"VALIDATION_ERROR", "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"} <= set(
        error["properties"]["code"]["enum"]
    )


@pytest.mark.parametrize("operation_id", TASK_OPERATIONS)
def test_every_task_operation_requires_the_bearer_token(schema, operation_id):
    security = operation(schema, operation_id)["security"]
    schemes = schema["components"]["securitySchemes"]

    assert security
    for requirement in security:
        for name in requirement:
            assert schemes[name]["type"] == "http"
            assert schemes[name]["scheme"] == "bearer"


def texts_for_readers(node):
    """Every summary and description in the document, however deep."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description") and isinstance(value, str):
                yield value
            else:
                yield from texts_for_readers(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts_for_readers(item)


MAINTAINER_WORDS = ("get_queryset", "owned_tasks", "queryset", ".py", "DRF", "mixin", "Base for")


def test_every_operation_is_described_for_its_readers(schema):
    operations = [op for path in schema["paths"].values() for op in path.values()]
    texts = list(texts_for_readers(schema))

    assert all(op.get("summary") for op in operations)
    assert [text for text in texts if any(word in text for word in MAINTAINER_WORDS)] == []


def test_the_health_check_sits_under_a_tag_named_for_its_readers(schema):
    assert schema["paths"]["/health"]["get"]["tags"] == ["service status"]
    assert {tag["name"] for tag in schema["tags"]} == {"auth", "tasks", "tags", "service status"}


def test_every_rate_limited_operation_documents_its_429_and_retry_after(schema):
    operations = {
        (path, method): op for path, item in schema["paths"].items() for method, op in item.items()
    }

    limited = {key for key, op in operations.items() if "429" in op["responses"]}

    assert limited == set(operations) - {("/health", "get")}
    for key in limited:
        assert "Retry-After" in operations[key]["responses"]["429"]["headers"], key


def test_an_empty_cursor_or_since_is_documented_as_refused(schema):
    parameters = {
        parameter["name"]: parameter["schema"]
        for path in ("/api/{user_id}/tasks", "/api/{user_id}/tasks/changes")
        for parameter in schema["paths"][path]["get"]["parameters"]
    }

    assert parameters["cursor"]["minLength"] == parameters["since"]["minLength"] == 1
