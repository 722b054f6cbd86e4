"""A real gunicorn serving the project, for tests of what only a running server shows.

Rate limits shared by several workers, concurrent writers, a database outage, a graceful
shutdown: these need the project served as production serves it, in other processes. The
`gunicorn_server` fixture in conftest.py starts servers with `start_gunicorn` and stops them
after the test.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

# Every variable settings.py reads. A server is given each one explicitly (empty means the
# default), so a developer's `.env` cannot change what a test serves.
PROJECT_VARIABLES = frozenset(
    re.findall(
        r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"',
        (Path(settings.BASE_DIR) / "taskapi" / "settings.py").read_text(),
    )
)
START_TIMEOUT = 20
# The servers a test used; conftest's report hook shows their output when the test fails.
SERVERS_TO_REPORT = pytest.StashKey[list["LiveServer"]]()


@dataclass
class LiveServer:
    """A gunicorn master in a child process; its stdout and stderr go to two files."""

    url: str
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return (
            f"--- stdout\n{self.stdout_path.read_text(errors='replace')}"
            f"--- stderr\n{self.stderr_path.read_text(errors='replace')}"
        )

    def worker_pids(self) -> set[int]:
        """The worker processes the master runs now (Linux)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM (a graceful shutdown), then SIGKILL if it takes longer than `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def report_on_failure(node: pytest.Item, server: LiveServer) -> None:
    node.stash.setdefault(SERVERS_TO_REPORT, []).append(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def current_database_url() -> str:
    """The URL of the database the running test uses, for a server in another process."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a server in another process needs a shared database: run on PostgreSQL")
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def server_environment(
    database_url: str, settings_module: str = "taskapi.settings"
) -> dict[str, str]:
    """The environment of a server in another process: every project variable blank (the
    default) but this process's secrets (so tokens minted here with `RefreshToken.for_user`
    work there), its Redis and its rate limits."""
    return {
        **os.environ,
        **dict.fromkeys(PROJECT_VARIABLES, ""),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SECRET": settings.SIMPLE_JWT["SIGNING_KEY"],
        "JWT_ALGORITHM": settings.SIMPLE_JWT["ALGORITHM"],
        "THROTTLE_USER_RATE": settings.THROTTLE_RATES["user"],
        "THROTTLE_AUTH_IP_RATE": settings.THROTTLE_RATES["auth_ip"],
        "THROTTLE_LOGIN_EMAIL_RATE": settings.THROTTLE_RATES["login_email"],
    }


def start_gunicorn(
    log_dir: Path,
    *,
    workers: int | None,
    database_url: str,
    settings_module: str = "taskapi.settings",
    **variables: str,
) -> LiveServer:
    """Starts gunicorn on a free port and returns once /health answers 200.

    The server gets server_environment(); `variables` override any of it. `workers=None`
    leaves the worker count to gunicorn.conf.py, as `make run` does.
    """
    port = free_port()
    env = {
        **server_environment(database_url, settings_module),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "" if workers is None else str(workers),
        # Idle workers stop at once; a test that needs longer says so.
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        **variables,
    }
    name = f"gunicorn-{port}"
    stdout_path, stderr_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "taskapi.wsgi", "--config", "gunicorn.conf.py"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, stdout_path, stderr_path)
    try:
        wait_for_health(server)
    except BaseException:
        server.process.kill()
        server.process.wait()
        raise
    return server


def wait_for_health(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"gunicorn exited with {server.process.returncode} before answering /health:\n"
                f"{server.output()}",
                pytrace=False,
            )
        try:
            if requests.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"gunicorn did not answer /health within {START_TIMEOUT} s:\n{server.output()}",
        pytrace=False,
    )


def bearer(user) -> dict[str, str]:
    """The Authorization header of a fresh access token for `user`."""
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def all_at_once(calls: list[tuple[str, str, dict]], threads: int) -> list[requests.Response]:
    """Sends every `(method, url, kwargs)` from `threads` threads that start together, each
    sending its share one after another; the answers come back in the order of `calls`."""
    start = threading.Barrier(threads, timeout=30)

    def share(first: int) -> list[tuple[int, requests.Response]]:
        start.wait()
        return [
            (i, requests.request(method, url, timeout=30, **kwargs))
            for i, (method, url, kwargs) in enumerate(calls)
            if i % threads == first
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        shares = [pool.submit(share, first) for first in range(threads)]
        answered = dict(pair for future in shares for pair in future.result())
    return [answered[i] for i in range(len(calls))]
