"""GET /api/{user_id}/tasks/changes: what changed since a client's last sync."""

import random
import threading
import time
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import bearer_client, read_while_writing
from tasks.models import Task
from tasks.sync import LedgerSnapshot, SyncCursor
from tasks.tests.factories import TaskFactory


def changes(client, user, **params):
    response = client.get(f"/api/{user.pk}/tasks/changes", params)
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def tasks_url(user, task_id=None, suffix=""):
    base = f"/api/{user.pk}/tasks"
    return f"{base}/{task_id}{suffix}" if task_id else base


class Replica:
    """What a sync client keeps: the user's tasks by id, brought up to date page by page."""

    def __init__(self, client, user):
        self.client, self.user = client, user
        self.tasks: dict[str, dict] = {}
        self.cursor: str | None = None

    def sync(self, limit: int = 100) -> int:
        """Pulls every page; returns how many changes it applied."""
        applied = 0
        while True:
            params = {"limit": limit, **({"since": self.cursor} if self.cursor else {})}
            page = changes(self.client, self.user, **params)
            for task in page["tasks"]:
                self.tasks[task["id"]] = task
            for task_id in page["deleted"]:
                self.tasks.pop(task_id, None)
            applied += len(page["tasks"]) + len(page["deleted"])
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return applied


def server_state(client, user) -> dict[str, dict]:
    items, cursor = {}, None
    while True:
        query = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(tasks_url(user), query).json()["data"]
        items.update({item["id"]: item for item in page["items"]})
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            return items


def test_a_sync_session_sees_creates_updates_and_deletes_once(auth_client, user):
    phone, laptop = Replica(auth_client, user), Replica(bearer_client(user), user)
    kept = auth_client.post(tasks_url(user), {"title": "Keep"}, format="json").json()["data"]
    gone = auth_client.post(tasks_url(user), {"title": "Drop"}, format="json").json()["data"]
    assert phone.sync() == 2

    auth_client.patch(tasks_url(user, kept["id"]), {"title": "Kept"}, format="json")
    auth_client.delete(tasks_url(user, gone["id"]))
    added = auth_client.post(tasks_url(user), {"title": "New"}, format="json").json()["data"]

    assert phone.sync() == 3
    assert phone.sync() == 0
    assert laptop.sync() == 2
    assert laptop.sync() == 0
    assert phone.tasks == laptop.tasks == server_state(auth_client, user)
    assert set(phone.tasks) == {kept["id"], added["id"]}
    assert phone.tasks[kept["id"]]["title"] == "Kept"


def test_a_deleted_task_is_gone_from_every_normal_route(auth_client, user):
    task = TaskFactory(user=user)
    auth_client.delete(tasks_url(user, task.pk))

    listed = auth_client.get(tasks_url(user)).json()["data"]

    assert auth_client.get(tasks_url(user, task.pk)).status_code == 404
    assert (
        auth_client.patch(tasks_url(user, task.pk), {"title": "x"}, format="json").status_code
        == 404
    )
    assert auth_client.delete(tasks_url(user, task.pk)).status_code == 404
    assert listed["items"] == [] and listed["pagination"]["total"] == 0
    assert Task.objects.filter(pk=task.pk, deleted_at__isnull=False).exists()


def test_changes_come_oldest_first_in_pages(auth_client, user):
    tasks = [
        auth_client.post(tasks_url(user), {"title": f"t{n}"}, format="json").json()["data"]
        for n in range(5)
    ]
    auth_client.patch(tasks_url(user, tasks[0]["id"]), {"title": "t0 again"}, format="json")

    first = changes(auth_client, user, limit=2)
    second = changes(auth_client, user, limit=2, since=first["next_cursor"])
    third = changes(auth_client, user, limit=2, since=second["next_cursor"])

    titles = [t["title"] for page in (first, second, third) for t in page["tasks"]]
    assert titles == ["t1", "t2", "t3", "t4", "t0 again"]
    assert [first["has_more"], second["has_more"], third["has_more"]] == [True, True, False]


def test_a_full_sync_of_an_empty_account_still_gives_a_cursor(auth_client, user):
    first = changes(auth_client, user)
    auth_client.post(tasks_url(user), {"title": "later"}, format="json")

    then = changes(auth_client, user, since=first["next_cursor"])

    assert first["tasks"] == first["deleted"] == []
    assert [task["title"] for task in then["tasks"]] == ["later"]


