"""Creating, reading, replacing, changing and deleting a task through /api/{user_id}/tasks."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tasks.models import Task
from tasks.tests.factories import TaskFactory, iso, task_json


def tasks_url(user) -> str:
    return f"/api/{user.id}/tasks"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.id}"


def envelope_error(code: str, message: str, details=None) -> dict:
    return {"data": None, "error": {"code": code, "message": message, "details": details}}


@pytest.fixture
def task(user) -> Task:
    return TaskFactory(
        user=user,
        title="Write the report",
        description="Quarterly numbers",
        due_date=datetime(2026, 1, 31, 17, 0, tzinfo=UTC),
        completed=True,
    )


# --- Create ---------------------------------------------------------------------------------


def test_creating_a_task_with_only_a_title_answers_201_with_the_task(auth_client, user):
    before = timezone.now()

    response = auth_client.post(tasks_url(user), {"title": "Buy milk"}, format="json")

    task = Task.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "data": {
            "id": str(task.id),
            "user_id": str(user.id),
            "title": "Buy milk",
            "description": None,
            "due_date": None,
            "completed": False,
            "completed_at": None,
            "priority": "medium",
            "tags": [],
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
            "version": 1,
        },
        "error": None,
    }
    assert before <= task.created_at <= task.updated_at <= timezone.now()


def test_creating_a_task_answers_with_the_absolute_url_of_the_task_in_location(auth_client, user):
    response = auth_client.post(tasks_url(user), {"title": "Buy milk"}, format="json")

    task_id = response.json()["data"]["id"]
    assert response["Location"] == f"http://testserver/api/{user.id}/tasks/{task_id}"
    assert auth_client.get(response["Location"]).json()["data"]["id"] == task_id


def test_creating_a_task_with_every_field_stores_them_all(auth_client, user):
    before = timezone.now()

    response = auth_client.post(
        tasks_url(user),
        {
            "title": "File taxes",
            "description": "Forms A and B",
            "due_date": "2026-04-15T23:59:00Z",
            "completed": True,
        },
        format="json",
    )

    task = Task.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "data": {
            "id": str(task.id),
            "user_id": str(user.id),
            "title": "File taxes",
            "description": "Forms A and B",
            "due_date": "2026-04-15T23:59:00Z",
            "completed": True,
            "completed_at": iso(task.completed_at),
            "priority": "medium",
            "tags": [],
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
            "version": 1,
        },
        "error": None,
    }
    assert before <= task.completed_at <= timezone.now()


def test_a_due_date_with_an_offset_is_stored_and_shown_in_utc(auth_client, user):
    response = auth_client.post(
        tasks_url(user),
        {"title": "Call Berlin", "due_date": "2026-01-31T17:00:00+02:00"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["due_date"] == "2026-01-31T15:00:00Z"
    assert Task.objects.get().due_date == datetime(2026, 1, 31, 15, tzinfo=UTC)


def test_a_due_date_without_an_offset_is_taken_as_utc(auth_client, user):
    response = auth_client.post(
        tasks_url(user), {"title": "Call London", "due_date": "2026-01-31T17:00:00"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["due_date"] == "2026-01-31T17:00:00Z"
    assert Task.objects.get().due_date == datetime(2026, 1, 31, 17, tzinfo=UTC)


def test_creating_ignores_read_only_fields_and_makes_the_token_user_the_owner(
    auth_client, user, other_user
):
    before = timezone.now()
    planted_id = "0b5d8f5e-3c1a-4a53-9a39-2f6f0c1b7e11"

    response = auth_client.post(
        tasks_url(user),
        {
            "title": "Mine",
            "id": planted_id,
            "user_id": str(other_user.id),
            "completed_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    task = Task.objects.get()
    assert response.status_code == 201
    assert response.json() == {"data": task_json(task), "error": None}
    assert str(task.id) != planted_id
    assert task.user == user
    assert task.completed_at is None
    assert before <= task.created_at and before <= task.updated_at
    assert not other_user.tasks.exists()


# --- Retrieve -------------------------------------------------------------------------------


def test_getting_a_task_answers_with_the_task(auth_client, task):
    response = auth_client.get(task_url(task))

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(task.id),
            "user_id": str(task.user_id),
            "title": "Write the report",
            "description": "Quarterly numbers",
            "due_date": "2026-01-31T17:00:00Z",
            "completed": True,
            "completed_at": iso(task.completed_at),
            "priority": "medium",
            "tags": [],
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
            "version": 1,
        },
        "error": None,
    }


def test_getting_a_task_that_does_not_exist_is_a_404(auth_client, user):
    response = auth_client.get(f"{tasks_url(user)}/6a0f2d4e-1111-4c4c-8a8a-000000000000")

    assert response.status_code == 404
    assert response.json() == envelope_error("NOT_FOUND", "Task not found.")


# --- Replace (PUT) --------------------------------------------------------------------------


def test_replacing_a_task_resets_every_omitted_optional_field(auth_client, task):
    response = auth_client.put(task_url(task), {"title": "Rewrite the report"}, format="json")

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(task.id),
            "user_id": str(task.user_id),
            "title": "Rewrite the report",
            "description": None,
            "due_date": None,
            "completed": False,
            "completed_at": None,
            "priority": "medium",
            "tags": [],
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
            "version": 2,
        },
        "error": None,
    }
    assert (task.description, task.due_date, task.completed, task.completed_at) == (
        None,
        None,
        False,
        None,
    )


def test_replacing_a_task_sets_every_field_sent(auth_client, user):
    task = TaskFactory(user=user, title="Old")
    before = timezone.now()

    response = auth_client.put(
        task_url(task),
        {
            "title": "New",
            "description": "Now with details",
            "due_date": "2026-03-01T09:30:00Z",
            "completed": True,
        },
        format="json",
    )

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(task.id),
            "user_id": str(user.id),
            "title": "New",
            "description": "Now with details",
            "due_date": "2026-03-01T09:30:00Z",
            "completed": True,
            "completed_at": iso(task.completed_at),
            "priority": "medium",
            "tags": [],
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
            "version": 2,
        },
        "error": None,
    }
    assert before <= task.completed_at <= timezone.now()


def test_replacing_a_task_without_a_title_is_a_422_and_changes_nothing(auth_client, task):
    stored = task_json(task)

    response = auth_client.put(task_url(task), {"description": "No title"}, format="json")

    task.refresh_from_db()
    assert response.status_code == 422
    assert response.json() == envelope_error(
        "VALIDATION_ERROR",
        "Invalid input: This field is required.",
        {"title": ["This field is required."]},
    )
    assert task_json(task) == stored


def test_replacing_a_task_bumps_updated_at(auth_client, task):
    previous = task.updated_at

    auth_client.put(task_url(task), {"title": "Rewrite the report"}, format="json")

    task.refresh_from_db()
    assert task.updated_at > previous


# --- Update (PATCH) -------------------------------------------------------------------------


def test_changing_a_task_changes_only_the_fields_sent(auth_client, task):
    stored = task_json(task)

    response = auth_client.patch(task_url(task), {"title": "Finish the report"}, format="json")

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            **stored,
            "title": "Finish the report",
            "updated_at": iso(task.updated_at),
            "version": 2,
        },
        "error": None,
    }
    assert task.updated_at > datetime.fromisoformat(stored["updated_at"])


@pytest.mark.parametrize("field", ["description", "due_date"])
def test_changing_an_optional_field_to_null_clears_it(auth_client, task, field):
    response = auth_client.patch(task_url(task), {field: None}, format="json")

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"][field] is None
    assert getattr(task, field) is None
    assert task.title == "Write the report"


def test_changing_a_task_with_an_empty_body_changes_nothing_and_keeps_updated_at(auth_client, task):
    stored = task_json(task)

    response = auth_client.patch(task_url(task), {}, format="json")

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {"data": stored, "error": None}
    assert task_json(task) == stored


def test_changing_the_title_to_null_is_a_422_and_changes_nothing(auth_client, task):
    stored = task_json(task)

    response = auth_client.patch(task_url(task), {"title": None}, format="json")

    task.refresh_from_db()
    assert response.status_code == 422
    assert response.json() == envelope_error(
        "VALIDATION_ERROR",
        "Invalid input: This field may not be null.",
        {"title": ["This field may not be null."]},
    )
    assert task_json(task) == stored


@pytest.mark.parametrize("method", ["put", "patch"])
def test_read_only_fields_sent_in_a_body_change_nothing(auth_client, task, other_user, method):
    stored = task_json(task)

    response = getattr(auth_client, method)(
        task_url(task),
        {
            "title": "Write the report",
            "description": "Quarterly numbers",
            "due_date": "2026-01-31T17:00:00Z",
            "completed": True,
            "id": "0b5d8f5e-3c1a-4a53-9a39-2f6f0c1b7e11",
            "user_id": str(other_user.id),
            "completed_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {"data": stored, "error": None}
    assert task_json(task) == stored
    assert Task.objects.filter(user=other_user).count() == 0


def test_changing_only_user_id_does_not_hand_the_task_to_another_user(
    auth_client, task, other_user
):
    response = auth_client.patch(task_url(task), {"user_id": str(other_user.id)}, format="json")

    task.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"]["user_id"] == str(task.user_id)
    assert task.user_id != other_user.id


# --- Delete ---------------------------------------------------------------------------------


def test_deleting_a_task_answers_204_with_an_empty_body(auth_client, task):
    response = auth_client.delete(task_url(task))

    assert response.status_code == 204
    assert response.content == b""
    assert not Task.objects.live().filter(pk=task.pk).exists()


def test_deleting_a_task_twice_is_a_404_the_second_time(auth_client, task):
    auth_client.delete(task_url(task))

    response = auth_client.delete(task_url(task))

    assert response.status_code == 404
    assert response.json() == envelope_error("NOT_FOUND", "Task not found.")


def test_deleting_a_task_keeps_the_owners_other_tasks(auth_client, task, user):
    kept = TaskFactory(user=user)

    auth_client.delete(task_url(task))

    assert list(Task.objects.live()) == [kept]


# --- Trailing slash, methods ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status"),
    [
        ("get", "", None, 200),
        ("post", "", {"title": "Slashed"}, 201),
        ("get", "/{task}", None, 200),
        ("put", "/{task}", {"title": "Slashed"}, 200),
        ("patch", "/{task}", {"title": "Slashed"}, 200),
        ("patch", "/{task}/complete", {"completed": False}, 200),
        ("delete", "/{task}", None, 204),
    ],
)
def test_every_route_also_answers_with_a_trailing_slash_without_redirecting(
    auth_client, task, user, method, suffix, body, status
):
    url = tasks_url(user) + suffix.format(task=task.id) + "/"

    response = getattr(auth_client, method)(url, body, format="json")

    assert response.status_code == status


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("delete", "", "GET, POST, HEAD, OPTIONS"),
        ("post", "/{task}", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        ("get", "/{task}/complete", "PATCH, OPTIONS"),
        ("put", "/{task}/complete", "PATCH, OPTIONS"),
    ],
)
def test_a_method_a_task_route_does_not_serve_is_a_405(
    auth_client, task, user, method, suffix, allowed
):
    url = tasks_url(user) + suffix.format(task=task.id)

    response = getattr(auth_client, method)(url)

    assert response.status_code == 405
    assert response.json() == envelope_error(
        "METHOD_NOT_ALLOWED", f'Method "{method.upper()}" not allowed.'
    )
    assert response["Allow"] == allowed
    assert Task.objects.filter(pk=task.pk).exists()


# --- Credentials ----------------------------------------------------------------------------


ROUTES = [
    ("get", ""),
    ("post", ""),
    ("get", "/{task}"),
    ("put", "/{task}"),
    ("patch", "/{task}"),
    ("delete", "/{task}"),
    ("patch", "/{task}/complete"),
]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_every_route_without_a_token_is_a_401_and_changes_nothing(
    api_client, task, user, method, suffix
):
    stored = task_json(task)
    url = tasks_url(user) + suffix.format(task=task.id)

    response = getattr(api_client, method)(url, {"title": "x", "completed": False}, format="json")

    task.refresh_from_db()
    assert response.status_code == 401
    assert response.json() == envelope_error(
        "UNAUTHORIZED",
        "Authentication credentials were not provided.",
        {"reason": "token_missing"},
    )
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Task.objects.count() == 1
    assert task_json(task) == stored


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_every_route_with_an_invalid_token_is_a_401(api_client, task, user, method, suffix):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    url = tasks_url(user) + suffix.format(task=task.id)

    response = getattr(api_client, method)(url, {"title": "x", "completed": False}, format="json")

    assert response.status_code == 401
    assert response.json() == envelope_error(
        "UNAUTHORIZED", "Token is invalid", {"reason": "token_invalid"}
    )
    assert Task.objects.count() == 1


# --- Malformed bodies -----------------------------------------------------------------------


BODY_ROUTES = [
    ("post", ""),
    ("put", "/{task}"),
    ("patch", "/{task}"),
    ("patch", "/{task}/complete"),
]


@pytest.mark.parametrize(("method", "suffix"), BODY_ROUTES)
def test_malformed_json_is_a_400_and_changes_nothing(auth_client, task, user, method, suffix):
    stored = task_json(task)
    url = tasks_url(user) + suffix.format(task=task.id)

    response = getattr(auth_client, method)(url, '{"title": "x",', content_type="application/json")

    task.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["data"] is None
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert response.json()["error"]["message"].startswith("Request body is not valid JSON")
    assert Task.objects.count() == 1
    assert task_json(task) == stored


@pytest.mark.parametrize(("method", "suffix"), BODY_ROUTES)
@pytest.mark.parametrize("body", ['[{"title": "x"}]', '"x"', "true", "null", "42"])
def test_a_body_that_is_not_a_json_object_is_a_400_and_changes_nothing(
    auth_client, task, user, method, suffix, body
):
    stored = task_json(task)
    url = tasks_url(user) + suffix.format(task=task.id)

    response = getattr(auth_client, method)(url, body, content_type="application/json")

    task.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == envelope_error("BAD_REQUEST", "Request body must be a JSON object.")
    assert Task.objects.count() == 1
    assert task_json(task) == stored
