"""Rate limits that hold: per user on the task API, per client address on the auth endpoints,
per email address on sign-in; 429 `RATE_LIMITED` with `Retry-After` when spent.

Counts are kept per fixed window aligned to the epoch. The in-process tests stop the
throttles' clock 20 s into a window, so no count straddles a boundary and a per-minute
window always has 40 s left. The last tests serve the project with gunicorn: as `make run`
serves it (one process with threads, no Redis), and with four workers sharing Redis; each
must let exactly the limit through.
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import bearer_client
from taskapi import throttling
from taskapi.cache import WindowCounterLocMemCache
from taskapi.tests.servers import all_at_once, bearer, free_port
from taskapi.tests.test_settings import manage

OBTAIN = "/api/auth/token"
# A multiple of 3600: minute and hour windows both start here.
WINDOW_START = 1_800_000_000


class StoppedClock:
    """Stands in for the `time` module the throttles read: a clock that moves when told."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> StoppedClock:
    """The in-process throttles' clock, stopped 20 s into a window (a live server keeps its
    own, real clock)."""
    stopped = StoppedClock(WINDOW_START + 20)
    monkeypatch.setattr(throttling, "time", stopped)
    return stopped


def set_rates(settings, **rates: str) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, **rates}


def rate_limit_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.items() if name.startswith("RateLimit-")}


# --- The answer when a limit is spent ------------------------------------------------------