def test_another_users_changes_never_appear(auth_client, other_client, user, other_user):
    TaskFactory(user=other_user)

    assert changes(auth_client, user)["tasks"] == []
    assert other_client.get(f"/api/{user.pk}/tasks/changes").status_code == 403


@pytest.mark.parametrize("since", ["garbage", "eyJjIjoiMSJ9", "eyJ0IjoxfQ", "x" * 300])
def test_a_malformed_cursor_is_a_422(auth_client, user, since):
    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": since})

    assert response.status_code == 422
    assert list(response.json()["error"]["details"]) == ["since"]


def test_a_cursor_older_than_the_retention_is_a_410(auth_client, user, settings):
    old = SyncCursor(0, int(time.time()) - settings.TOMBSTONE_RETENTION_DAYS * 86_400 - 60)

    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": old.encode()})

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "CURSOR_EXPIRED"


def test_a_cursor_from_before_a_purged_tombstone_is_a_410(auth_client, user):
    task = TaskFactory(user=user)
    cursor = changes(auth_client, user)["next_cursor"]
    auth_client.delete(tasks_url(user, task.pk))
    Task.objects.filter(pk=task.pk).update(deleted_at=timezone.now() - timedelta(days=31))

    call_command("purge_expired")
    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": cursor})

    assert not Task.objects.filter(pk=task.pk).exists()
    assert response.status_code == 410


def test_purging_keeps_recent_tombstones(auth_client, user):
    task = TaskFactory(user=user)
    auth_client.delete(tasks_url(user, task.pk))

    call_command("purge_expired")

    assert Task.objects.filter(pk=task.pk).exists()


def write_at_random(user, seed: list, number: int, *, rounds: int, creates: float, updates: float):
    """Writer `number` of a concurrent test, in its own thread: creates tasks, retitles
    tasks of `seed` and deletes them (the rest of the time), in a repeatable random order."""
    client, chooser = bearer_client(user), random.Random(number)
    try:
        for _ in range(rounds):
            choice = chooser.random()
            if choice < creates:
                client.post(tasks_url(user), {"title": f"w{number}"}, format="json")
            elif choice < creates + updates:
                client.patch(
                    tasks_url(user, chooser.choice(seed)),
                    {"title": f"w{number}-{chooser.random()}"},
                    format="json",
                )
            else:
                client.delete(tasks_url(user, chooser.choice(seed)))
    finally:
        connection.close()


def create(client, user, title: str) -> dict:
    return client.post(tasks_url(user), {"title": title}, format="json").json()["data"]


def purge_as_expired(task_id) -> None:
    """Ages the tombstone past the retention and runs the daily purge."""
    Task.objects.filter(pk=task_id).update(deleted_at=timezone.now() - timedelta(days=31))
    call_command("purge_expired")


def test_a_full_sync_hands_out_the_latest_change_so_an_earlier_deletion_is_not_replayed(
    auth_client, user
):
    kept = create(auth_client, user, "X")
    gone = create(auth_client, user, "Y")
    auth_client.delete(tasks_url(user, gone["id"]))

    full = changes(auth_client, user)
    then = changes(auth_client, user, since=full["next_cursor"])

    assert [task["id"] for task in full["tasks"]] == [kept["id"]]
    assert then == {
        "tasks": [],
        "deleted": [],
        "next_cursor": then["next_cursor"],
        "has_more": False,
    }


def test_a_full_sync_after_a_purge_hands_out_a_cursor_that_is_not_expired(auth_client, user):
    create(auth_client, user, "X")
    gone = create(auth_client, user, "Y")
    auth_client.delete(tasks_url(user, gone["id"]))
    purge_as_expired(gone["id"])

    full = changes(auth_client, user)
    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": full["next_cursor"]})

    assert response.status_code == 200
    assert response.json()["data"]["tasks"] == response.json()["data"]["deleted"] == []


