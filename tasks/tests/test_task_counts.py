"""The per-user task counts that list totals read: kept by triggers, they never drift."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Count, Q

from conftest import bearer_client
from tasks.models import Task, TaskLedger
from tasks.tests.factories import TaskFactory


def real_counts() -> dict:
    rows = (
        Task.objects.live()
        .values("user_id")
        .annotate(total=Count("id"), completed=Count("id", filter=Q(completed=True)))
    )
    return {row["user_id"]: (row["total"], row["completed"]) for row in rows}


def kept_counts() -> dict:
    return {
        row.user_id: (row.total, row.completed)
        for row in TaskLedger.objects.all()
        if row.total  # a user whose tasks are all gone keeps a row of zeros
    }


def tasks_url(user, task=None, suffix="") -> str:
    base = f"/api/{user.pk}/tasks"
    return f"{base}/{task.pk}{suffix}" if task else base


@pytest.mark.django_db
def test_counts_follow_every_kind_of_write(user, other_user, auth_client):
    TaskFactory.create_batch(3, user=user)
    TaskFactory.create_batch(2, user=other_user, completed=True)
    Task.objects.bulk_create([Task(user=user, title=f"bulk {n}") for n in range(4)])
    created = auth_client.post(tasks_url(user), {"title": "via the API"}, format="json")
    task = Task.objects.get(pk=created.json()["data"]["id"])

    auth_client.patch(tasks_url(user, task, "/complete"), {"completed": True}, format="json")
    auth_client.put(tasks_url(user, task), {"title": "reopened by replace"}, format="json")
    auth_client.patch(tasks_url(user, task), {"completed": True}, format="json")
    Task.objects.filter(user=user, title__startswith="bulk").update(completed=False)
    Task.objects.filter(pk=Task.objects.filter(user=other_user).first().pk).update(user=user)
    auth_client.delete(tasks_url(user, Task.objects.filter(user=user).last()))

    assert kept_counts() == real_counts()
    assert TaskLedger.objects.get(user=user).total == Task.objects.live().filter(user=user).count()


@pytest.mark.django_db
def test_deleting_a_user_deletes_their_counts(user):
    TaskFactory.create_batch(2, user=user)

    user.delete()

    assert not TaskLedger.objects.filter(user_id=user.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected_total"), [("all", 5), ("pending", 3), ("completed", 2)]
)
def test_list_totals_by_status_come_from_the_counts_in_the_page_query(
    user, auth_client, status, expected_total, django_assert_num_queries
):
    TaskFactory.create_batch(3, user=user)
    TaskFactory.create_batch(2, user=user, completed=True)
    auth_client.get(tasks_url(user))  # authentication remembers the user is active

    with django_assert_num_queries(1) as captured:
        response = auth_client.get(tasks_url(user), {"status": status, "limit": 1})

    assert response.json()["data"]["pagination"]["total"] == expected_total
    assert "tasks_usertaskcount" in captured.captured_queries[0]["sql"]
    assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "offset"), [("completed", 0), ("all", 3), ("pending", 9)])
def test_an_empty_page_still_reads_its_total_from_the_counts(
    user, auth_client, status, offset, django_assert_num_queries
):
    TaskFactory.create_batch(3, user=user)
    auth_client.get(tasks_url(user))

    with django_assert_num_queries(2) as captured:
        response = auth_client.get(tasks_url(user), {"status": status, "offset": offset})

    assert response.json()["data"]["items"] == []
    assert response.json()["data"]["pagination"]["total"] == (0 if status == "completed" else 3)
    assert "COUNT(" not in " ".join(query["sql"].upper() for query in captured.captured_queries)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_counts_match_a_real_count_after_a_mixed_concurrent_workload(user):
    seed = TaskFactory.create_batch(20, user=user)
    seed_ids = [task.pk for task in seed]
    errors = []

    def worker(number: int) -> None:
        client = bearer_client(user)
        chooser = random.Random(number)
        try:
            for _ in range(25):
                task_id = chooser.choice(seed_ids)
                action = chooser.choice(["create", "complete", "reopen", "replace", "delete"])
                if action == "create":
                    response = client.post(tasks_url(user), {"title": "t"}, format="json")
                elif action in ("complete", "reopen"):
                    response = client.patch(
                        f"{tasks_url(user)}/{task_id}/complete",
                        {"completed": action == "complete"},
                        format="json",
                    )
                elif action == "replace":
                    response = client.put(
                        f"{tasks_url(user)}/{task_id}",
                        {"title": "r", "completed": chooser.random() < 0.5},
                        format="json",
                    )
                else:
                    response = client.delete(f"{tasks_url(user)}/{task_id}")
                if response.status_code >= 500:
                    errors.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert kept_counts() == real_counts()
