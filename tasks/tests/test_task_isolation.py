"""Per-user isolation: a user sees and changes only their own tasks, on every route.

Another user's task answers exactly like a task that does not exist (404), and a path that
names anyone but the signed-in user is refused outright (403).
"""

import uuid

import pytest

from tasks.models import Task
from tasks.tests.factories import TaskFactory, task_json

NOT_FOUND = {
    "data": None,
    "error": {"code": "NOT_FOUND", "message": "Task not found.", "details": None},
}
FORBIDDEN = {
    "data": None,
    "error": {
        "code": "FORBIDDEN",
        "message": "The user id in the path is not yours.",
        "details": None,
    },
}
NO_ROUTE = {
    "data": None,
    "error": {"code": "NOT_FOUND", "message": "No route matches this path.", "details": None},
}

# (method, path under /api/{user_id}/tasks, body): every task route.
LIST_ROUTES = [
    ("get", "", None),
    ("post", "", {"title": "Sneaky"}),
]
SINGLE_TASK_ROUTES = [
    ("get", "/{task}", None),
    ("put", "/{task}", {"title": "Sneaky"}),
    ("patch", "/{task}", {"title": "Sneaky"}),
    ("delete", "/{task}", None),
    ("patch", "/{task}/complete", {"completed": False}),
]
ALL_ROUTES = LIST_ROUTES + SINGLE_TASK_ROUTES


def call(client, method: str, user_id, suffix: str, task_id, body):
    url = f"/api/{user_id}/tasks" + suffix.format(task=task_id)
    return getattr(client, method)(url, body, format="json")


@pytest.fixture
def theirs(other_user) -> Task:
    return TaskFactory(
        user=other_user, title="Their secret", description="Not yours", completed=True
    )


def test_the_list_never_shows_another_users_tasks(auth_client, user, theirs):
    mine = TaskFactory(user=user, title="Mine")

    response = auth_client.get(f"/api/{user.id}/tasks")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "items": [task_json(mine)],
            "pagination": {
                "limit": 10,
                "offset": 0,
                "total": 1,
                "has_more": False,
                "next_cursor": None,
            },
        },
        "error": None,
    }


def test_a_search_never_finds_another_users_tasks(auth_client, user, theirs):
    response = auth_client.get(f"/api/{user.id}/tasks", {"search": "secret"})

    assert response.status_code == 200
    assert response.json()["data"]["items"] == []
    assert response.json()["data"]["pagination"]["total"] == 0


def test_each_user_lists_only_their_own_tasks(auth_client, other_client, user, other_user):
    mine = TaskFactory.create_batch(3, user=user)
    theirs = TaskFactory.create_batch(2, user=other_user)

    my_ids = {
        item["id"] for item in auth_client.get(f"/api/{user.id}/tasks").json()["data"]["items"]
    }
    their_ids = {
        item["id"]
        for item in other_client.get(f"/api/{other_user.id}/tasks").json()["data"]["items"]
    }

    assert my_ids == {str(task.id) for task in mine}
    assert their_ids == {str(task.id) for task in theirs}


@pytest.mark.parametrize(("method", "suffix", "body"), SINGLE_TASK_ROUTES)
def test_another_users_task_is_a_404_and_stays_unchanged(
    auth_client, user, theirs, method, suffix, body
):
    stored = task_json(theirs)

    response = call(auth_client, method, user.id, suffix, theirs.id, body)

    theirs.refresh_from_db()
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert task_json(theirs) == stored


@pytest.mark.parametrize(("method", "suffix", "body"), SINGLE_TASK_ROUTES)
def test_another_users_task_answers_exactly_like_a_missing_one(
    auth_client, user, theirs, method, suffix, body
):
    theirs_response = call(auth_client, method, user.id, suffix, theirs.id, body)
    missing_response = call(auth_client, method, user.id, suffix, uuid.uuid4(), body)

    assert theirs_response.status_code == missing_response.status_code == 404
    assert theirs_response.json() == missing_response.json()


@pytest.mark.parametrize(("method", "suffix", "body"), ALL_ROUTES)
def test_another_users_id_in_the_path_is_a_403_and_changes_nothing(
    auth_client, other_user, theirs, method, suffix, body
):
    stored = task_json(theirs)

    response = call(auth_client, method, other_user.id, suffix, theirs.id, body)

    theirs.refresh_from_db()
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert Task.objects.count() == 1
    assert task_json(theirs) == stored


