"""Two gunicorn instances, each its own process tree, over one database and one Redis, act
as one service: what a client is promised does not depend on which instance answers.

Each test runs twice: with the instances run directly against PostgreSQL, and in the
production topology of `make prod` (deploy/prod.py), where both instances reach the database
through pgbouncer in transaction mode and nginx balances between them. There a client reaches
the service at each instance's own port and through nginx, so every test's requests provably
land on both instances.
"""

import itertools
import random
from collections import Counter
from functools import partial

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import read_while_writing
from taskapi.tests.servers import (
    Topology,
    all_at_once,
    bearer,
    report_on_failure,
    start_topology,
)
from tasks.models import Task

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def topologies(django_db_setup, django_db_blocker, tmp_path_factory):
    """`topologies(THROTTLE_USER_RATE=...)`: the module's topology with those variables,
    started on first use and shared by the module's tests after it."""
    started: dict[tuple, Topology] = {}

    def topology(**variables: str) -> Topology:
        key = tuple(sorted(variables.items()))
        if key not in started:
            with django_db_blocker.unblock():
                started[key] = start_topology(tmp_path_factory.mktemp("topology"), **variables)
        return started[key]

    yield topology
    for topology in started.values():
        assert topology.stop() == 0, topology.output()


@pytest.fixture(params=["run directly", "behind nginx and pgbouncer"])
def entry_points(request, gunicorn_server):
    """`entry_points(THROTTLE_USER_RATE=...)`: the base URLs a client reaches two instances
    at: each instance's own, and in the topology nginx in front of both too."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: instances share rate limits and account changes there")

    def serve(**variables: str) -> list[str]:
        if request.param == "run directly":
            return [gunicorn_server(workers=2, **variables).url for _ in range(2)]
        topology = request.getfixturevalue("topologies")(**variables)
        report_on_failure(request.node, topology)
        return [*topology.instance_urls, topology.url]

    return serve


@pytest.fixture
def two_instances(entry_points) -> list[str]:
    """Two instances with a user rate limit a test can exhaust."""
    return entry_points(THROTTLE_USER_RATE="40/hour")


def test_six_concurrent_creates_with_one_idempotency_key_over_both_make_one_task(two_instances):
    user = UserFactory()
    headers = {**bearer(user), "Idempotency-Key": "one-order-42"}
    calls = [
        (
            "POST",
            f"{two_instances[n % len(two_instances)]}/api/{user.pk}/tasks",
            {
                "json": {"title": "Pay the invoice"},
                "headers": headers,
            },
        )
        for n in range(6)
    ]

    responses = all_at_once(calls, threads=6)

    assert Task.objects.filter(user=user).count() == 1
    assert [r.status_code for r in responses] == [201] * 6
    # One answer made the task; the other five waited for it and replayed its answer.
    assert {r.json()["data"]["id"] for r in responses} == {str(Task.objects.get(user=user).pk)}
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in responses) == [
        "",
        *["true"] * 5,
    ]


def test_one_refresh_token_has_one_winner_across_instances(two_instances):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    calls = [
        (
            "POST",
            f"{two_instances[n % len(two_instances)]}/api/auth/token/refresh",
            {"json": {"refresh": refresh}},
        )
        for n in range(8)
    ]

    responses = all_at_once(calls, threads=8)

    assert Counter(r.status_code for r in responses) == {200: 1, 401: 7}
    refused = [r.json()["error"]["details"]["reason"] for r in responses if r.status_code == 401]
    assert set(refused) == {"token_blacklisted"}


# Each entry point is asked this often before and after an account changes, so that every
# worker of every instance has remembered the user as active first (most likely: which
# worker accepts a connection is up to the kernel).
ASKS_PER_ENTRY_POINT = 4


def answers_everywhere(entry_points: list[str], path: str, headers: dict) -> list[int]:
    return [
        requests.get(url + path, headers=headers, timeout=10).status_code
        for url in entry_points
        for _ in range(ASKS_PER_ENTRY_POINT)
    ]


def test_a_user_deleted_through_one_instance_is_refused_by_every_instance_at_once(two_instances):
    # Registered through a server, so the password is hashed as the servers hash it.
    registered = requests.post(
        f"{two_instances[0]}/api/auth/register",
        json={"email": "leaving@example.com", "password": "a-long-passphrase-42", "name": "L"},
        timeout=10,
    ).json()["data"]
    headers = {"Authorization": f"Bearer {registered['access']}"}
    tasks = f"/api/{registered['user']['id']}/tasks"
    assert set(answers_everywhere(two_instances, tasks, headers)) == {200}

    deleted = requests.delete(
        f"{two_instances[0]}/api/auth/me",
        json={"password": "a-long-passphrase-42"},
        headers=headers,
        timeout=10,
    )
    refused = [requests.get(url + tasks, headers=headers, timeout=10) for url in two_instances]

    assert deleted.status_code == 204
    assert [response.status_code for response in refused] == [401] * len(two_instances)
    assert {response.json()["error"]["details"]["reason"] for response in refused} == {
        "user_not_found"
    }
    assert set(answers_everywhere(two_instances, tasks, headers)) == {401}


def test_a_user_deactivated_elsewhere_is_refused_by_every_instance_at_once(two_instances):
    user = UserFactory()
    headers, tasks = bearer(user), f"/api/{user.pk}/tasks"
    assert set(answers_everywhere(two_instances, tasks, headers)) == {200}

    # As the admin does it: a save in another process, which neither instance hears of but
    # through the account's generation in Redis.
    user = User.objects.get(pk=user.pk)
    user.is_active = False
    user.save()
    refused = [requests.get(url + tasks, headers=headers, timeout=10) for url in two_instances]

    assert [response.status_code for response in refused] == [401] * len(two_instances)
    assert {response.json()["error"]["details"]["reason"] for response in refused} == {
        "user_inactive"
    }
    assert set(answers_everywhere(two_instances, tasks, headers)) == {401}


def test_a_users_rate_limit_counts_exactly_across_instances(two_instances):
    user = UserFactory()
    headers = bearer(user)
    calls = [
        (
            "GET",
            f"{two_instances[n % len(two_instances)]}/api/{user.pk}/tasks",
            {"headers": headers},
        )
        for n in range(60)
    ]

    responses = all_at_once(calls, threads=12)

    assert Counter(r.status_code for r in responses) == {200: 40, 429: 20}


def test_a_client_syncing_through_both_stays_equal_to_the_server_while_both_take_writes(
    entry_points,
):
    user = UserFactory()
    headers = bearer(user)
    base = [f"{url}/api/{user.pk}/tasks" for url in entry_points(THROTTLE_USER_RATE="100000/hour")]
    held: dict[str, dict] = {}
    cursor = {"since": None}

    def sync_once(turn: int) -> None:
        while True:
            params = {"limit": 7, **({"since": cursor["since"]} if cursor["since"] else {})}
            response = requests.get(
                f"{base[turn % len(base)]}/changes", params, headers=headers, timeout=10
            )
            assert response.status_code == 200, response.text
            page = response.json()["data"]
            held.update({task["id"]: task for task in page["tasks"]})
            for task_id in page["deleted"]:
                held.pop(task_id, None)
            cursor["since"] = page["next_cursor"]
            if not page["has_more"]:
                return

    def writer(number: int) -> None:
        chooser, mine = random.Random(number), []
        for turn in range(30):
            url = base[(number + turn) % len(base)]
            if not mine or chooser.random() < 0.5:
                created = requests.post(url, json={"title": f"w{number}"}, headers=headers)
                mine.append(created.json()["data"]["id"])
            elif chooser.random() < 0.6:
                task_id = chooser.choice(mine)
                requests.patch(
                    f"{url}/{task_id}", json={"title": f"w{number}-{turn}"}, headers=headers
                )
            else:
                requests.delete(f"{url}/{mine.pop(chooser.randrange(len(mine)))}", headers=headers)

    turns = itertools.count()
    failures = read_while_writing(
        lambda: sync_once(next(turns)), [partial(writer, n) for n in range(4)]
    )
    sync_once(0)

    assert failures == []
    assert held == listed_by(base[1], headers)


def listed_by(url: str, headers: dict) -> dict[str, dict]:
    """Every live task, read page by page from the task list."""
    items, cursor = {}, None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = requests.get(url, params, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()["data"]
        items.update({item["id"]: item for item in page["items"]})
        cursor = page["pagination"]["next_cursor"]
        if cursor is None:
            return items
