"""Concurrent writers on one task: changes to different fields never overwrite each other.

Each round, two clients send their PATCH at the same moment (a barrier releases both
threads together). An update is one UPDATE that writes only the fields the request sends, so
neither change is lost, and each answer is the row as its UPDATE left it, so the later one
shows both.
SQLite serialises every writer, so these run on PostgreSQL only.
"""

import threading

import pytest
from django.db import connection

from conftest import bearer_client
from tasks.models import Task
from tasks.tests.factories import TaskFactory

ROUNDS = 200
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Two clients of one user send 2 x ROUNDS requests; keep the rate limit out of it."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": "100000/minute"}


def race(task: Task, writers: dict[str, callable]) -> dict[str, list]:
    """Runs each writer in its own thread, ROUNDS times, all released together each round.

    A writer is `f(client, url, round) -> response`. Returns, per writer, the (status, data)
    of every round, plus a "stored" list holding the row after each round.
    """
    url = f"/api/{task.user_id}/tasks/{task.id}"
    barrier = threading.Barrier(len(writers), timeout=30)
    results: dict[str, list] = {name: [] for name in writers}
    results["stored"] = []
    failures: list[BaseException] = []
    first = next(iter(writers))

    def run(name: str, writer) -> None:
        client = bearer_client(task.user)
        try:
            for round_ in range(ROUNDS):
                barrier.wait()
                response = writer(client, url, round_)
                results[name].append((response.status_code, response.json()["data"]))
                barrier.wait()
                if name == first:
                    # The other writer waits at the next round's barrier meanwhile.
                    results["stored"].append(
                        Task.objects.values("title", "description", "completed").get(pk=task.pk)
                    )
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in writers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return results


def test_two_patches_of_different_fields_at_the_same_moment_both_survive(user):
    task = TaskFactory(user=user, title="title -", description="description -")

    results = race(
        task,
        {
            "title": lambda client, url, i: client.patch(
                url, {"title": f"title {i}"}, format="json"
            ),
            "description": lambda client, url, i: client.patch(
                url, {"description": f"description {i}"}, format="json"
            ),
        },
    )

    assert [status for status, _ in results["title"] + results["description"]] == [200] * (
        2 * ROUNDS
    )
    lost = [
        (i, stored)
        for i, stored in enumerate(results["stored"])
        if (stored["title"], stored["description"]) != (f"title {i}", f"description {i}")
    ]
    assert lost == []
    stale_answers = [
        i
        for i, (by_title, by_description) in enumerate(
            zip(results["title"], results["description"], strict=True)
        )
        if not any(
            (data["title"], data["description"]) == (f"title {i}", f"description {i}")
            for _, data in (by_title, by_description)
        )
    ]
    assert stale_answers == []


def test_completing_while_another_client_renames_keeps_both_changes(user):
    task = TaskFactory(user=user, title="title -")

    results = race(
        task,
        {
            "title": lambda client, url, i: client.patch(
                url, {"title": f"title {i}"}, format="json"
            ),
            "complete": lambda client, url, i: client.patch(
                f"{url}/complete", {"completed": i % 2 == 0}, format="json"
            ),
        },
    )

    assert {status for status, _ in results["title"] + results["complete"]} == {200}
    lost = [
        (i, stored)
        for i, stored in enumerate(results["stored"])
        if (stored["title"], stored["completed"]) != (f"title {i}", i % 2 == 0)
    ]
    assert lost == []
    task.refresh_from_db()
    assert (task.completed_at is not None) == task.completed
