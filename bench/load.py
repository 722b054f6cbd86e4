"""The load generators: wrk for HTTP scenarios, pgbench for the database's own ceiling.

Both run as separate processes, pinned with `taskset` to the cores given (see "Where processes
run" in bench/README.md).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REQUESTS_SCRIPT = Path(__file__).resolve().parent / "requests.lua"
RESULT_PREFIX = "BENCH_RESULT "
STOPPED_LINE = "BENCH_STOPPED"


class LoadError(RuntimeError):
    """A load generator is missing or failed."""


@dataclass(frozen=True)
class LoadRun:
    """What one wrk run measured, and the CPU time wrk itself used."""

    requests: int
    # Where the next run of the same file starts (see bench/requests.lua: FIRST).
    sent: int
    seconds: float
    non_2xx: int
    socket_errors: int
    timeouts: int
    latency_ms: dict[str, float]
    load_cpu_seconds: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors + self.timeouts


def check_some_completed(name: str, run: LoadRun, server_log: Callable[[], str]) -> None:
    """A timed run that completed no request (every one still waiting when wrk stopped) has
    no rate, CPU per request or share of a floor to report: it fails the benchmark, saying
    why, with what the server logged."""
    if not run.requests:
        raise LoadError(
            f"{name}: no request completed in {run.seconds:.0f} s "
            f"({run.timeouts} timeouts, {run.socket_errors} socket errors){server_log()}"
        )


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LoadError(f"{name} is not installed ({hint})")
    return path


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """The command, run under `taskset -c cpus` when cpus are given."""
    return ["taskset", "-c", cpus, *command] if cpus else command


def run_to_completion(command: list[str], env: dict[str, str] | None = None) -> str:
    """Runs the command and returns its stdout, or raises LoadError if it fails."""
    completed = subprocess.run(  # noqa: S603 (our own command line)
        command, capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise LoadError(f"{command} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return completed.stdout


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    seconds: int,
    connections: int,
    cpus: str | None,
    first: int = 0,
    max_responses: int | None = None,
) -> LoadRun:
    """Replays requests_file for `seconds` (or until max_responses) with one wrk thread,
    from request number `first` (the `sent` of the file's previous run)."""
    wrk = require_tool("wrk", "apt-get install wrk")
    command = [
        wrk,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(REQUESTS_SCRIPT),
        base_url,
        "--",
        str(requests_file),
        # Titles written in this run differ from every earlier run's (bench/requests.lua).
        uuid.uuid4().hex[:8],
        str(first),
    ]
    if max_responses is not None:
        command.append(str(max_responses))
    # A waited-for child's CPU time joins this process's children totals.
    before = os.times()
    lines = []
    with subprocess.Popen(  # noqa: S603 (our own command line)
        pinned(command, cpus), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        for line in process.stdout:
            lines.append(line)
            if line.strip() == STOPPED_LINE:
                # SIGINT ends wrk's sleep; it then reports as if the duration were over.
                process.send_signal(signal.SIGINT)
        stderr = process.stderr.read()
    after = os.times()
    results = [line for line in lines if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0 or not results:
        raise LoadError(f"wrk failed ({process.returncode}): {''.join(lines)}{stderr}")
    result = json.loads(results[-1].removeprefix(RESULT_PREFIX))
    return LoadRun(
        requests=result["requests"],
        sent=result["sent"],
        seconds=result["duration_us"] / 1e6,
        non_2xx=result["non_2xx"],
        socket_errors=result["socket_errors"],
        timeouts=result["timeouts"],
        latency_ms={name: value / 1000 for name, value in result["latency_us"].items()},
        load_cpu_seconds=(after.children_user + after.children_system)
        - (before.children_user + before.children_system),
    )


def run_pgbench(
    database: dict, script_file: Path, *, seconds: int, clients: int, cpus: str | None
) -> dict[str, float]:
    """Runs the SQL script as pgbench transactions against a Django DATABASES entry; returns
    transactions/s and mean latency."""
    pgbench = require_tool("pgbench", "apt-get install postgresql-client")
    command = [
        pgbench,
        "--no-vacuum",
        "--protocol=simple",
        f"--client={clients}",
        f"--jobs={min(clients, os.cpu_count() or 1)}",
        f"--time={seconds}",
        f"--file={script_file}",
        f"--host={database['HOST'] or '127.0.0.1'}",
        f"--port={database['PORT'] or 5432}",
        f"--username={database['USER']}",
        database["NAME"],
    ]
    env = {**os.environ, "PGPASSWORD": database["PASSWORD"] or ""}
    stdout = run_to_completion(pinned(command, cpus), env=env)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", stdout)
    if tps is None or latency is None:
        raise LoadError(f"pgbench printed no result:\n{stdout}")
    return {"transactions_per_second": float(tps.group(1)), "latency_ms": float(latency.group(1))}