@pytest.mark.django_db
def test_a_user_over_the_limit_gets_429_rate_limited_saying_when_to_retry(settings, user):
    set_rates(settings, user="3/minute")
    client = bearer_client(user)

    answers = [client.get(f"/api/{user.id}/tasks") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [rate_limit_headers(answer) for answer in answers] == [
        {"RateLimit-Limit": "3", "RateLimit-Remaining": remaining, "RateLimit-Reset": "40"}
        for remaining in ("2", "1", "0", "0")
    ]
    throttled = answers[3]
    assert throttled.json() == {
        "data": None,
        "error": {
            "code": "RATE_LIMITED",
            "message": "Request was throttled. Expected available in 40 seconds.",
            "details": None,
        },
    }
    assert throttled["Retry-After"] == "40"
    assert throttled["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_the_count_starts_again_in_the_next_window(settings, user, clock):
    set_rates(settings, user="3/minute")
    client = bearer_client(user)
    assert [client.get(f"/api/{user.id}/tasks").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]

    clock.advance(40)
    response = client.get(f"/api/{user.id}/tasks")

    assert response.status_code == 200
    assert rate_limit_headers(response) == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "60",
    }


@pytest.mark.django_db
def test_health_is_never_rate_limited_and_carries_no_rate_limit_headers(settings, api_client):
    set_rates(settings, user="1/minute", auth_ip="1/minute")

    answers = [api_client.get("/health") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [rate_limit_headers(answer) for answer in answers] == [{}, {}, {}]


# --- Per client address on the auth endpoints ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["register", "token", "token/refresh", "logout"])
def test_each_auth_endpoint_limits_calls_per_client_address(settings, api_client, endpoint):
    set_rates(settings, auth_ip="2/minute")

    def post(address: str) -> int:
        return api_client.post(
            f"/api/auth/{endpoint}", {}, format="json", REMOTE_ADDR=address
        ).status_code

    assert [post("203.0.113.7") for _ in range(3)] == [422, 422, 429]
    assert post("203.0.113.8") == 422


@pytest.mark.django_db
def test_spending_one_auth_endpoints_budget_leaves_the_others_untouched(settings, api_client):
    set_rates(settings, auth_ip="1/minute")
    address = {"REMOTE_ADDR": "203.0.113.7"}
    register = [api_client.post("/api/auth/register", {}, format="json", **address) for _ in "ab"]
    assert [answer.status_code for answer in register] == [422, 429]

    response = api_client.post(OBTAIN, {}, format="json", **address)

    assert response.status_code == 422


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(settings, api_client):
    set_rates(settings, auth_ip="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}

    statuses = [
        api_client.post(
            "/api/auth/register",
            {},
            format="json",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(3)
    ]

    assert statuses == [422, 422, 429]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "chain"),
    [(1, "{forged}, {client}"), (2, "{forged}, {client}, 10.0.0.2")],
    ids=["one proxy", "two proxies"],
)
def test_behind_trusted_proxies_the_address_the_outermost_one_saw_is_the_client(
    settings, api_client, proxies, chain
):
    """Each proxy appends the address it was called from, so only the last `proxies` entries
    are trustworthy; whatever the client wrote before them is ignored."""
    set_rates(settings, auth_ip="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}

    def post(forged: str, client: str) -> int:
        return api_client.post(
            "/api/auth/register",
            {},
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=chain.format(forged=forged, client=client),
        ).status_code

    assert [post(f"192.0.2.{i}", "198.51.100.7") for i in range(3)] == [422, 422, 429]
    assert post("192.0.2.1", "198.51.100.8") == 422


# --- Per email address on sign-in, per user on the task API --------------------------------


@pytest.mark.django_db
def test_sign_in_attempts_for_one_email_are_limited_from_however_many_addresses(
    settings, api_client, user
):
    set_rates(settings, login_email="3/minute", auth_ip="100/minute")
    spellings = [user.email, user.email.upper(), f"  {user.email}  "]
    guesses = [
        api_client.post(
            OBTAIN,
            {"email": email, "password": "wrong-password-123"},
            format="json",
            REMOTE_ADDR=f"198.51.100.{i}",
        )
        for i, email in enumerate(spellings)
    ]
    assert [guess.status_code for guess in guesses] == [401, 401, 401]

    right_password = api_client.post(
        OBTAIN,
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.99",
    )
    other_user = api_client.post(
        OBTAIN,
        {"email": UserFactory().email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.99",
    )

    assert right_password.status_code == 429
    assert right_password.json()["error"]["code"] == "RATE_LIMITED"
    assert other_user.status_code == 200


@pytest.mark.django_db
def test_the_task_api_limits_each_user_wherever_their_calls_come_from(settings, user, other_user):
    set_rates(settings, user="2/minute")
    client = bearer_client(user)

    statuses = [
        client.get(f"/api/{user.id}/tasks", REMOTE_ADDR=f"192.0.2.{i}").status_code
        for i in range(3)
    ]
    with_a_new_token = bearer_client(user).get(f"/api/{user.id}/tasks")
    other = bearer_client(other_user).get(f"/api/{other_user.id}/tasks")

    assert statuses == [200, 200, 429]
    assert with_a_new_token.status_code == 429
    assert other.status_code == 200


# --- The counter behind every limit --------------------------------------------------------


def test_a_window_counter_counts_every_hit_and_expires_with_its_window():
    counts = [cache.count_hit("window-counter-test", 1) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert cache.get("window-counter-test") == 3

    time.sleep(1.2)

    assert cache.get("window-counter-test") is None
    assert cache.count_hit("window-counter-test", 1) == 1


def test_the_local_window_counter_counts_every_hit_of_concurrent_threads():
    """gunicorn's gthread workers count in one process's memory from several threads."""
    counter = WindowCounterLocMemCache("threaded-window-counter-test", {})
    start = threading.Barrier(8, timeout=30)

    def hits() -> list[int]:
        start.wait()
        return [counter.count_hit("shared", 60) for _ in range(500)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        shares = [pool.submit(hits) for _ in range(8)]
        counts = [count for share in shares for count in share.result()]

    assert sorted(counts) == list(range(1, 4001))
    assert counter.get("shared") == 4000


def test_the_local_window_counter_keeps_a_count_while_thousands_of_others_are_counted():
    """Django's LocMemCache makes room past 300 entries by dropping the least recently used."""
    counter = WindowCounterLocMemCache("crowded-window-counter-test", {})
    for _ in range(5):
        counter.count_hit("guessed-email", 60)

    for other in range(5000):
        counter.count_hit(f"another-email-{other}", 60)

    assert counter.count_hit("guessed-email", 60) == 6


# --- A cache outage ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_cache_lets_requests_through_and_logs_a_warning(settings, user, caplog):
    set_rates(settings, user="1/minute")
    client = bearer_client(user)

    with mock.patch.object(cache, "count_hit", side_effect=RedisConnectionError("cache is down")):
        answers = [client.get(f"/api/{user.id}/tasks") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [rate_limit_headers(answer) for answer in answers] == [{}, {}, {}]
    assert [
        record.getMessage() for record in caplog.records if record.name == "taskapi.throttling"
    ] == ["rate limit cache unavailable; not throttling"] * 3


@pytest.mark.django_db
def test_an_unreachable_redis_lets_requests_through(settings, user):
    set_rates(settings, user="1/minute")
    client = bearer_client(user)
    unreachable = {
        "BACKEND": "taskapi.cache.WindowCounterRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }

    with override_settings(CACHES={"default": unreachable}):
        started = time.monotonic()
        statuses = [client.get(f"/api/{user.id}/tasks").status_code for _ in range(3)]
        elapsed = time.monotonic() - started

    assert statuses == [200, 200, 200]
    assert elapsed < 3


# --- Several workers, one count ------------------------------------------------------------


def wait_until_well_inside_a_window(period: int, margin: float = 15) -> None:
    """Sleeps into the next window of `period` seconds if this one ends within `margin`
    seconds, so every request of the test lands in one window."""
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.5)


def test_make_runs_server_keeps_the_documented_limits_exactly(gunicorn_server, tmp_path):
    """`make run` without REDIS_URL: each limit counts in one place, so a user's remaining
    calls go down one by one and the sixth sign-in attempt in a minute is refused, for good."""
    migrated = manage("migrate", "--noinput", tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    default_rates = dict.fromkeys(
        ["THROTTLE_USER_RATE", "THROTTLE_AUTH_IP_RATE", "THROTTLE_LOGIN_EMAIL_RATE"], ""
    )
    server = gunicorn_server(
        workers=None,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        GUNICORN_THREADS="",
        **default_rates,
    )
    registered = requests.post(
        f"{server.url}/api/auth/register",
        json={"email": "ada@example.com", "password": DEFAULT_PASSWORD, "name": "Ada"},
        timeout=10,
    )
    assert registered.status_code == 201
    user_id = registered.json()["data"]["user"]["id"]
    headers = {"Authorization": f"Bearer {registered.json()['data']['access']}"}
    sign_in = (
        "POST",
        f"{server.url}/api/auth/token",
        {"json": {"email": "ada@example.com", "password": "a-wrong-guess"}},
    )
    wait_until_well_inside_a_window(60)

    listed = [
        requests.get(f"{server.url}/api/{user_id}/tasks", headers=headers, timeout=10)
        for _ in range(25)
    ]
    guesses = all_at_once([sign_in] * 10, threads=5)
    later = [requests.request(sign_in[0], sign_in[1], timeout=10, **sign_in[2]) for _ in range(3)]

    assert [response.status_code for response in listed] == [200] * 25
    assert [int(response.headers["RateLimit-Remaining"]) for response in listed] == list(
        range(599, 574, -1)
    )
    assert Counter(response.status_code for response in guesses) == {401: 5, 429: 5}
    assert [response.status_code for response in later] == [429] * 3
    assert len(server.worker_pids()) == 1
    warnings = [line for line in server.stdout_path.read_text().splitlines() if "REDIS_URL" in line]
    assert len(warnings) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_four_workers_sharing_redis_let_exactly_the_limit_through(gunicorn_server, user):
    if not django_settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: without Redis each worker counts alone")
    wait_until_well_inside_a_window(3600)
    server = gunicorn_server(workers=4, THROTTLE_USER_RATE="30/hour")
    call = ("GET", f"{server.url}/api/{user.id}/tasks", {"headers": bearer(user)})

    responses = all_at_once([call] * 80, threads=16)

    assert Counter(response.status_code for response in responses) == {200: 30, 429: 50}
    remaining = sorted(
        int(response.headers["RateLimit-Remaining"])
        for response in responses
        if response.status_code == 200
    )
    assert remaining == list(range(30))
    throttled = [response for response in responses if response.status_code == 429]
    assert {response.json()["error"]["code"] for response in throttled} == {"RATE_LIMITED"}
    assert all(int(response.headers["Retry-After"]) > 0 for response in throttled)
