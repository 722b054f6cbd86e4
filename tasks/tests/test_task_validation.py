"""What a task body may hold: strict JSON types, title and description lengths, ISO dates.

Every refused body answers 422 VALIDATION_ERROR with `details` naming each bad field, and
writes nothing.
"""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from tasks.models import Task
from tasks.tests.factories import TaskFactory, task_json


def tasks_url(user) -> str:
    return f"/api/{user.id}/tasks"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.id}"


def validation_error(details: dict) -> dict:
    first = next(iter(details.values()))[0]
    return {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": f"Invalid input: {first}",
            "details": details,
        },
    }


@pytest.fixture
def task(user) -> Task:
    return TaskFactory(user=user, title="Original", description="Kept")


# Each write route, sending `fields` on top of what that route needs to be otherwise valid.
WRITES = {
    "create": ("post", lambda task, fields: {"title": "Valid", **fields}),
    "replace": ("put", lambda task, fields: {"title": "Valid", **fields}),
    "update": ("patch", lambda task, fields: fields),
}


def write(client, task: Task, route: str, fields: dict):
    method, body = WRITES[route]
    url = tasks_url(task.user) if route == "create" else task_url(task)
    return getattr(client, method)(url, body(task, fields), format="json")


def assert_nothing_written(task: Task, stored: dict) -> None:
    task.refresh_from_db()
    assert Task.objects.count() == 1
    assert task_json(task) == stored


# --- Title ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("a", "a"),
        ("t" * 255, "t" * 255),
        ("  " + "t" * 255 + "\t\n ", "t" * 255),
        ("  Buy milk  ", "Buy milk"),
        ("Two  inner  spaces", "Two  inner  spaces"),
    ],
    ids=["1-char", "255-chars", "255-after-trimming", "trimmed", "inner-whitespace-kept"],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_title_of_1_to_255_characters_after_trimming_is_accepted_trimmed(
    auth_client, task, route, title, stored
):
    response = write(auth_client, task, route, {"title": title})

    assert response.status_code in (200, 201)
    assert response.json()["data"]["title"] == stored
    assert Task.objects.get(pk=response.json()["data"]["id"]).title == stored


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        ("\t\n ", "This field may not be blank."),
        ("t" * 256, "Ensure this field has no more than 255 characters."),
        (" " + "t" * 256 + " ", "Ensure this field has no more than 255 characters."),
        (None, "This field may not be null."),
        (123, "Must be a JSON string."),
        (1.5, "Must be a JSON string."),
        (True, "Must be a JSON string."),
        (["Buy milk"], "Must be a JSON string."),
        ({"text": "Buy milk"}, "Must be a JSON string."),
    ],
    ids=[
        "empty",
        "spaces",
        "whitespace",
        "256-chars",
        "256-after-trimming",
        "null",
        "integer",
        "float",
        "boolean",
        "list",
        "object",
    ],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_title_that_is_blank_too_long_or_not_a_string_is_a_422(
    auth_client, task, route, title, message
):
    stored = task_json(task)

    response = write(auth_client, task, route, {"title": title})

    assert response.status_code == 422
    assert response.json() == validation_error({"title": [message]})
    assert_nothing_written(task, stored)


@pytest.mark.parametrize("route", ["create", "replace"])
def test_a_title_is_required_to_create_or_replace(auth_client, task, route):
    stored = task_json(task)
    method = "post" if route == "create" else "put"
    url = tasks_url(task.user) if route == "create" else task_url(task)

    response = getattr(auth_client, method)(url, {"description": "No title"}, format="json")

    assert response.status_code == 422
    assert response.json() == validation_error({"title": ["This field is required."]})
    assert_nothing_written(task, stored)


# --- Description ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    ["d" * 2000, "", "  padded, kept as sent  ", "line one\nline two", None],
    ids=["2000-chars", "empty", "untrimmed", "multiline", "null"],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_description_up_to_2000_characters_is_stored_as_sent(
    auth_client, task, route, description
):
    response = write(auth_client, task, route, {"description": description})

    assert response.status_code in (200, 201)
    assert response.json()["data"]["description"] == description
    assert Task.objects.get(pk=response.json()["data"]["id"]).description == description


def test_a_task_created_without_a_description_has_null_not_an_empty_string(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Bare"}, format="json")

    assert response.json()["data"]["description"] is None
    assert Task.objects.get().description is None


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("d" * 2001, "Ensure this field has no more than 2000 characters."),
        (42, "Must be a JSON string."),
        (False, "Must be a JSON string."),
        (["a"], "Must be a JSON string."),
    ],
    ids=["2001-chars", "integer", "boolean", "list"],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_description_over_2000_characters_or_not_a_string_is_a_422(
    auth_client, task, route, description, message
):
    stored = task_json(task)

    response = write(auth_client, task, route, {"description": description})

    assert response.status_code == 422
    assert response.json() == validation_error({"description": [message]})
    assert_nothing_written(task, stored)