def test_a_full_sync_in_pages_after_a_purge_is_never_refused_and_ends_on_the_latest_change(
    auth_client, user
):
    first = create(auth_client, user, "first")
    gone = create(auth_client, user, "gone")
    last = create(auth_client, user, "last")
    auth_client.delete(tasks_url(user, gone["id"]))
    purge_as_expired(gone["id"])
    replica = Replica(auth_client, user)

    replica.sync(limit=1)
    create(auth_client, user, "after the walk")

    assert set(replica.tasks) == {first["id"], last["id"]}
    assert [
        task["title"] for task in changes(auth_client, user, since=replica.cursor)["tasks"]
    ] == ["after the walk"]


def test_a_walk_that_held_a_task_whose_tombstone_was_purged_must_resync(auth_client, user):
    held = create(auth_client, user, "held")
    create(auth_client, user, "not yet listed")
    page = changes(auth_client, user, limit=1)
    auth_client.delete(tasks_url(user, held["id"]))
    purge_as_expired(held["id"])

    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": page["next_cursor"]})

    assert page["has_more"] is True
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "CURSOR_EXPIRED"


def test_a_change_committed_after_the_ledger_was_read_waits_for_the_next_page(
    auth_client, user, monkeypatch
):
    create(auth_client, user, "before")
    snapshot = LedgerSnapshot.read(user.pk)
    create(auth_client, user, "in between")
    monkeypatch.setattr(LedgerSnapshot, "read", classmethod(lambda cls, user_id: snapshot))

    full = changes(auth_client, user)
    monkeypatch.undo()
    then = changes(auth_client, user, since=full["next_cursor"])

    assert [task["title"] for task in full["tasks"]] == ["before"]
    assert [task["title"] for task in then["tasks"]] == ["in between"]


@pytest.mark.parametrize("then_created", [False, True], ids=["nothing else", "a later task"])
def test_a_purge_that_commits_while_a_page_is_read_is_never_missed(
    auth_client, user, monkeypatch, then_created
):
    held = create(auth_client, user, "held")
    cursor = changes(auth_client, user)["next_cursor"]
    auth_client.delete(tasks_url(user, held["id"]))
    if then_created:
        create(auth_client, user, "later")
    before_the_purge = LedgerSnapshot.read(user.pk)
    purge_as_expired(held["id"])
    reads = iter([before_the_purge])
    real_read = LedgerSnapshot.read.__func__
    monkeypatch.setattr(
        LedgerSnapshot,
        "read",
        classmethod(lambda cls, user_id: next(reads, None) or real_read(cls, user_id)),
    )

    response = auth_client.get(f"/api/{user.pk}/tasks/changes", {"since": cursor})

    assert response.status_code == 410


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_client_syncing_during_concurrent_writes_misses_nothing(user):
    seed = [TaskFactory(user=user).pk for _ in range(10)]
    reader = Replica(bearer_client(user), user)

    failures = read_while_writing(
        lambda: reader.sync(limit=7),
        [
            partial(write_at_random, user, seed, n, rounds=30, creates=0.4, updates=0.4)
            for n in range(6)
        ],
    )
    reader.sync()

    assert failures == []
    assert reader.tasks == server_state(bearer_client(user), user)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_full_syncs_racing_writers_and_deleters_converge_with_one_incremental_sync(user):
    """Full syncs walked in small pages while tasks are created, changed and deleted: none is
    refused, and after the writers stop one incremental sync brings each replica to the
    server's state. A replica may be told of a deletion of a task it never received (one
    deleted before its full sync began); dropping an id it does not hold is a no-op."""
    seed = [TaskFactory(user=user).pk for _ in range(20)]
    replicas: list[Replica] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        write_at_random(user, seed, number, rounds=40, creates=0.4, updates=0.3)

    def full_syncs() -> None:
        try:
            while not stop.is_set():
                replica = Replica(bearer_client(user), user)
                replica.sync(limit=3)
                replicas.append(replica)
        except BaseException as failure:  # reported below, with the thread's own traceback
            failures.append(failure)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    syncers = [threading.Thread(target=full_syncs) for _ in range(2)]
    for thread in syncers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in syncers:
        thread.join()

    assert failures == []
    assert len(replicas) >= 2
    expected = server_state(bearer_client(user), user)
    for replica in replicas:
        replica.sync()
        assert replica.tasks == expected
