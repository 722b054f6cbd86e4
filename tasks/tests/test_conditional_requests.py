"""ETags and If-Match: a client that read version N writes only if the task is still at N."""

import threading

import pytest
from django.db import connection

from conftest import bearer_client
from tasks.models import Task
from tasks.tests.factories import TaskFactory


@pytest.fixture
def task(user):
    return TaskFactory(user=user, title="Draft")


def url(task, suffix="") -> str:
    return f"/api/{task.user_id}/tasks/{task.pk}{suffix}"


def etag(task, version: int) -> str:
    return f'"{task.pk}.{version}"'


PRECONDITION_FAILED = {
    "data": None,
    "error": {
        "code": "PRECONDITION_FAILED",
        "message": "The resource has changed since you read it (If-Match did not match).",
        "details": None,
    },
}


def test_a_new_task_is_version_1_and_every_change_adds_one(auth_client, user):
    created = auth_client.post(f"/api/{user.pk}/tasks", {"title": "New"}, format="json")
    task = Task.objects.get(pk=created.json()["data"]["id"])

    renamed = auth_client.patch(url(task), {"title": "Renamed"}, format="json")
    completed = auth_client.patch(url(task, "/complete"), {"completed": True}, format="json")
    unchanged = auth_client.patch(url(task), {"title": "Renamed"}, format="json")

    assert created.json()["data"]["version"] == 1
    assert created["ETag"] == etag(task, 1)
    assert renamed.json()["data"]["version"] == 2
    assert completed.json()["data"]["version"] == 3
    assert unchanged.json()["data"]["version"] == 3
    assert unchanged["ETag"] == etag(task, 3)


def test_getting_a_task_answers_its_etag(auth_client, task):
    response = auth_client.get(url(task))

    assert response.status_code == 200
    assert response["ETag"] == etag(task, 1)


@pytest.mark.parametrize("if_none_match", ["{current}", "W/{current}", '"other", {current}', "*"])
def test_a_get_with_the_current_etag_is_a_304_without_a_body(auth_client, task, if_none_match):
    header = if_none_match.format(current=etag(task, 1))

    response = auth_client.get(url(task), HTTP_IF_NONE_MATCH=header)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag(task, 1)


def test_a_get_with_an_old_etag_answers_the_task(auth_client, task):
    auth_client.patch(url(task), {"title": "Changed"}, format="json")

    response = auth_client.get(url(task), HTTP_IF_NONE_MATCH=etag(task, 1))

    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Changed"


WRITES = [
    pytest.param("put", "", {"title": "Replaced"}, id="put"),
    pytest.param("patch", "", {"title": "Patched"}, id="patch"),
    pytest.param("patch", "/complete", {"completed": True}, id="complete"),
    pytest.param("delete", "", None, id="delete"),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_write_with_a_stale_if_match_is_a_412_and_changes_nothing(
    auth_client, task, method, suffix, body
):
    auth_client.patch(url(task), {"description": "someone else's edit"}, format="json")
    before = Task.objects.values().get(pk=task.pk)

    response = getattr(auth_client, method)(
        url(task, suffix), body, format="json", HTTP_IF_MATCH=etag(task, 1)
    )

    assert response.status_code == 412
    assert response.json() == PRECONDITION_FAILED
    assert Task.objects.values().get(pk=task.pk) == before


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_write_with_the_current_if_match_succeeds(auth_client, task, method, suffix, body):
    response = getattr(auth_client, method)(
        url(task, suffix), body, format="json", HTTP_IF_MATCH=f'"x", {etag(task, 1)}'
    )

    assert response.status_code in (200, 204)
    assert Task.objects.get(pk=task.pk).version == 2


@pytest.mark.parametrize("if_match", ["*", None])
def test_if_match_star_or_no_if_match_lets_the_last_writer_win(auth_client, task, if_match):
    auth_client.patch(url(task), {"description": "first"}, format="json")
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}

    response = auth_client.patch(url(task), {"title": "second"}, format="json", **headers)

    assert response.status_code == 200
    assert response.json()["data"]["version"] == 3


@pytest.mark.parametrize("if_match", ['W/"{id}.1"', '"{id}.x"', "garbage", '"other-task.1"'])
def test_an_if_match_that_names_no_version_of_this_task_is_a_412(auth_client, task, if_match):
    response = auth_client.patch(
        url(task), {"title": "x"}, format="json", HTTP_IF_MATCH=if_match.format(id=task.pk)
    )

    assert response.status_code == 412


def test_if_match_on_a_missing_task_is_a_404(auth_client, user):
    response = auth_client.delete(
        f"/api/{user.pk}/tasks/00000000-0000-4000-8000-000000000000", HTTP_IF_MATCH='"x.1"'
    )

    assert response.status_code == 404


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_two_racing_writers_with_the_same_if_match_get_one_200_and_one_412(
    user, method, suffix, body
):
    statuses = []
    for _ in range(20):
        task = TaskFactory(user=user)
        barrier = threading.Barrier(2)
        answers = []

        def write(task=task, barrier=barrier, answers=answers):
            client = bearer_client(user)
            try:
                barrier.wait()
                response = getattr(client, method)(
                    url(task, suffix), body, format="json", HTTP_IF_MATCH=etag(task, 1)
                )
                answers.append(response.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses.append(sorted(answers))
        assert Task.objects.get(pk=task.pk).version == 2

    success = 204 if method == "delete" else 200
    assert statuses == [[success, 412]] * 20
