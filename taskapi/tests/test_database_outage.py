"""A database outage under a running gunicorn: fast 503s in the envelope, then recovery.

The test runs its own PostgreSQL cluster (initdb into a temporary folder, a free port), so
it can stop and restart the database under a server without touching anyone else's. It
needs the PostgreSQL server binaries, and `runuser` when run as root (initdb refuses root).
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings

from taskapi.tests.servers import PROJECT_VARIABLES, free_port

pytestmark = pytest.mark.postgresql

# The answer while the database is down; the same server must do better once it is back.
DATABASE_UNAVAILABLE = {
    "data": None,
    "error": {
        "code": "SERVICE_UNAVAILABLE",
        "message": "The database is unavailable.",
        "details": {"status": "degraded", "database": "unavailable"},
    },
}
SERVICE_UNAVAILABLE = {
    "data": None,
    "error": {
        "code": "SERVICE_UNAVAILABLE",
        "message": "The service is temporarily unavailable; try again shortly.",
        "details": None,
    },
}


def postgres_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    candidates = [path for path in installed if (path / "initdb").exists()]
    return candidates[-1] if candidates else None


@dataclass
class ThrowawayCluster:
    """A PostgreSQL cluster of this test's own, listening on 127.0.0.1 only."""

    bin_dir: Path
    data_dir: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str) -> None:
        command = [*self.run_as, str(self.bin_dir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            pytest.fail(
                f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n"
                f"{self.server_log()}",
                pytrace=False,
            )

    def server_log(self) -> str:
        log = self.data_dir / "server.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        log = str(self.data_dir / "server.log")
        self.run("pg_ctl", "start", "-D", str(self.data_dir), "-l", log, "-w", "-o", options)

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when a database fails over."""
        self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayCluster]:
    """A fresh, migrated PostgreSQL cluster; stopped and deleted after the test, pass or fail."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("needs the PostgreSQL server binaries (initdb, pg_ctl)")
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("initdb refuses to run as root, and runuser is missing")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("initdb refuses to run as root, and there is no postgres user")
        run_as = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp_path: its parents are private to the user running the tests.
    data_dir = Path(tempfile.mkdtemp(prefix="taskapi-outage-"))
    if owner is not None:
        os.chown(data_dir, owner.pw_uid, owner.pw_gid)
    cluster = ThrowawayCluster(bin_dir, data_dir, free_port(), run_as)
    try:
        cluster.run("initdb", "-D", str(data_dir), "-U", "postgres", "-A", "trust", "--no-sync")
        cluster.start()
        migrate(cluster.url)
        yield cluster
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate"],
            capture_output=True,
            timeout=30,
        )
        shutil.rmtree(data_dir, ignore_errors=True)


def migrate(database_url: str) -> None:
    env = {
        **os.environ,
        **dict.fromkeys(PROJECT_VARIABLES, ""),
        "DJANGO_SETTINGS_MODULE": "taskapi.settings",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def timed(method: str, url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.request(method, url, timeout=10, **kwargs)
    return response, time.monotonic() - started


def test_a_database_outage_answers_503_at_once_and_the_same_server_recovers_by_itself(
    throwaway_postgres, gunicorn_server
):
    server = gunicorn_server(workers=2, database_url=throwaway_postgres.url, DB_CONNECT_TIMEOUT="2")
    registered = requests.post(
        f"{server.url}/api/auth/register",
        json={"email": "ada@example.com", "password": "analytical-engine-1843", "name": "Ada"},
        timeout=10,
    )
    assert registered.status_code == 201
    headers = {"Authorization": f"Bearer {registered.json()['data']['access']}"}
    tasks_url = f"{server.url}/api/{registered.json()['data']['user']['id']}/tasks"
    before = requests.post(tasks_url, json={"title": "Before"}, headers=headers, timeout=10)
    assert before.status_code == 201
    # Each worker answers some of the requests below; they all must say the same.
    workers = server.worker_pids()
    assert len(workers) == 2

    throwaway_postgres.stop()
    during = [timed("GET", f"{server.url}/health") for _ in range(4)]
    during += [timed("GET", tasks_url, headers=headers) for _ in range(4)]
    during += [
        timed("POST", tasks_url, json={"title": "During"}, headers=headers) for _ in range(2)
    ]

    assert [response.status_code for response, _ in during] == [503] * 10
    assert [response.json() for response, _ in during] == [DATABASE_UNAVAILABLE] * 4 + [
        SERVICE_UNAVAILABLE
    ] * 6
    assert {response.headers["Content-Type"] for response, _ in during} == {"application/json"}
    assert max(elapsed for _, elapsed in during) < 5

    throwaway_postgres.start()
    deadline = time.monotonic() + 5
    while requests.get(f"{server.url}/health", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover within 5 s"
        time.sleep(0.1)
    after = [requests.get(tasks_url, headers=headers, timeout=10) for _ in range(4)]
    created_after = requests.post(tasks_url, json={"title": "After"}, headers=headers, timeout=10)

    assert [response.status_code for response in after] == [200] * 4
    assert [[task["title"] for task in response.json()["data"]["items"]] for response in after] == [
        ["Before"]
    ] * 4
    assert created_after.status_code == 201
    assert server.process.poll() is None
    assert server.worker_pids() == workers
