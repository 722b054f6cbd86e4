"""update_returning: one UPDATE that answers with the rows as written, typed as a read would
type them (SQLite returns UUIDs, datetimes and booleans as raw values that Django converts).

Where Django's private compiler API is missing, the same answers come from an update and a
read; the tests marked with the `update_path` fixture run on both paths.
"""

import datetime

import pytest
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from taskapi import returning
from tasks.models import Task
from tasks.tests.factories import TaskFactory


@pytest.fixture(params=["one query", "update then read"])
def update_path(request, monkeypatch):
    """Runs the test on the one-query path, then again with it reported missing."""
    if request.param == "update then read":
        monkeypatch.setattr(returning, "can_update_returning", lambda connection: False)
    return request.param


def stored(task: Task) -> dict:
    """The task's row as a fresh read gives it, in the fields the instance has loaded."""
    loaded = [
        field.attname
        for field in Task._meta.concrete_fields
        if field.attname not in task.get_deferred_fields()
    ]
    return Task.objects.filter(pk=task.pk).values(*loaded).get()


def completing_write(now) -> dict:
    """The values a PATCH that retitles and completes a task writes."""
    return {
        "title": "Changed",
        "completed": True,
        "completed_at": Coalesce("completed_at", Value(now)),
        "updated_at": now,
        "version": F("version") + 1,
    }


def loaded_values(task: Task) -> dict:
    return {name: getattr(task, name) for name in stored(task)}


def test_the_rows_returned_are_the_rows_as_written(user, django_assert_num_queries):
    task = TaskFactory(user=user, due_date=timezone.now())
    now = timezone.now()

    with django_assert_num_queries(1):
        (written,) = Task.objects.filter(pk=task.pk).update_returning(
            completing_write(now), deferred={"change_seq"}
        )

    assert isinstance(written, Task)
    assert written.get_deferred_fields() == {"change_seq"}
    assert loaded_values(written) == stored(written)
    assert (written.title, written.completed_at, written.version) == ("Changed", now, 2)
    assert isinstance(written.id, type(task.id))
    assert isinstance(written.due_date, datetime.datetime)
    assert written.due_date.tzinfo is not None
    assert written.completed is True


def test_only_the_rows_the_filter_matches_are_written_and_returned(update_path, user):
    first, second = TaskFactory.create_batch(2, user=user, title="Before")

    written = Task.objects.filter(pk=first.pk).update_returning({"title": "After"})

    assert [task.pk for task in written] == [first.pk]
    assert stored(first)["title"] == "After"
    assert stored(second)["title"] == "Before"


def test_a_filter_that_matches_nothing_writes_and_returns_nothing(update_path, user):
    task = TaskFactory(user=user, title="Before")

    assert Task.objects.filter(pk=task.pk, version=99).update_returning({"title": "After"}) == []
    assert stored(task)["title"] == "Before"


def test_a_filter_no_row_can_match_returns_nothing_without_a_query(user, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Task.objects.filter(pk__in=[]).update_returning({"title": "After"}) == []


def test_a_deferred_field_is_read_from_the_row_when_first_used(
    update_path, user, django_assert_num_queries
):
    task = TaskFactory(user=user)
    numbered_at_create = Task.objects.get(pk=task.pk).change_seq

    (written,) = Task.objects.filter(pk=task.pk).update_returning(
        {"title": "Changed", "version": F("version") + 1}, deferred={"change_seq"}
    )

    with django_assert_num_queries(1):
        change_number = written.change_seq
    # The trigger numbered the change after the row was written; the read sees its number.
    assert change_number == Task.objects.get(pk=task.pk).change_seq > numbered_at_create


def test_this_django_and_database_take_the_one_query_path():
    assert returning.can_update_returning(connection)


def test_without_the_one_query_path_the_rows_returned_are_the_rows_as_written(
    user, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(returning, "can_update_returning", lambda connection: False)
    task = TaskFactory(user=user, due_date=timezone.now(), version=3)
    now = timezone.now()

    (written,) = Task.objects.filter(pk=task.pk, version=3).update_returning(
        completing_write(now), deferred={"change_seq"}
    )

    assert written.get_deferred_fields() == {"change_seq"}
    assert loaded_values(written) == stored(written)
    assert (written.title, written.completed_at, written.version) == ("Changed", now, 4)


def test_an_api_write_answers_the_same_without_the_one_query_path(auth_client, user, monkeypatch):
    monkeypatch.setattr(returning, "can_update_returning", lambda connection: False)
    task = TaskFactory(user=user, title="Before")

    response = auth_client.patch(
        f"/api/{user.pk}/tasks/{task.pk}",
        {"title": "After"},
        format="json",
        headers={"If-Match": task.etag},
    )

    assert response.status_code == 200
    assert response.json()["data"]["title"] == "After"
    assert response.json()["data"]["version"] == 2
    assert response["ETag"] == f'"{task.pk}.2"'