# --- Completed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "message"),
    [
        (0, "Must be a JSON boolean (true or false)."),
        (1, "Must be a JSON boolean (true or false)."),
        ("yes", "Must be a JSON boolean (true or false)."),
        ("true", "Must be a JSON boolean (true or false)."),
        ("false", "Must be a JSON boolean (true or false)."),
        ("on", "Must be a JSON boolean (true or false)."),
        ("", "Must be a JSON boolean (true or false)."),
        ([True], "Must be a JSON boolean (true or false)."),
        (None, "This field may not be null."),
    ],
    ids=["0", "1", "yes", "true-string", "false-string", "on", "empty", "list", "null"],
)
@pytest.mark.parametrize("route", WRITES)
def test_completed_must_be_a_json_boolean(auth_client, task, route, completed, message):
    stored = task_json(task)

    response = write(auth_client, task, route, {"completed": completed})

    assert response.status_code == 422
    assert response.json() == validation_error({"completed": [message]})
    assert_nothing_written(task, stored)


# --- Due date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_date", "stored"),
    [
        ("2026-01-31T17:00:00Z", "2026-01-31T17:00:00Z"),
        ("2026-01-31T17:00:00.250000Z", "2026-01-31T17:00:00.250000Z"),
        ("2026-01-31T17:00:00+02:00", "2026-01-31T15:00:00Z"),
        ("2026-01-31T17:00:00-05:30", "2026-01-31T22:30:00Z"),
        ("2026-01-31T17:00:00", "2026-01-31T17:00:00Z"),
        ("2026-01-31 17:00", "2026-01-31T17:00:00Z"),
        (None, None),
    ],
    ids=["utc", "fraction", "plus-offset", "minus-offset", "naive-is-utc", "space", "null"],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_due_date_is_an_iso_8601_datetime_shown_in_utc(
    auth_client, task, route, due_date, stored
):
    response = write(auth_client, task, route, {"due_date": due_date})

    assert response.status_code in (200, 201)
    assert response.json()["data"]["due_date"] == stored


@pytest.mark.parametrize(
    ("due_date", "message"),
    [
        ("notadate", "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        (
            "2026-13-01T00:00:00Z",
            "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z.",
        ),
        (
            "2026-02-30T00:00:00Z",
            "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z.",
        ),
        ("31/01/2026", "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        ("", "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        (1769878800, "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        (True, "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        (["2026-01-31"], "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."),
        ("0001-01-01T00:00:00+01:00", "Datetime value out of range."),
        ("9999-12-31T23:59:59-01:00", "Datetime value out of range."),
    ],
    ids=[
        "word",
        "month-13",
        "february-30",
        "day-first",
        "empty",
        "epoch-number",
        "boolean",
        "list",
        "before-year-1-in-utc",
        "after-year-9999-in-utc",
    ],
)
@pytest.mark.parametrize("route", WRITES)
def test_a_due_date_that_is_not_an_iso_8601_string_is_a_422(
    auth_client, task, route, due_date, message
):
    stored = task_json(task)

    response = write(auth_client, task, route, {"due_date": due_date})

    assert response.status_code == 422
    assert response.json() == validation_error({"due_date": [message]})
    assert_nothing_written(task, stored)


# --- Several errors at once -----------------------------------------------------------------


@pytest.mark.parametrize("route", WRITES)
def test_every_bad_field_is_named_in_details(auth_client, task, route):
    stored = task_json(task)

    response = write(
        auth_client,
        task,
        route,
        {"title": "  ", "description": 7, "due_date": "soon", "completed": "yes"},
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == {
        "title": ["This field may not be blank."],
        "description": ["Must be a JSON string."],
        "due_date": ["Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z."],
        "completed": ["Must be a JSON boolean (true or false)."],
    }
    assert_nothing_written(task, stored)


@pytest.mark.parametrize("route", WRITES)
def test_one_bad_field_stops_the_good_ones_from_being_written(auth_client, task, route):
    stored = task_json(task)

    response = write(
        auth_client,
        task,
        route,
        {"title": "Good title", "description": "Good", "completed": True, "due_date": "soon"},
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["due_date"]
    assert_nothing_written(task, stored)


@pytest.mark.parametrize("route", WRITES)
def test_an_unknown_field_is_a_422_naming_it_and_nothing_is_written(auth_client, task, route):
    stored = task_json(task)

    response = write(
        auth_client, task, route, {"dueDate": "2026-05-01T10:00:00Z", "importance": "high"}
    )

    assert response.status_code == 422
    assert response.json() == validation_error(
        {
            "dueDate": ["Unknown field; did you mean due_date?"],
            "importance": ["Unknown field."],
        }
    )
    assert_nothing_written(task, stored)


@pytest.mark.parametrize("route", ["replace", "update"])
def test_a_task_sent_back_as_read_is_written_and_its_read_only_fields_ignored(
    auth_client, task, route
):
    """GET, change, PUT: the read-only fields a client read come back and change nothing."""
    read = auth_client.get(task_url(task)).json()["data"]

    response = write(
        auth_client,
        task,
        route,
        {**read, "title": "Changed", "id": "not even an id", "version": 99, "created_at": 0},
    )

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"] == {
        **read,
        "title": "Changed",
        "updated_at": response.json()["data"]["updated_at"],
        "version": 2,
    }
    assert (task.title, task.version) == ("Changed", 2)


# --- The database's own guard ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["", " ", "     "])
def test_the_database_refuses_a_blank_title(user, title):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(user=user, title=title)

    assert not Task.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_blanking_the_title_of_an_existing_task(task):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(title="   ")

    task.refresh_from_db()
    assert task.title == "Original"


@pytest.mark.django_db
def test_the_database_accepts_a_one_character_title(user):
    Task.objects.create(user=user, title="x", due_date=datetime(2026, 1, 1, tzinfo=UTC))

    assert Task.objects.get().title == "x"