@pytest.mark.parametrize(("method", "suffix", "body"), ALL_ROUTES)
def test_another_users_id_in_the_path_is_a_403_even_for_your_own_task(
    auth_client, user, other_user, method, suffix, body
):
    mine = TaskFactory(user=user)
    stored = task_json(mine)

    response = call(auth_client, method, other_user.id, suffix, mine.id, body)

    mine.refresh_from_db()
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert Task.objects.count() == 1
    assert task_json(mine) == stored


@pytest.mark.parametrize(
    "path_user_id",
    [
        "not-a-uuid",
        "0",
        "me",
        "00000000-0000-0000-0000-000000000000",
        "%20",
        "{user}",
        "{user_hex}",
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body"), ALL_ROUTES)
def test_a_user_id_that_is_not_yours_whatever_its_form_is_a_403(
    auth_client, user, method, suffix, body, path_user_id
):
    mine = TaskFactory(user=user)
    path_user_id = path_user_id.format(user=f"{{{user.id}}}", user_hex=user.id.hex)

    response = call(auth_client, method, path_user_id, suffix, mine.id, body)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status"),
    [
        ("get", "", None, 200),
        ("post", "", {"title": "Upper"}, 201),
        ("get", "/{task}", None, 200),
        ("put", "/{task}", {"title": "Upper"}, 200),
        ("patch", "/{task}", {"title": "Upper"}, 200),
        ("patch", "/{task}/complete", {"completed": True}, 200),
        ("delete", "/{task}", None, 204),
    ],
)
def test_your_own_user_id_in_upper_case_is_accepted(
    auth_client, user, method, suffix, body, status
):
    mine = TaskFactory(user=user)

    response = call(auth_client, method, str(user.id).upper(), suffix, mine.id, body)

    assert response.status_code == status


def test_creating_under_an_upper_case_user_id_answers_with_the_canonical_location(
    auth_client, user
):
    response = auth_client.post(
        f"/api/{str(user.id).upper()}/tasks", {"title": "Upper"}, format="json"
    )

    task = Task.objects.get()
    assert response.status_code == 201
    assert task.user == user
    assert response["Location"] == f"http://testserver/api/{user.id}/tasks/{task.id}"


@pytest.mark.parametrize(("method", "suffix", "body"), SINGLE_TASK_ROUTES)
def test_a_task_id_in_upper_case_finds_the_task(auth_client, user, method, suffix, body):
    mine = TaskFactory(user=user, title="Found")

    response = call(auth_client, method, user.id, suffix, str(mine.id).upper(), body)

    assert response.status_code in (200, 204)
    if method == "delete":
        assert not Task.objects.live().exists()
    else:
        assert response.json()["data"]["id"] == str(mine.id)


@pytest.mark.parametrize("spelling", ["{{{id}}}", "{hex}", "urn:uuid:{id}", "{id}x", "x{id}"])
@pytest.mark.parametrize(("method", "suffix", "body"), SINGLE_TASK_ROUTES)
def test_a_task_id_spelled_other_than_8_4_4_4_12_is_a_404(
    auth_client, user, method, suffix, body, spelling
):
    mine = TaskFactory(user=user)
    stored = task_json(mine)
    task_id = spelling.format(id=mine.id, hex=mine.id.hex)

    response = call(auth_client, method, user.id, suffix, task_id, body)

    mine.refresh_from_db()
    assert response.status_code == 404
    assert response.json() == NO_ROUTE
    assert task_json(mine) == stored


@pytest.mark.parametrize(("method", "suffix", "body"), SINGLE_TASK_ROUTES)
def test_another_users_task_under_their_own_id_in_the_path_is_a_403_not_a_404(
    auth_client, other_user, theirs, method, suffix, body
):
    """The path check comes first, so a 403 never tells whether the task exists."""
    existing = call(auth_client, method, other_user.id, suffix, theirs.id, body)
    missing = call(auth_client, method, other_user.id, suffix, uuid.uuid4(), body)

    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json() == FORBIDDEN


def test_the_owner_still_sees_their_task_after_another_user_tried_every_route(
    auth_client, other_client, user, theirs
):
    for method, suffix, body in SINGLE_TASK_ROUTES:
        call(auth_client, method, user.id, suffix, theirs.id, body)

    response = other_client.get(f"/api/{theirs.user_id}/tasks/{theirs.id}")

    assert response.status_code == 200
    assert response.json() == {"data": task_json(theirs), "error": None}
