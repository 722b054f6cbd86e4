"""Two gunicorn instances, each its own process tree, over one database and one Redis, act
as one service: what a client is promised does not depend on which instance answers.

(Issue 14 asks for the same through nginx and pgbouncer; these run the instances directly,
so they need only PostgreSQL and Redis.)
"""

import itertools
import random
from collections import Counter
from functools import partial

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from conftest import read_while_writing
from taskapi.tests.servers import all_at_once, bearer
from tasks.models import Task

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_instances(gunicorn_server):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: instances share rate limits and account changes there")
    return [gunicorn_server(workers=2, THROTTLE_USER_RATE="40/hour") for _ in range(2)]


def test_six_concurrent_creates_with_one_idempotency_key_over_both_make_one_task(two_instances):
    user = UserFactory()
    headers = {**bearer(user), "Idempotency-Key": "one-order-42"}
    calls = [
        (
            "POST",
            f"{two_instances[n % 2].url}/api/{user.pk}/tasks",
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
            f"{two_instances[n % 2].url}/api/auth/token/refresh",
            {"json": {"refresh": refresh}},
        )
        for n in range(8)
    ]

    responses = all_at_once(calls, threads=8)

    assert Counter(r.status_code for r in responses) == {200: 1, 401: 7}
    refused = [r.json()["error"]["details"]["reason"] for r in responses if r.status_code == 401]
    assert set(refused) == {"token_blacklisted"}


def test_a_users_rate_limit_counts_exactly_across_instances(two_instances):
    user = UserFactory()
    calls = [
        ("GET", f"{two_instances[n % 2].url}/api/{user.pk}/tasks", {"headers": bearer(user)})
        for n in range(60)
    ]

    responses = all_at_once(calls, threads=12)

    assert Counter(r.status_code for r in responses) == {200: 40, 429: 20}


def test_a_client_syncing_through_both_stays_equal_to_the_server_while_both_take_writes(
    gunicorn_server,
):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: instances share rate limits there")
    instances = [gunicorn_server(workers=2, THROTTLE_USER_RATE="100000/hour") for _ in range(2)]
    user = UserFactory()
    headers = bearer(user)
    base = [f"{server.url}/api/{user.pk}/tasks" for server in instances]
    held: dict[str, dict] = {}
    cursor = {"since": None}

    def sync_once(turn: int) -> None:
        while True:
            params = {"limit": 7, **({"since": cursor["since"]} if cursor["since"] else {})}
            response = requests.get(
                f"{base[turn % 2]}/changes", params, headers=headers, timeout=10
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
            url = base[(number + turn) % 2]
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
