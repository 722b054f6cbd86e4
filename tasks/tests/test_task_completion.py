"""Completing and reopening a task, and the `completed_at` stamp that follows `completed`.

`completed_at` is set to the moment a task becomes completed, kept when a completed task is
completed again, and cleared when it is reopened, whichever route changes `completed`.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tasks.models import Task
from tasks.tests.factories import TaskFactory, iso, task_json

EARLIER = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def complete_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.id}/complete"


def task_url(task: Task) -> str:
    return f"/api/{task.user_id}/tasks/{task.id}"


@pytest.fixture
def pending(user) -> Task:
    return TaskFactory(user=user, title="Water the plants")


@pytest.fixture
def done(user) -> Task:
    """A task completed at a known moment in the past."""
    return TaskFactory(user=user, title="Pay rent", completed=True, completed_at=EARLIER)


# --- PATCH /complete ------------------------------------------------------------------------


def test_completing_a_pending_task_stamps_completed_at_with_now(auth_client, pending):
    before = timezone.now()

    response = auth_client.patch(complete_url(pending), {"completed": True}, format="json")

    pending.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(pending.id),
            "user_id": str(pending.user_id),
            "title": "Water the plants",
            "description": None,
            "due_date": None,
            "completed": True,
            "completed_at": iso(pending.completed_at),
            "priority": "medium",
            "tags": [],
            "created_at": iso(pending.created_at),
            "updated_at": iso(pending.updated_at),
            "version": 2,
        },
        "error": None,
    }
    assert before <= pending.completed_at <= timezone.now()


def test_completing_twice_keeps_first_completed_at(auth_client, pending):
    first = auth_client.patch(complete_url(pending), {"completed": True}, format="json")

    second = auth_client.patch(complete_url(pending), {"completed": True}, format="json")

    pending.refresh_from_db()
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.json()["data"]["completed_at"] == iso(pending.completed_at)


def test_completing_an_already_completed_task_keeps_its_completed_at(auth_client, done):
    response = auth_client.patch(complete_url(done), {"completed": True}, format="json")

    done.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"]["completed"] is True
    assert response.json()["data"]["completed_at"] == "2026-01-02T03:04:05Z"
    assert done.completed_at == EARLIER


def test_reopening_a_completed_task_clears_completed_at(auth_client, done):
    response = auth_client.patch(complete_url(done), {"completed": False}, format="json")

    done.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(done.id),
            "user_id": str(done.user_id),
            "title": "Pay rent",
            "description": None,
            "due_date": None,
            "completed": False,
            "completed_at": None,
            "priority": "medium",
            "tags": [],
            "created_at": iso(done.created_at),
            "updated_at": iso(done.updated_at),
            "version": 2,
        },
        "error": None,
    }
    assert (done.completed, done.completed_at) == (False, None)


def test_reopening_a_pending_task_leaves_it_pending(auth_client, pending):
    stored = task_json(pending)

    response = auth_client.patch(complete_url(pending), {"completed": False}, format="json")

    pending.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {"data": stored, "error": None}
    assert task_json(pending) == stored


def test_completing_after_reopening_stamps_a_new_completed_at(auth_client, done):
    auth_client.patch(complete_url(done), {"completed": False}, format="json")
    before = timezone.now()

    response = auth_client.patch(complete_url(done), {"completed": True}, format="json")

    done.refresh_from_db()
    assert response.json()["data"]["completed_at"] == iso(done.completed_at)
    assert before <= done.completed_at <= timezone.now()


def test_completing_changes_nothing_but_completed_completed_at_and_updated_at(auth_client, user):
    task = TaskFactory(
        user=user,
        title="Keep me",
        description="And me",
        due_date=datetime(2026, 5, 1, tzinfo=UTC),
    )
    stored = task_json(task)

    response = auth_client.patch(complete_url(task), {"completed": True}, format="json")

    task.refresh_from_db()
    assert response.json()["data"] == {
        **stored,
        "completed": True,
        "completed_at": iso(task.completed_at),
        "updated_at": iso(task.updated_at),
        "version": 2,
    }
    assert task.updated_at > datetime.fromisoformat(stored["updated_at"])


def test_the_completion_body_ignores_the_tasks_read_only_fields(auth_client, pending):
    response = auth_client.patch(
        complete_url(pending),
        {"completed": True, "completed_at": "2020-01-01T00:00:00Z", "version": 7},
        format="json",
    )

    pending.refresh_from_db()
    assert response.status_code == 200
    assert (pending.completed, pending.version) == (True, 2)
    assert pending.completed_at > datetime(2020, 1, 2, tzinfo=UTC)


def test_the_completion_body_refuses_a_field_this_route_would_not_apply(auth_client, pending):
    """A title sent here would be lost behind a 200, so it is refused; PATCH the task."""
    stored = task_json(pending)

    response = auth_client.patch(
        complete_url(pending), {"completed": True, "title": "Renamed"}, format="json"
    )

    pending.refresh_from_db()
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: Unknown field.",
            "details": {"title": ["Unknown field."]},
        },
    }
    assert response.status_code == 422
    assert task_json(pending) == stored


def test_completed_is_required_to_complete(auth_client, pending):
    stored = task_json(pending)

    response = auth_client.patch(complete_url(pending), {}, format="json")

    pending.refresh_from_db()
    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Invalid input: This field is required.",
            "details": {"completed": ["This field is required."]},
        },
    }
    assert task_json(pending) == stored


@pytest.mark.parametrize(
    ("completed", "message"),
    [
        (0, "Must be a JSON boolean (true or false)."),
        (1, "Must be a JSON boolean (true or false)."),
        ("yes", "Must be a JSON boolean (true or false)."),
        ("true", "Must be a JSON boolean (true or false)."),
        ("on", "Must be a JSON boolean (true or false)."),
        (None, "This field may not be null."),
    ],
    ids=["0", "1", "yes", "true-string", "on", "null"],
)
def test_completing_with_anything_but_a_json_boolean_is_a_422(
    auth_client, pending, completed, message
):
    stored = task_json(pending)

    response = auth_client.patch(complete_url(pending), {"completed": completed}, format="json")

    pending.refresh_from_db()
    assert response.status_code == 422
    assert response.json() == {
        "data": None,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": f"Invalid input: {message}",
            "details": {"completed": [message]},
        },
    }
    assert task_json(pending) == stored


# --- Through PATCH, PUT and POST ------------------------------------------------------------


def test_changing_completed_to_true_with_patch_stamps_completed_at(auth_client, pending):
    before = timezone.now()

    response = auth_client.patch(task_url(pending), {"completed": True}, format="json")

    pending.refresh_from_db()
    assert response.json()["data"]["completed"] is True
    assert response.json()["data"]["completed_at"] == iso(pending.completed_at)
    assert before <= pending.completed_at <= timezone.now()


def test_patching_completed_true_on_a_completed_task_keeps_completed_at(auth_client, done):
    response = auth_client.patch(task_url(done), {"completed": True}, format="json")

    done.refresh_from_db()
    assert response.json()["data"]["completed_at"] == "2026-01-02T03:04:05Z"
    assert done.completed_at == EARLIER


def test_patching_completed_false_clears_completed_at(auth_client, done):
    response = auth_client.patch(task_url(done), {"completed": False}, format="json")

    done.refresh_from_db()
    assert response.json()["data"]["completed"] is False
    assert response.json()["data"]["completed_at"] is None
    assert done.completed_at is None


def test_patching_other_fields_of_a_completed_task_keeps_completed_at(auth_client, done):
    response = auth_client.patch(task_url(done), {"title": "Pay rent (late)"}, format="json")

    done.refresh_from_db()
    assert response.json()["data"]["completed_at"] == "2026-01-02T03:04:05Z"
    assert (done.completed, done.completed_at) == (True, EARLIER)


def test_replacing_with_completed_true_stamps_completed_at(auth_client, pending):
    before = timezone.now()

    response = auth_client.put(
        task_url(pending), {"title": "Water the plants", "completed": True}, format="json"
    )

    pending.refresh_from_db()
    assert response.json()["data"]["completed_at"] == iso(pending.completed_at)
    assert before <= pending.completed_at <= timezone.now()


def test_replacing_a_completed_task_with_completed_true_keeps_completed_at(auth_client, done):
    response = auth_client.put(
        task_url(done), {"title": "Pay rent", "completed": True}, format="json"
    )

    done.refresh_from_db()
    assert response.json()["data"]["completed_at"] == "2026-01-02T03:04:05Z"
    assert done.completed_at == EARLIER


def test_replacing_a_completed_task_without_completed_reopens_it(auth_client, done):
    response = auth_client.put(task_url(done), {"title": "Pay rent"}, format="json")

    done.refresh_from_db()
    assert response.json()["data"]["completed"] is False
    assert response.json()["data"]["completed_at"] is None
    assert (done.completed, done.completed_at) == (False, None)


def test_creating_a_completed_task_stamps_completed_at(auth_client, user):
    before = timezone.now()

    response = auth_client.post(
        f"/api/{user.id}/tasks", {"title": "Already done", "completed": True}, format="json"
    )

    task = Task.objects.get()
    assert response.json()["data"]["completed"] is True
    assert response.json()["data"]["completed_at"] == iso(task.completed_at)
    assert before <= task.completed_at <= timezone.now()


def test_creating_a_pending_task_leaves_completed_at_null(auth_client, user):
    response = auth_client.post(
        f"/api/{user.id}/tasks", {"title": "To do", "completed": False}, format="json"
    )

    assert response.json()["data"]["completed"] is False
    assert response.json()["data"]["completed_at"] is None
    assert Task.objects.get().completed_at is None


# --- The model and the database -------------------------------------------------------------


def test_mark_completed_stamps_once_and_clears_on_reopen():
    task = Task(title="Unsaved")

    task.mark_completed(True)
    first = task.completed_at
    task.mark_completed(True)

    assert task.completed is True
    assert first is not None
    assert task.completed_at == first
    task.mark_completed(False)
    assert (task.completed, task.completed_at) == (False, None)
    task.mark_completed(False)
    assert (task.completed, task.completed_at) == (False, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("completed", "completed_at"),
    [(True, None), (False, EARLIER)],
    ids=["completed-without-completed_at", "pending-with-completed_at"],
)
def test_the_database_refuses_a_completed_at_that_disagrees_with_completed(
    user, completed, completed_at
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            user=user, title="Inconsistent", completed=completed, completed_at=completed_at
        )

    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"completed": False}, {"completed_at": None}],
    ids=["reopen-keeping-completed_at", "clear-completed_at-keeping-completed"],
)
def test_the_database_refuses_an_update_that_splits_completed_from_completed_at(done, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=done.pk).update(**change)

    done.refresh_from_db()
    assert (done.completed, done.completed_at) == (True, EARLIER)


@pytest.mark.django_db
def test_the_database_accepts_both_consistent_states(user):
    Task.objects.create(user=user, title="Pending", completed=False, completed_at=None)
    Task.objects.create(
        user=user, title="Done", completed=True, completed_at=EARLIER + timedelta(days=1)
    )

    assert Task.objects.count() == 2
