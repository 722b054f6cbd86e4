"""A real gunicorn serving the project, for tests of what only a running server shows.

Rate limits shared by several workers, concurrent writers, a database outage, a graceful
shutdown: these need the project served as production serves it, in other processes. The
`gunicorn_server` fixture in conftest.py starts servers with `start_gunicorn` and stops them
after the test.
"""

import contextlib
import os
import re
import shutil
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

import psycopg
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
# The Dockerfile's command, run from the project's directory.
GUNICORN_COMMAND = [
    sys.executable,
    "-m",
    "gunicorn",
    "taskapi.wsgi",
    "--config",
    "gunicorn.conf.py",
]
# The servers a test used; conftest's report hook shows their output when the test fails.
SERVERS_TO_REPORT = pytest.StashKey[list["LiveServer | Topology"]]()


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
        return stop_gracefully(self.process, timeout)


def stop_gracefully(process: subprocess.Popen, timeout: float) -> int:
    """SIGTERM (a graceful shutdown), then SIGKILL if it takes longer than `timeout`; answers
    the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def report_on_failure(node: pytest.Item, server: "LiveServer | Topology") -> None:
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
    work there), its Redis and its rate limits; and, serving this process's database, the
    pooler in front of it (behind pgbouncer a server must not prepare statements either)."""
    pooled = (
        settings.DATABASE_POOLER != "none"
        and connection.vendor == "postgresql"
        and database_url == current_database_url()
    )
    return {
        **os.environ,
        **dict.fromkeys(PROJECT_VARIABLES, ""),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        **(
            {
                "DATABASE_POOLER": settings.DATABASE_POOLER,
                "DATABASE_POOLER_PREPARED_STATEMENTS": str(
                    settings.DATABASE_POOLER_PREPARED_STATEMENTS
                ).lower(),
            }
            if pooled
            else {}
        ),
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
            GUNICORN_COMMAND,
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


def close_pooled_server_connections(database: dict) -> None:
    """Ends every server connection to `database` (a Django settings dict) but the one that
    asks, connecting through the same pooler to the `postgres` database: a pooler's idle
    connections to a database keep PostgreSQL from dropping it."""
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        prepare_threshold=None,
    ) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [database["NAME"]],
        )


# --- The production topology of `make prod` (deploy/prod.py) ----------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
TOPOLOGY_START_TIMEOUT = 60


@dataclass
class Topology:
    """deploy/prod.py in a child process: nginx at `url`, the two gunicorn instances at
    `instance_urls` (each behind pgbouncer, as nginx reaches them), its output in one file."""

    url: str
    instance_urls: list[str]
    process: subprocess.Popen
    runtime: Path
    log_path: Path

    def instance_pid(self, number: int) -> int:
        return int((self.runtime / f"app{number}.pid").read_text())

    def kill_instance(self, number: int) -> None:
        """SIGKILL to the instance's whole process group: master and workers die at once."""
        os.killpg(self.instance_pid(number), signal.SIGKILL)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def process_ids(self) -> set[int]:
        """Every process the topology runs now: pgbouncer, nginx and its worker, the gunicorn
        masters and their workers (Linux)."""
        found, unseen = set(), [self.process.pid]
        while unseen:
            pid = unseen.pop()
            found.add(pid)
            with contextlib.suppress(FileNotFoundError):
                unseen += map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        return found - {self.process.pid}

    def stop(self, timeout: float = 30) -> int:
        return stop_gracefully(self.process, timeout)


def start_topology(
    directory: Path,
    settings_module: str = "taskapi.settings",
    *,
    database_url: str | None = None,
    **variables: str,
) -> Topology:
    """Runs deploy/prod.py on free ports, in front of `database_url` (the test's own database
    by default), and returns once nginx serves; `variables` override server_environment()."""
    if not (os.access(NGINX, os.X_OK) and os.access(PGBOUNCER, os.X_OK)):
        pytest.skip("needs Debian's nginx and pgbouncer (apt-get install nginx pgbouncer)")
    port, app_ports = free_port(), [free_port(), free_port()]
    env = {
        **server_environment(database_url or current_database_url(), settings_module),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "THROTTLE_USER_RATE": "10000/minute",
        **variables,
    }
    command = [sys.executable, str(Path(settings.BASE_DIR) / "deploy" / "prod.py")]
    command += ["--port", str(port), "--app-ports", ",".join(map(str, app_ports))]
    command += ["--pgbouncer-port", str(free_port())]
    command += ["--runtime-dir", str(directory / "runtime"), "--stop-timeout", "10"]
    log_path = directory / "prod.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    topology = Topology(
        f"http://127.0.0.1:{port}",
        [f"http://127.0.0.1:{app_port}" for app_port in app_ports],
        process,
        directory / "runtime",
        log_path,
    )
    deadline = time.monotonic() + TOPOLOGY_START_TIMEOUT
    while b"prod: serving on" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            topology.stop()
            pytest.fail(f"make prod's script did not start:\n{topology.output()}", pytrace=False)
        time.sleep(0.1)
    return topology
