"""The production topology of `make prod`, started by the same script (deploy/prod.py):
nginx -> two gunicorn instances -> pgbouncer (transaction mode) -> the test database.

PostgreSQL only (pgbouncer needs a server), and skipped where Debian's nginx or pgbouncer is
missing (`apt-get install nginx pgbouncer`; CI installs them).
"""

import contextlib
import json
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from taskapi.exceptions import error_body
from taskapi.tests.live_urls import SLOW_SECONDS
from taskapi.tests.servers import bearer, start_topology
from tasks.models import Task

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def topology(django_db_setup, django_db_blocker, tmp_path_factory):
    """One topology for the module's tests that leave it whole. The rate of auth calls per
    client address is low, for the X-Forwarded-For test."""
    with django_db_blocker.unblock():
        topology = start_topology(
            tmp_path_factory.mktemp("topology"), THROTTLE_AUTH_IP_RATE="3/minute"
        )
    yield topology
    assert topology.stop() == 0, topology.log_path.read_text()


def envelope_of(status_code: int, message: str) -> dict:
    return {"data": None, "error": error_body(status_code, message)}


def raw_request(url: str, data: bytes) -> bytes:
    """Sends bytes as they are and returns everything the server answers before it closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_health_answers_through_nginx_with_the_clients_request_id(topology):
    response = requests.get(
        f"{topology.url}/health", headers={"X-Request-ID": "trace-42"}, timeout=5
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ok", "database": "ok"}, "error": None}
    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.headers["Server"] == "nginx"


def test_nginx_gives_a_request_id_when_the_client_sends_none_or_a_malformed_one(topology):
    for sent in ({}, {"X-Request-ID": "two words"}):
        response = requests.get(f"{topology.url}/health", headers=sent, timeout=5)

        assert response.status_code == 200
        assert len(response.headers["X-Request-ID"]) == 32
        assert response.headers["X-Request-ID"] != sent.get("X-Request-ID")


def test_a_body_over_1_mib_is_refused_by_nginx_with_the_envelope(topology, user):
    response = requests.post(
        f"{topology.url}/api/{user.id}/tasks",
        data=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json", "X-Request-ID": "big-1"},
        timeout=10,
    )

    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == "big-1"
    assert response.json() == envelope_of(413, "Request body is larger than 1048576 bytes.")


def test_a_request_line_over_4094_bytes_gets_the_envelope_and_one_of_4094_is_served(topology):
    def request_line(length: int) -> bytes:
        line = b"GET /health?pad= HTTP/1.1"
        return line.replace(b"pad=", b"pad=" + b"a" * (length - len(line)))

    longest = raw_request(
        topology.url, request_line(4094) + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    too_long = raw_request(
        topology.url, request_line(4095) + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )

    assert longest.startswith(b"HTTP/1.1 200 ")
    head, body = too_long.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 414 ")
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert json.loads(body) == envelope_of(414, "The request line is longer than 4094 bytes.")


def test_a_chunked_post_is_applied_like_a_sized_one(topology, user):
    def chunks():
        yield b'{"title":'
        yield b'"chunky"}'

    response = requests.post(
        f"{topology.url}/api/{user.id}/tasks",
        data=chunks(),
        headers={**bearer(user), "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["title"] == "chunky"
    assert list(Task.objects.filter(user=user).values_list("title", flat=True)) == ["chunky"]


def test_a_spoofed_x_forwarded_for_does_not_escape_the_per_address_limit(topology):
    """nginx appends the address it sees; TRUSTED_PROXY_COUNT=1 reads that last entry, so a
    client that writes its own X-Forwarded-For is still counted by its real address."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: nginx spreads the attempts over both instances")
    statuses = [
        requests.post(
            f"{topology.url}/api/auth/token",
            json={"email": f"nobody{i}@example.com", "password": "wrong-password-1"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            timeout=10,
        ).status_code
        for i in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_health_answers_within_a_second_while_slow_clients_hold_connections(topology):
    """50 sockets sending headers a byte a second and 20 announcing a body they never send
    hold nginx connections, not gunicorn workers."""
    slow = [
        socket.create_connection(("127.0.0.1", int(topology.url.rsplit(":", 1)[1])))
        for _ in range(70)
    ]
    stop = threading.Event()

    def dribble():
        for i, connection in enumerate(slow):
            if i < 50:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            else:
                connection.sendall(
                    b"POST /api/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Content-Length: 1000000\r\n\r\n{"
                )
        while not stop.wait(1):
            for connection in slow[:50]:
                with contextlib.suppress(OSError):
                    connection.sendall(b"a")

    sender = threading.Thread(target=dribble)
    sender.start()
    try:
        time.sleep(0.5)
        timings, statuses = [], []
        for _ in range(10):
            started = time.monotonic()
            statuses.append(requests.get(f"{topology.url}/health", timeout=5).status_code)
            timings.append(time.monotonic() - started)
            time.sleep(0.2)
    finally:
        stop.set()
        sender.join()
        for connection in slow:
            connection.close()

    assert statuses == [200] * 10
    assert max(timings) < 1, timings


def test_a_dead_instance_leaves_rotation_and_with_both_dead_nginx_answers_the_envelope(
    tmp_path, user
):
    topology = start_topology(tmp_path)
    try:
        topology.kill_instance(1)
        reads = [
            requests.get(f"{topology.url}/api/{user.id}/tasks", headers=bearer(user), timeout=10)
            for _ in range(20)
        ]
        topology.kill_instance(2)
        both_down = requests.get(f"{topology.url}/health", timeout=10)
    finally:
        status = topology.stop()

    assert [response.status_code for response in reads] == [200] * 20
    assert both_down.status_code == 502
    assert both_down.json() == envelope_of(
        503, "The service is temporarily unavailable; try again shortly."
    )
    assert status == 0, topology.log_path.read_text()
    assert b"gunicorn 1 exited" in topology.log_path.read_bytes()


def test_sigterm_lets_requests_in_flight_through_nginx_finish_then_everything_stops(tmp_path):
    started = tmp_path / "started"
    started.mkdir()
    topology = start_topology(
        tmp_path, "taskapi.tests.live_settings", SLOW_REQUEST_MARKERS=str(started)
    )
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            in_flight = [
                pool.submit(requests.get, f"{topology.url}/slow", timeout=30) for _ in range(4)
            ]
            deadline = time.monotonic() + 10
            while len(list(started.iterdir())) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(list(started.iterdir())) == 4, "the slow requests never all started"

            topology.process.send_signal(signal.SIGTERM)
            responses = [future.result() for future in in_flight]
    finally:
        status = topology.stop()

    assert [response.status_code for response in responses] == [200] * 4
    assert [response.json() for response in responses] == [
        {"data": {"slept": SLOW_SECONDS}, "error": None}
    ] * 4
    assert status == 0, topology.log_path.read_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{topology.url}/health", timeout=2)
