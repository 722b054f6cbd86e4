"""The ledger stays exact when one statement writes many tasks: bulk inserts, updates,
tombstones, hard deletes and moves between users, on both databases (see TaskLedger and
migration 0006)."""

import random
from functools import partial

import pytest
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from conftest import bearer_client, read_while_writing
from tasks.models import Task, TaskLedger
from tasks.tests.factories import TaskFactory
from tasks.tests.test_sync import Replica, server_state, write_at_random


def ledger_of(user) -> dict:
    row = TaskLedger.objects.get(user=user)
    return {"total": row.total, "completed": row.completed, "last_change": row.last_change}


def counted(user) -> dict:
    """What the ledger must say, counted from the rows themselves."""
    rows = Task.objects.owned_by(user.pk)
    live = rows.live().aggregate(total=Count("id"), completed=Count("id", filter=Q(completed=True)))
    return {**live, "last_change": rows.aggregate(last=Max("change_seq"))["last"] or 0}


def change_numbers(user) -> list[int]:
    return list(Task.objects.owned_by(user.pk).values_list("change_seq", flat=True))


def assert_ledger_exact(*users) -> None:
    for user in users:
        numbers = change_numbers(user)
        assert len(set(numbers)) == len(numbers), "a change number was given twice"
        assert ledger_of(user)["total"] == counted(user)["total"]
        assert ledger_of(user)["completed"] == counted(user)["completed"]
        assert ledger_of(user)["last_change"] >= counted(user)["last_change"]


def bulk_insert(user, count: int, **fields) -> None:
    now = timezone.now()
    Task.objects.bulk_create(
        Task(
            user=user,
            title=f"bulk {n}",
            completed_at=now if fields.get("completed") else None,
            **fields,
        )
        for n in range(count)
    )


@pytest.mark.django_db
def test_one_insert_of_many_tasks_counts_them_and_numbers_each(user):
    bulk_insert(user, 150)
    bulk_insert(user, 50, completed=True)

    assert (
        ledger_of(user)
        == counted(user)
        == {
            "total": 200,
            "completed": 50,
            "last_change": max(change_numbers(user)),
        }
    )
    assert_ledger_exact(user)


@pytest.mark.django_db
def test_one_update_of_many_tasks_moves_the_counts_once_and_numbers_each_change(user):
    bulk_insert(user, 120)
    before = ledger_of(user)["last_change"]

    Task.objects.owned_by(user.pk).update(
        completed=True, completed_at=timezone.now(), version=F("version") + 1
    )

    assert ledger_of(user)["completed"] == 120
    assert min(change_numbers(user)) > before
    assert ledger_of(user)["last_change"] == max(change_numbers(user))
    assert_ledger_exact(user)


@pytest.mark.django_db
def test_an_update_that_changes_nothing_numbers_nothing(user):
    bulk_insert(user, 30)
    before, numbers = ledger_of(user), change_numbers(user)

    Task.objects.owned_by(user.pk).update(title=F("title"))

    assert ledger_of(user) == before
    assert change_numbers(user) == numbers


@pytest.mark.django_db
def test_tombstoning_many_tasks_at_once_leaves_them_uncounted_but_numbered(user):
    bulk_insert(user, 80)
    bulk_insert(user, 20, completed=True)
    before = ledger_of(user)["last_change"]

    Task.objects.owned_by(user.pk).delete_as_tombstones()

    assert ledger_of(user)["total"] == ledger_of(user)["completed"] == 0
    assert min(change_numbers(user)) > before
    assert_ledger_exact(user)


@pytest.mark.django_db
def test_deleting_many_rows_at_once_subtracts_only_the_live_ones(user):
    bulk_insert(user, 60, completed=True)
    bulk_insert(user, 40)
    Task.objects.owned_by(user.pk).filter(title__in=["bulk 1", "bulk 2"]).delete_as_tombstones()

    Task.objects.owned_by(user.pk).delete()

    assert ledger_of(user)["total"] == ledger_of(user)["completed"] == 0


@pytest.mark.django_db
def test_one_statement_over_several_users_keeps_each_ledger(user, other_user):
    bulk_insert(user, 40)
    bulk_insert(other_user, 25, completed=True)

    Task.objects.filter(user__in=[user, other_user]).update(
        completed=True, completed_at=timezone.now()
    )
    Task.objects.owned_by(other_user.pk).filter(title__in=["bulk 3", "bulk 4"]).update(user=user)

    assert counted(user)["total"] == 42
    assert counted(other_user)["total"] == 23
    assert_ledger_exact(user, other_user)


@pytest.mark.django_db
def test_a_sync_after_a_bulk_update_lists_each_task_once(auth_client, user):
    bulk_insert(user, 50)
    replica = Replica(auth_client, user)
    replica.sync(limit=20)

    Task.objects.owned_by(user.pk).update(title="renamed", version=F("version") + 1)
    applied = replica.sync(limit=20)

    assert applied == 50
    assert {task["title"] for task in replica.tasks.values()} == {"renamed"}
    assert replica.tasks == server_state(auth_client, user)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_bulk_statements_and_single_writes_mixed_keep_the_ledger_and_the_feed_exact(user):
    """Bulk writers (inserts, updates and tombstones of 50 tasks at a time) race API writers,
    while a client syncs: the ledger's counts match a real count, no change number repeats,
    and the replica ends equal to the server. (A hard DELETE is not a change the feed
    reports: only the purge of old tombstones makes one, and it marks the ledger.)"""
    seed = [TaskFactory(user=user).pk for _ in range(20)]
    reader = Replica(bearer_client(user), user)

    def bulk_writer(number: int) -> None:
        chooser = random.Random(number)
        for round_number in range(8):
            title = f"bulk {number}-{round_number}"
            Task.objects.bulk_create(Task(user=user, title=title) for _ in range(50))
            mine = Task.objects.owned_by(user.pk).live()
            mine = mine.filter(title__regex=rf"^(bulk|renamed) {number}-")
            choice = chooser.random()
            if choice < 0.4:
                done = chooser.random() < 0.5
                mine.update(**Task.completion_values(done, timezone.now()))
            elif choice < 0.7:
                mine.filter(title=title).delete_as_tombstones()
            else:
                mine.update(title=f"renamed {number}-{round_number}")

    failures = read_while_writing(
        lambda: reader.sync(limit=37),
        [partial(bulk_writer, n) for n in range(3)]
        + [
            partial(write_at_random, user, seed, n, rounds=25, creates=0.4, updates=0.4)
            for n in range(3)
        ],
    )

    reader.sync()

    assert failures == []
    assert_ledger_exact(user)
    assert ledger_of(user)["last_change"] == counted(user)["last_change"]
    assert reader.tasks == server_state(bearer_client(user), user)
