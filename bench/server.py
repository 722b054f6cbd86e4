"""The server under test: gunicorn with the project's gunicorn.conf.py, started and stopped here."""

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.load import pinned
from bench.procfs import process_cpu_seconds

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN = PROJECT_DIR / ".venv" / "bin" / "gunicorn"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


class ServerError(RuntimeError):
    """gunicorn did not start, or stopped answering."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """`gunicorn taskapi.wsgi --config gunicorn.conf.py` on 127.0.0.1, as a context manager.

    The environment carries every setting (DJANGO_SETTINGS_MODULE, GUNICORN_WORKERS, the
    database...); the port is chosen here. Output goes to log_path, whose end is shown when
    the server fails.
    """

    def __init__(self, env: dict[str, str], *, cpus: str | None, log_path: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.cpus = cpus
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "GunicornServer":
        command = [str(GUNICORN), "taskapi.wsgi", "--config", "gunicorn.conf.py"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                pinned(command, self.cpus),
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_until_ready()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wait_until_ready(self) -> None:
        """Waits until /health answers 200 and every worker has booted."""
        expected_workers = int(self.env["GUNICORN_WORKERS"])
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with {self.process.returncode}{self.log_tail()}"
                )
            if self.answers_health() and len(self.worker_pids()) == expected_workers:
                return
            time.sleep(0.2)
        raise ServerError(f"gunicorn was not ready in {START_TIMEOUT_SECONDS} s{self.log_tail()}")

    def answers_health(self) -> bool:
        url = f"{self.base_url}/health"
        request = urllib.request.Request(url, headers={"Host": "127.0.0.1"})  # noqa: S310 (http)
        try:
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (http)
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- gunicorn log (" + str(self.log_path) + ") ---\n" + "\n".join(text)

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its live workers."""
        return process_cpu_seconds([self.pid, *self.worker_pids()])
