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
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings

from taskapi.tests.servers import PROJECT_VARIABLES, free_port, start_topology

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


class Prober:
    """Lists a user's tasks through nginx again and again in a thread of its own, noting when
    each request was sent and answered and what the answer was, until stopped."""

    def __init__(self, url: str, headers: dict):
        self.url, self.headers = url, headers
        self.answers: list[tuple[float, float, int, dict | None]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        while not self.stopping.is_set():
            sent = time.monotonic()
            response = requests.get(self.url, headers=self.headers, timeout=10)
            body = response.json() if response.status_code == 503 else None
            self.answers.append((sent, time.monotonic(), response.status_code, body))
            time.sleep(0.05)

    def wait_for_an_answer_sent_after(self, moment: float, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(sent > moment for sent, *_ in self.answers):
            assert time.monotonic() < deadline, "the prober got no answer"
            time.sleep(0.05)

    def __enter__(self) -> "Prober":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.thread.join()


def test_a_postgresql_restart_behind_pgbouncer_heals_without_restarting_anything(
    throwaway_postgres, tmp_path
):
    """The topology of `make prod` (nginx, two gunicorn instances, pgbouncer) in front of a
    cluster that stops and starts again: while it is down every answer is the 503 envelope,
    at once; once it is up, the same pgbouncer and the same instances serve again."""
    topology = start_topology(tmp_path, database_url=throwaway_postgres.url, DB_CONNECT_TIMEOUT="2")
    try:
        registered = requests.post(
            f"{topology.url}/api/auth/register",
            json={"email": "ada@example.com", "password": "analytical-engine-1843", "name": "A"},
            timeout=10,
        )
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['data']['access']}"}
        tasks_url = f"{topology.url}/api/{registered.json()['data']['user']['id']}/tasks"
        assert requests.post(tasks_url, json={"title": "Before"}, headers=headers).ok
        processes = topology.process_ids()

        began = time.monotonic()
        with Prober(tasks_url, headers) as prober:
            prober.wait_for_an_answer_sent_after(began)
            stopped_at = time.monotonic()
            throwaway_postgres.stop()
            during = [timed("GET", f"{topology.url}/health") for _ in range(4)]
            during += [
                timed("POST", tasks_url, json={"title": "During"}, headers=headers)
                for _ in range(2)
            ]
            throwaway_postgres.start()
            started_at = time.monotonic()
            while requests.get(f"{topology.url}/health", timeout=10).status_code != 200:
                assert time.monotonic() - started_at < 10, "the topology did not heal in 10 s"
                time.sleep(0.05)
            healed_at = time.monotonic()
            prober.wait_for_an_answer_sent_after(healed_at)
        created_after = requests.post(
            tasks_url, json={"title": "After"}, headers=headers, timeout=10
        )
        listed_after = requests.get(tasks_url, headers=headers, timeout=10)
        processes_after = topology.process_ids()
    finally:
        status = topology.stop()

    print(f"healed {healed_at - started_at:.2f} s after PostgreSQL was up again")
    assert [response.status_code for response, _ in during] == [503] * 6
    assert [response.json() for response, _ in during] == [DATABASE_UNAVAILABLE] * 4 + [
        SERVICE_UNAVAILABLE
    ] * 2
    assert max(elapsed for _, elapsed in during) < 5
    # The prober saw the list before, the envelope only while the database was away (and
    # until the topology noticed it back), and the list again after: never a 500, 502 or 504.
    assert {code for _, _, code, _ in prober.answers} <= {200, 503}
    outside_the_outage = [
        (sent, answered)
        for sent, answered, code, _ in prober.answers
        if code == 503 and (answered < stopped_at or sent > healed_at)
    ]
    assert outside_the_outage == []
    assert [body for _, _, code, body in prober.answers if code == 503] == [
        SERVICE_UNAVAILABLE
    ] * len([code for _, _, code, _ in prober.answers if code == 503])
    assert prober.answers[0][2] == 200
    assert prober.answers[-1][2] == 200
    assert created_after.status_code == 201
    assert sorted(task["title"] for task in listed_after.json()["data"]["items"]) == [
        "After",
        "Before",
    ]
    assert processes_after == processes
    assert status == 0, topology.output()
