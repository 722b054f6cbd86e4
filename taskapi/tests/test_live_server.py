"""The project served by a real gunicorn: concurrent clients, and a graceful shutdown.

The concurrency tests share the test database with the server's workers, which SQLite's
in-memory test database cannot do, so they run on PostgreSQL only. The shutdown test needs
no data and runs on both.
"""

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from taskapi.tests.live_urls import SLOW_SECONDS
from taskapi.tests.servers import all_at_once, bearer
from tasks.models import Task
from tasks.tests.factories import TaskFactory


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_replaces_updates_and_completions_of_one_task_all_succeed_consistently(
    gunicorn_server, user
):
    server = gunicorn_server(workers=4, THROTTLE_USER_RATE="10000/minute")
    task = TaskFactory(user=user, title="Start")
    url = f"{server.url}/api/{user.id}/tasks/{task.id}"
    headers = bearer(user)
    writes = []
    for i in range(50):
        if i % 3 == 0:
            body = {"title": f"Replaced {i}", "completed": i % 2 == 0}
            writes.append(("PUT", url, {"json": body, "headers": headers}))
        elif i % 3 == 1:
            body = {"description": f"Note {i}", "completed": i % 2 == 0}
            writes.append(("PATCH", url, {"json": body, "headers": headers}))
        else:
            body = {"completed": i % 4 == 2}
            writes.append(("PATCH", f"{url}/complete", {"json": body, "headers": headers}))

    responses = all_at_once(writes, threads=50)

    assert [response.status_code for response in responses] == [200] * 50
    inconsistent = [
        data
        for data in (response.json()["data"] for response in responses)
        if (data["completed_at"] is not None) != data["completed"]
    ]
    assert inconsistent == []
    stored = Task.objects.get(pk=task.pk)
    assert (stored.completed_at is not None) == stored.completed
    shown = requests.get(url, headers=headers, timeout=10).json()["data"]
    assert (shown["completed"], shown["title"]) == (stored.completed, stored.title)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_creates_all_land_and_every_one_is_listed(gunicorn_server, user):
    server = gunicorn_server(workers=4, THROTTLE_USER_RATE="10000/minute")
    url = f"{server.url}/api/{user.id}/tasks"
    headers = bearer(user)
    creates = [
        ("POST", url, {"json": {"title": f"Task {i}"}, "headers": headers}) for i in range(200)
    ]

    responses = all_at_once(creates, threads=10)

    assert [response.status_code for response in responses] == [201] * 200
    created = {response.json()["data"]["id"] for response in responses}
    assert len(created) == 200
    assert Task.objects.filter(user=user).count() == 200
    listed, pages = [], []
    for offset in (0, 100):
        page = requests.get(
            url, params={"limit": 100, "offset": offset}, headers=headers, timeout=10
        )
        assert page.status_code == 200
        pages.append(page.json()["data"]["pagination"])
        listed += [item["id"] for item in page.json()["data"]["items"]]
    assert [(p["total"], p["has_more"]) for p in pages] == [(200, True), (200, False)]
    assert len(listed) == 200
    assert set(listed) == created


def test_sigterm_lets_requests_in_flight_finish_then_gunicorn_exits_cleanly(
    gunicorn_server, tmp_path
):
    started = tmp_path / "started"
    started.mkdir()
    server = gunicorn_server(
        workers=3,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        settings_module="taskapi.tests.live_settings",
        GUNICORN_GRACEFUL_TIMEOUT="10",
        SLOW_REQUEST_MARKERS=str(started),
    )
    with ThreadPoolExecutor(max_workers=3) as pool:
        in_flight = [pool.submit(requests.get, f"{server.url}/slow", timeout=30) for _ in range(3)]
        deadline = time.monotonic() + 10
        while len(list(started.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(list(started.iterdir())) == 3, "the slow requests never all started"

        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        responses = [future.result() for future in in_flight]

    assert [response.status_code for response in responses] == [200] * 3
    assert [response.json() for response in responses] == [
        {"data": {"slept": SLOW_SECONDS}, "error": None}
    ] * 3
    assert server.process.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 10
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/health", timeout=2)


def test_gunicorn_reads_empty_variables_as_unset_like_the_settings_do(gunicorn_server, tmp_path):
    """A deploy template that writes `LOG_LEVEL=` or `GUNICORN_TIMEOUT=` gets the defaults."""
    blank = [
        "LOG_LEVEL",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "GUNICORN_KEEPALIVE",
        "GUNICORN_MAX_REQUESTS",
        "GUNICORN_MAX_REQUESTS_JITTER",
        "GUNICORN_ACCESS_LOG",
        "FORWARDED_ALLOW_IPS",
    ]
    server = gunicorn_server(
        workers=1, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", **dict.fromkeys(blank, "")
    )

    response = requests.get(f"{server.url}/health", timeout=10)

    assert response.status_code == 200
