"""gunicorn.conf.py: the worker model, and the worker count that follows the CPUs the process
may run on."""

import http.client
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from taskapi.tests.servers import GUNICORN_COMMAND, server_environment

MODEL_ON_ONE_CPU = (
    "import json, os, runpy; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
    "conf = runpy.run_path('gunicorn.conf.py'); "
    "print(json.dumps([conf[name] for name in ('workers', 'threads', 'worker_class')]))"
)


def worker_model_on_one_cpu(**variables: str) -> list:
    env = {**os.environ, "GUNICORN_WORKERS": "", "GUNICORN_THREADS": "", **variables}
    result = subprocess.run(
        [sys.executable, "-c", MODEL_ON_ONE_CPU],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_redis_a_container_pinned_to_one_cpu_runs_one_threaded_worker():
    """The worker count follows the affinity mask, not the host's CPUs: one process per CPU."""
    model = worker_model_on_one_cpu(REDIS_URL="redis://127.0.0.1:6379/0")

    assert model == [1, 8, "gthread"]


def test_without_redis_one_threaded_worker_counts_every_rate_limit():
    assert worker_model_on_one_cpu(REDIS_URL="") == [1, 8, "gthread"]


def test_one_thread_asked_for_runs_sync_workers():
    model = worker_model_on_one_cpu(REDIS_URL="redis://127.0.0.1:6379/0", GUNICORN_THREADS="1")

    assert model == [1, 1, "sync"]


@pytest.mark.parametrize("redis", [True, False], ids=["with Redis", "without Redis"])
def test_the_default_server_keeps_a_clients_connection_alive(gunicorn_server, tmp_path, redis):
    """Sync workers answer `Connection: close`, and every request pays a new connection."""
    if redis and not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    server = gunicorn_server(
        workers=None,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=settings.REDIS_URL if redis else "",
    )
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)

    answers = []
    for _ in range(3):
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Connection")))
        if not answers[1:]:
            first_socket = connection.sock

    assert answers == [(200, "keep-alive")] * 3
    # http.client drops a socket the server said it would close; this one served all three.
    assert connection.sock is first_socket
    connection.close()


def listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (state 0A in /proc/net/tcp)."""
    local_address = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1:4:2] == [local_address, "0A"])


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
@pytest.mark.parametrize(
    ("reuse_port", "listeners"), [("", 2), ("false", 1)], ids=["default", "switched off"]
)
def test_each_of_several_workers_listens_on_a_socket_of_its_own(
    gunicorn_server, tmp_path, reuse_port, listeners
):
    """The kernel then spreads new connections across the workers; from one shared socket a
    burst of kept-alive connections can pile onto one worker and its one core."""
    server = gunicorn_server(
        workers=2,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_REUSE_PORT=reuse_port,
    )

    assert listening_sockets(urlsplit(server.url).port) == listeners


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT (Linux)")
def test_a_second_server_on_a_port_already_served_stops_with_the_reason(gunicorn_server, tmp_path):
    """SO_REUSEPORT would let it share the port silently with the first."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    first = gunicorn_server(workers=2, database_url=database_url)
    env = {
        **server_environment(database_url),
        "GUNICORN_BIND": first.url.removeprefix("http://"),
        "GUNICORN_WORKERS": "2",
    }

    second = subprocess.run(
        GUNICORN_COMMAND,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert second.returncode == 1
    assert "Cannot listen on 127.0.0.1:" in second.stdout + second.stderr
    assert "Address already in use" in second.stdout + second.stderr
    assert requests.get(f"{first.url}/health", timeout=5).status_code == 200
